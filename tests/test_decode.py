from __future__ import annotations

import numpy as np
import pytest

from platereader.alphabet import ALPHABET
from platereader.runtime.decode import greedy_decode
from platereader.runtime.grammar import NO_FORMAT_PENALTY, Grammar
from platereader.runtime.recognizer import PlateRead


def _probs(sequence: list[str | None], hot: float = 0.9) -> np.ndarray:
    """One frame per entry: a character (or None for blank) gets probability ``hot``."""
    c = len(ALPHABET) + 1
    probs = np.full((len(sequence), c), (1 - hot) / (c - 1), np.float32)
    for t, ch in enumerate(sequence):
        probs[t, 0 if ch is None else ALPHABET.index(ch) + 1] = hot
    return probs / probs.sum(1, keepdims=True)


def test_greedy_decode_collapses_repeats_and_drops_blanks():
    d = greedy_decode(_probs(["A", "A", None, "A", "B", None, None, "1", "1"]), ALPHABET)
    assert d.text == "AAB1"
    assert len(d.char_confidences) == 4 and all(0.85 < c <= 1 for c in d.char_confidences)
    assert d.frames == [0, 3, 4, 7]


def test_empty_read_has_zero_confidence():
    d = greedy_decode(_probs([None] * 6), ALPHABET)
    assert d.text == "" and d.confidence == 0.0


def _read(probs: np.ndarray) -> PlateRead:
    d = greedy_decode(probs, ALPHABET)
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


def test_blank_scale_keeps_a_character_rated_just_under_blank():
    probs = _probs(["A", None, None, "B"])
    probs[1] = 0.0
    probs[1, 0], probs[1, ALPHABET.index("7") + 1] = 0.55, 0.45  # a faint "7" between A and B
    assert greedy_decode(probs, ALPHABET).text == "AB"
    kept = greedy_decode(probs, ALPHABET, blank_scale=0.5)
    assert kept.text == "A7B"
    assert abs(kept.char_confidences[1] - 0.45) < 1e-6  # the network's own probability, not rescaled
    assert greedy_decode(_probs([None] * 4), ALPHABET, blank_scale=0.5).text == ""  # a clear blank stays blank
