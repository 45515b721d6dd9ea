from __future__ import annotations

import numpy as np
import pytest

from platereader.alphabet import ALPHABET, MASK
from platereader.runtime.decode import greedy_decode, without_class
from platereader.runtime.format_path import MAX_LENGTH_CHANGE, SlotSequences
from platereader.runtime.grammar import NO_FORMAT_PENALTY, Grammar
from platereader.runtime.recognizer import PlateRead


def _probs(sequence: list[str | None], hot: float = 0.9, alphabet: str = ALPHABET) -> np.ndarray:
    """One frame per entry: a character (or None for blank) gets probability ``hot``."""
    c = len(alphabet) + 1
    probs = np.full((len(sequence), c), (1 - hot) / (c - 1), np.float32)
    for t, ch in enumerate(sequence):
        probs[t, 0 if ch is None else alphabet.index(ch) + 1] = hot
    return probs / probs.sum(1, keepdims=True)


def test_greedy_decode_collapses_repeats_and_drops_blanks():
    d = greedy_decode(_probs(["A", "A", None, "A", "B", None, None, "1", "1"]), ALPHABET)
    assert d.text == "AAB1"
    assert len(d.char_confidences) == 4 and all(0.85 < c <= 1 for c in d.char_confidences)
    assert d.frames == [0, 3, 4, 7]


def test_without_class_hands_its_frames_to_the_next_best_reading():
    alphabet = ALPHABET + MASK
    mask = alphabet.index(MASK) + 1
    probs = _probs([MASK, "A", None], alphabet=alphabet)
    probs[0, alphabet.index("B") + 1] += 0.05  # B is the runner-up on the masked frame
    kept = without_class(probs / probs.sum(1, keepdims=True), mask)
    assert np.allclose(kept.sum(1), 1) and (kept[:, mask] == 0).all()
    assert greedy_decode(kept, alphabet).text == "BA"


def test_empty_read_has_zero_confidence():
    d = greedy_decode(_probs([None] * 6), ALPHABET)
    assert d.text == "" and d.confidence == 0.0


def _read(probs: np.ndarray, alphabet: str = ALPHABET) -> PlateRead:
    d = greedy_decode(probs, alphabet)
    return PlateRead(d.text, d.confidence, d.char_confidences, raw_text=d.text, extra={"frames": d.frames})


def test_grammar_replaces_a_letter_a_digit_slot_forbids():
    # Spanish 1204 BCD read with O in the third digit slot (no format has a letter there), where 0
    # had real probability.
    seq = ["1", None, "2", "O", "4", None, "B", "C", "D"]
    probs = _probs(seq)
    probs[3, ALPHABET.index("0") + 1] = 0.3
    probs[3] /= probs[3].sum()
    out = Grammar.default().apply(_read(probs), probs, ALPHABET)
    assert out.raw_text == "12O4BCD"
    assert out.text == "1204BCD"
    assert out.confidence < 0.9**7


def test_grammar_keeps_unknown_shapes_with_lower_confidence():
    seq = list("QQQQQQQQQQQQ")  # 12 letters: no format has that length
    seq = [c if i % 2 == 0 else None for i, c in enumerate(seq * 2)]
    probs = _probs(seq)
    read = _read(probs)
    out = Grammar.default().apply(read, probs, ALPHABET)
    assert out.text == read.text
    assert out.confidence == read.confidence * NO_FORMAT_PENALTY


def test_grammar_does_not_invent_characters_the_network_never_saw():
    # Seven digits fit no format, and no letter had real probability anywhere: keep the read.
    seq = ["1", None, "2", "3", None, "4", "5", "6", None, "7"]
    probs = _probs(seq, hot=0.99)
    read = _read(probs)
    out = Grammar.default().apply(read, probs, ALPHABET)
    assert out.text == read.text and out.confidence < read.confidence


def test_grammar_repairs_a_letter_read_for_a_lookalike_digit_when_nothing_fits_as_read():
    # GB BT11 AHV whose bare-bar 1s the network took for I with no doubt at all (1 got ~0): only
    # reading I as the digit it resembles makes it fit a format. Repaired, at a cost.
    probs = _probs(["B", None, "T", "I", None, "I", "A", "H", None, "V"], hot=0.99)
    read = _read(probs)
    out = Grammar.default().apply(read, probs, ALPHABET)
    assert read.text == "BTIIAHV"
    assert out.text == "BT11AHV" and out.fits_format
    assert out.char_confidences[2] == read.char_confidences[3]  # the glyph's own probability
    assert abs(out.confidence - read.confidence * NO_FORMAT_PENALTY) < 1e-6


def test_grammar_never_reads_a_digit_as_a_letter():
    # A US plate 5777770 fits no European format; a 7 is not read as T (nor 2 as Z) to force one.
    probs = _probs(["5", None, "7", None, "7", None, "7", None, "7", None, "7", None, "0"], hot=0.99)
    read = _read(probs)
    out = Grammar.default().apply(read, probs, ALPHABET)
    assert out.text == "5777770" and not out.fits_format


def test_grammar_limited_to_some_countries_fits_reads_to_those_alone():
    # Spanish 0266 RFB with the oval 0 read as O: GB's "AB DD RRR" needs no repair for O?66?RF-like
    # reads, so the full grammar may keep the O; a Spanish camera says it sees Spanish plates.
    seq = ["O", None, "2", "6", None, "6", "B", None, "C", "D"]
    probs = _probs(seq)
    probs[0, ALPHABET.index("0") + 1] = 0.05
    probs[0] /= probs[0].sum()
    spain = Grammar.for_alphabet(ALPHABET, ("ES",))
    out = spain.apply(_read(probs), probs, ALPHABET)
    assert out.text == "0266BCD" and out.country == "ES"
    assert set(spain.slots[7].countries) == {"ES"}
    with pytest.raises(ValueError, match=r"unknown country code.*XX"):
        Grammar.for_alphabet(ALPHABET, ("ES", "XX"))


def _under_blank(probs: np.ndarray, t: int, ch: str, p: float, alphabet: str = ALPHABET) -> np.ndarray:
    """Frame ``t`` becomes blank with probability 1 - p, ``ch`` with p: a character the network
    saw but rated just under "nothing here"."""
    probs = probs.copy()
    probs[t] = 0.0
    probs[t, 0], probs[t, alphabet.index(ch) + 1] = 1 - p, p
    return probs


def test_format_path_restores_a_character_rated_under_blank():
    # Spanish 1234 BCD whose last letter greedy decoding drops: 1234BC fits no Spanish format,
    # the best path that fits one keeps the D (at a cost in confidence).
    probs = _under_blank(_probs(["1", None, "2", "3", None, "4", "B", None, "C", "D"]), 9, "D", 0.4)
    read = _read(probs)
    out = Grammar.for_alphabet(ALPHABET, ("ES",)).apply(read, probs, ALPHABET)
    assert read.text == "1234BC"
    assert out.text == "1234BCD" and out.fits_format and out.country == "ES"
    assert out.extra["format_repair"] == "path" and len(out.extra["frames"]) == 7
    assert out.char_confidences[-1] == pytest.approx(0.4, abs=1e-6)
    assert out.confidence < read.confidence


def test_format_path_restores_a_privacy_box_at_the_plate_edge():
    # A data set's grey box over the last character, which the network half took for the frame
    # (a model trained with masked plates has MASK as one more class).
    alphabet = ALPHABET + MASK
    frames = ["8", None, "3", MASK, None, "0", "B", None, "V", MASK]
    probs = _under_blank(_probs(frames, alphabet=alphabet), 9, MASK, 0.2, alphabet)
    read = _read(probs, alphabet)
    out = Grammar.for_alphabet(alphabet, ("ES",)).apply(read, probs, alphabet)
    assert read.text == "83?0BV"
    assert out.text == "83?0BV?"


def test_format_path_does_not_force_an_improbable_read():
    # A faint character (p=0.001) is no evidence: the read keeps its text and fits no format.
    probs = _under_blank(_probs(["1", None, "2", "3", None, "4", "B", None, "C", "D"]), 9, "D", 0.001)
    out = Grammar.for_alphabet(ALPHABET, ("ES",)).apply(_read(probs), probs, ALPHABET)
    assert out.text == "1234BC" and not out.fits_format


def test_format_path_spells_one_peak_as_one_character():
    # 76T788 held over three frames: a DDLLDDD format must not be met by reading the T twice
    # (CTC merges repeats), nor by letting one slot span the 7 and the 8.
    probs = _probs(["7", None, "6", "T", "T", "T", None, "7", "8", None, "8"], hot=0.99)
    slots = np.zeros((7, len(ALPHABET)), bool)
    for i, kind in enumerate("DDLLDDD"):
        slots[i] = [(c.isdigit() if kind == "D" else c.isalpha()) for c in ALPHABET]
    path = SlotSequences([slots], ["XX"], np.zeros(1)).best_path(probs, ALPHABET)
    assert path.text != "76TT788"
    assert path.log_ratio < np.log(0.01)  # so the grammar would not take it


def _chain_scores(paths: SlotSequences, probs: np.ndarray, near: int) -> list[tuple[float, float, tuple[int, ...]]]:
    """Reference for best_path: each slot sequence's own CTC chain (blank, slot, blank, ...) scored
    on its own, in float64. (best path log probability, log prior, slot sets) per sequence."""
    lp = np.log(np.maximum(probs, 1e-12)).astype(np.float64)
    out = []
    for u, ids in enumerate(paths.set_ids):
        if abs(len(ids) - near) > MAX_LENGTH_CHANGE:
            continue
        chars = np.where(paths.set_masks[list(ids)][:, None, :], lp[None, :, 1:], -np.inf)  # L x T x A
        arg, val = chars.argmax(-1), chars.max(-1)  # each slot's best allowed character, frame by frame
        emit = np.empty((len(lp), 2 * len(ids) + 1))
        emit[:, 0::2], emit[:, 1::2] = lp[:, :1], val.T
        score = np.full(emit.shape[1], -np.inf)
        score[:2] = emit[0, :2]
        for t in range(1, len(lp)):
            stay = score.copy()
            stay[1::2] = np.where(arg[:, t] == arg[:, t - 1], score[1::2], -np.inf)  # one character per slot
            step = np.concatenate([[-np.inf], score[:-1]])
            skip = np.full_like(score, -np.inf)
            skip[3::2] = np.where(arg[:-1, t - 1] != arg[1:, t], score[1:-2:2], -np.inf)  # CTC merges repeats
            score = np.maximum(np.maximum(stay, step), skip) + emit[t]
        out.append((max(score[-2:]), float(paths.log_priors[u]), ids))
    return out


def test_format_path_scores_every_sequence_as_on_its_own_chain():
    # best_path scores all sequences at once on a prefix tree; the sequence it picks and its log
    # ratio must be those of scoring each sequence's own chain (random outputs, blanks between).
    rng = np.random.default_rng(3)
    alphabet = ALPHABET + MASK
    paths = Grammar.for_alphabet(alphabet, ("DE", "ES", "GB", "FR", "IT")).paths
    compared = 0
    for _ in range(12):
        probs = rng.dirichlet(np.full(len(alphabet) + 1, 0.05), size=24)
        probs[rng.random(24) < 0.5, 0] += 2.0
        probs = (probs / probs.sum(1, keepdims=True)).astype(np.float32)
        near = int(rng.integers(5, 9))
        path = paths.best_path(probs, alphabet, near=near)
        chains = sorted((c for c in _chain_scores(paths, probs, near) if np.isfinite(c[0])), key=lambda c: c[0] + c[1])
        if not chains:
            assert path is None
            continue
        score, _, slots = chains[-1]
        if len(chains) > 1 and sum(chains[-1][:2]) - sum(chains[-2][:2]) < 1e-3:
            continue  # a tie within float32 rounding
        greedy = np.log(np.maximum(probs, 1e-12)).max(-1).sum()
        assert path.log_ratio == pytest.approx(score - greedy, abs=1e-3)
        assert len(path.text) == len(slots)
        assert all(paths.set_masks[k][alphabet.index(c)] for k, c in zip(slots, path.text, strict=True))
        compared += 1
    assert compared >= 8


def test_grammar_fits_classes_whose_options_differ_in_length():
    # Irish county D (Dublin) or WH, French department 75 or 971: each option length is a format.
    for country, text in [("IE", "191D12345"), ("IE", "191WH12345"), ("FR", "123AB75"), ("FR", "123AB971")]:
        probs = _probs([c for ch in text for c in (ch, None)], hot=0.99)
        out = Grammar.for_alphabet(ALPHABET, (country,)).apply(_read(probs), probs, ALPHABET)
        assert out.text == text and out.fits_format and out.country == country, text


def test_blank_scale_keeps_a_character_rated_just_under_blank():
    probs = _probs(["A", None, None, "B"])
    probs[1] = 0.0
    probs[1, 0], probs[1, ALPHABET.index("7") + 1] = 0.55, 0.45  # a faint "7" between A and B
    assert greedy_decode(probs, ALPHABET).text == "AB"
    kept = greedy_decode(probs, ALPHABET, blank_scale=0.5)
    assert kept.text == "A7B"
    assert abs(kept.char_confidences[1] - 0.45) < 1e-6  # the network's own probability, not rescaled
    assert greedy_decode(_probs([None] * 4), ALPHABET, blank_scale=0.5).text == ""  # a clear blank stays blank


def test_grammar_of_some_formats_checks_text_as_written():
    national = Grammar.of_formats(ALPHABET + MASK, "ES", ["national"])
    assert national.fits_as_written("1234BCD")
    assert national.fits_as_written("12?4BC?")  # a privacy mask stands for any character
    assert not Grammar.of_formats(ALPHABET, "ES", ["national"]).fits_as_written("12?4BC?")  # no mask in that alphabet
    assert not national.fits_as_written("1234BCE")  # Spain has no vowels
    assert not national.fits_as_written("O234BCD")  # no re-scoring: O is not 0 here
    assert not national.fits_as_written("M1234AB")  # a provincial plate
    assert not national.fits_as_written("") and not national.fits_as_written("1234BC#")
    with pytest.raises(ValueError, match=r"ES has no format nacional \(it has national, provincial"):
        Grammar.of_formats(ALPHABET, "ES", ["nacional"])
