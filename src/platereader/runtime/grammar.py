"""Country formats as a grammar for decoding (no dictionary).

Every format is expanded into slot sequences (which characters each position allows) for each
length it can have. A read is matched against the sequences of its length: a character a slot
forbids is replaced by the best allowed one when the network gave that one real probability
(O -> 0 in a digit slot). A read that fits no format as read may be repaired by reading a letter as
the digit it resembles where a format needs a digit (see LETTER_AS_DIGIT), or else replaced by the
most probable CTC path that fits a format, when that path is not much less probable than the read
(format_path: it restores a character the network rated just under "nothing here"). A read that
fits no format even so keeps its text. All of these cost confidence (NO_FORMAT_PENALTY).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from platereader.alphabet import ALPHABET, MASK
from platereader.formats import Country, FormatError, load_countries
from platereader.runtime.format_path import FormatPath, SlotSequences

if TYPE_CHECKING:
    from platereader.runtime.recognizer import PlateRead

MIN_ALTERNATIVE_PROB = 0.02  # a replacement must have been among the network's own candidates
NO_FORMAT_PENALTY = 0.5  # confidence factor for a read that fits no known format, or only once repaired
# Real plate digits the network, trained on generated fonts, takes for letters: GB's Charles Wright
# 1 is a bare bar (read I), Spain's 0 an oval (read O). Only letter -> digit: the other way turns
# reads of plates from outside the formats (US vanity plates) into wrong European ones.
LETTER_AS_DIGIT = {"O": "0", "Q": "0", "I": "1", "Z": "2", "S": "5", "G": "6", "B": "8"}
LOOKALIKE_CREDIT = 0.1  # scoring weight of a swap, so the repair needing the fewest swaps wins
# A format-fitting CTC path replaces a read that fits no format when it is at least this probable
# relative to the greedy path (chosen on uc3m's train split: 1e-4 to 1e-2 score alike).
MIN_PATH_RATIO = 0.01
# Weight of a format's log prior (its share of its country's plates, the format file's weight)
# when formats fit one read differently: Spanish O?66?RF is a provincial plate (O for Ourense)
# as read, a national one with 0 for O.
FORMAT_PRIOR = 1.0


@dataclass
class _Slots:
    allowed: np.ndarray  # V x L x len(alphabet) bool
    countries: list[str]  # per variant
    log_prior: np.ndarray  # V: log share of the variant's format among its country's formats


def _variants(country: Country, alphabet: str) -> dict[int, list[tuple[np.ndarray, float]]]:
    index = {c: i for i, c in enumerate(alphabet)}
    wildcard = [index[MASK]] if MASK in index else []  # a masked character may stand in any slot
    out: dict[int, list[tuple[np.ndarray, float]]] = {}
    total_weight = sum(f.weight for f in country.formats)
    for fmt in country.formats:
        log_prior = float(np.log(fmt.weight / total_weight))
        tokens = [t for g in fmt.groups for t in g.tokens]
        ranges = [range(t.min_count, t.max_count + 1) for t in tokens]
        for counts in itertools.product(*ranges):
            # A class whose options differ in length (IE county C or WH, FR department 75 or
            # 971) gives one slot run per option length: the union of its options per position.
            runs: list[list[list[set[str]]]] = []
            for token, n in zip(tokens, counts, strict=False):
                widths = sorted({len(o) for o in token.options})
                by_width = [[{o[pos] for o in token.options if len(o) == w} for pos in range(w)] for w in widths]
                runs.extend([by_width] * n)
            for choice in itertools.product(*runs):
                slots = [s for run in choice for s in run]
                if fmt.max_len and len(slots) > fmt.max_len:
                    continue
                mask = np.zeros((len(slots), len(alphabet)), bool)
                for i, allowed in enumerate(slots):
                    mask[i, [index[c] for c in allowed] + wildcard] = True
                out.setdefault(len(slots), []).append((mask, log_prior))
    return out


class Grammar:
    def __init__(self, countries: dict[str, Country], alphabet: str):
        self.alphabet = alphabet
        by_len: dict[int, list[tuple[np.ndarray, str, float]]] = {}
        for code, country in countries.items():
            for length, variants in _variants(country, alphabet).items():
                by_len.setdefault(length, []).extend((mask, code, FORMAT_PRIOR * prior) for mask, prior in variants)
        self.slots: dict[int, _Slots] = {}
        for n, variants in by_len.items():
            masks, codes, priors = _unzip(variants)
            self.slots[n] = _Slots(np.stack(masks), codes, priors)
        self.paths = SlotSequences(*_unzip([x for v in by_len.values() for x in v]))
        index = {c: i for i, c in enumerate(alphabet)}
        self.letter_as_digit = np.zeros((len(alphabet), len(alphabet)), np.float32)  # [letter, digit]
        for letter, digit in LETTER_AS_DIGIT.items():
            if letter in index and digit in index:
                self.letter_as_digit[index[letter], index[digit]] = 1.0

    @classmethod
    @lru_cache(maxsize=8)
    def for_alphabet(cls, alphabet: str, countries: tuple[str, ...] | None = None) -> Grammar:
        """The bundled countries' grammar for a model's output alphabet (cached); ``countries``
        (codes) keeps only those, for a camera that only sees plates from a few countries; an
        unknown code raises FormatError (a ValueError)."""
        return cls(load_countries(list(countries) if countries else None), alphabet)

    @classmethod
    def default(cls) -> Grammar:
        return cls.for_alphabet(ALPHABET)

    @classmethod
    def of_formats(cls, alphabet: str, country: str, names: list[str]) -> Grammar:
        """Only the named formats of one bundled country; an unknown name raises FormatError."""
        (bundled,) = load_countries([country]).values()
        known = {f.name for f in bundled.formats}
        if unknown := sorted(set(names) - known):
            raise FormatError(f"{country} has no format {', '.join(unknown)} (it has {', '.join(sorted(known))})")
        kept = bundled.model_copy(update={"formats": [f for f in bundled.formats if f.name in names]})
        return cls({bundled.code: kept}, alphabet)

    def fits_as_written(self, text: str) -> bool:
        """Whether ``text`` fits a format character for character, with no re-scoring."""
        slots = self.slots.get(len(text))
        if slots is None or not text:
            return False
        index = [self.alphabet.index(c) if c in self.alphabet else -1 for c in text]
        if min(index) < 0:
            return False
        return bool(slots.allowed[:, np.arange(len(text)), index].all(-1).any())

    def apply(self, read: PlateRead, probs: np.ndarray, alphabet: str) -> PlateRead:
        """Re-score ``read`` (decoded from ``probs``, T x C with blank 0) against the formats."""
        return self.apply_all([read], probs[None], alphabet)[0]

    def apply_all(self, reads: list[PlateRead], probs: np.ndarray, alphabet: str) -> list[PlateRead]:
        """``apply`` to each read (``probs``: N x T x C), with the format paths of the reads that
        need one found together (SlotSequences.best_paths)."""
        fitted = [self._fit(read, p, alphabet) for read, p in zip(reads, probs, strict=True)]
        pending = [i for i, read in enumerate(fitted) if read is None]
        if pending and alphabet == self.alphabet:
            paths = self.paths.best_paths(probs[pending], alphabet, [len(reads[i].text) for i in pending])
        else:
            paths = [None] * len(pending)
        found = dict(zip(pending, paths, strict=True))
        return [_with_path(reads[i], found[i]) if read is None else read for i, read in enumerate(fitted)]

    def _fit(self, read: PlateRead, probs: np.ndarray, alphabet: str) -> PlateRead | None:
        """``read`` fitted to a format as read or with look-alike repairs; None when only a format
        path (the best format-fitting CTC path) can fit it."""
        n = len(read.text)
        if n == 0:
            return read
        slots = self.slots.get(n)
        frames = read.extra.get("frames")
        if frames is None:
            return replace(read, confidence=read.confidence * NO_FORMAT_PENALTY, fits_format=False)
        if slots is None:
            return None
        p = probs[frames, 1:]  # L x alphabet, at each character's peak frame
        confidence = p
        fit = _best_variant(p, slots)
        repaired = fit is None
        if repaired:
            # A digit slot may take the probability of the letter that looks like it: scored at a
            # discount (fewest swaps win), reported as the letter's (it is the same glyph).
            borrowed = (p[:, :, None] * self.letter_as_digit[None]).max(1)
            confidence = np.maximum(p, borrowed)
            p = np.maximum(p, LOOKALIKE_CREDIT * borrowed)
            fit = _best_variant(p, slots)
        if fit is None:
            return None
        best, evidence = fit
        choice = np.where(slots.allowed[best], p, -1.0).argmax(-1)
        text = "".join(alphabet[k] for k in choice)
        fitting = {slots.countries[v] for v in np.flatnonzero(np.isclose(evidence, evidence[best]))}
        confs = [float(c) for c in confidence[np.arange(len(choice)), choice]]
        return replace(
            read,
            text=text,
            char_confidences=confs,
            confidence=float(np.prod(confs)) * (NO_FORMAT_PENALTY if repaired else 1.0),
            country=next(iter(fitting)) if len(fitting) == 1 else None,
            fits_format=True,
            extra={**read.extra, "format_repair": "lookalike"} if repaired else read.extra,
        )


def _with_path(read: PlateRead, path: FormatPath | None) -> PlateRead:
    """The format path in place of ``read`` (which fits no format) when it is probable enough;
    else ``read``, marked as fitting no format."""
    if path is None or path.log_ratio < np.log(MIN_PATH_RATIO):
        return replace(read, confidence=read.confidence * NO_FORMAT_PENALTY, fits_format=False)
    return replace(
        read,
        text=path.text,
        char_confidences=path.char_confidences,
        confidence=float(np.prod(path.char_confidences)) * NO_FORMAT_PENALTY,
        country=next(iter(path.countries)) if len(path.countries) == 1 else None,
        fits_format=True,
        extra={**read.extra, "frames": path.frames, "format_repair": "path"},
    )


def _unzip(variants: list[tuple[np.ndarray, str, float]]) -> tuple[list[np.ndarray], list[str], np.ndarray]:
    """(slot masks, countries, log priors) of a list of variants."""
    masks, countries, priors = zip(*variants, strict=True)
    return list(masks), list(countries), np.array(priors)


def _best_variant(p: np.ndarray, slots: _Slots) -> tuple[int, np.ndarray] | None:
    """The slot sequence that fits ``p`` (L x alphabet) best, prior included, and every sequence's
    log score on the evidence alone; None when even the best needs a character the network gave
    almost no probability."""
    scores = np.where(slots.allowed, p[None], 0.0).max(-1)  # V x L best allowed prob per slot
    evidence = np.log(np.maximum(scores, 1e-9)).sum(-1)
    best = int((evidence + slots.log_prior).argmax())
    if scores[best].min() < MIN_ALTERNATIVE_PROB:
        return None
    return best, evidence
