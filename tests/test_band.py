from __future__ import annotations

import numpy as np

from platereader.alphabet import ALPHABET
from platereader.runtime.band import band_end_frame, blank_before
from platereader.runtime.decode import greedy_decode
from platereader.runtime.preprocess import resize_crop

EU_BLUE = (0, 51, 153)
WIDTH, HEIGHT, FRAMES = 128, 32, 32


def _plate(band_px: int = 12, background=(240, 240, 235), width: int = 140, height: int = 30) -> np.ndarray:
    """A one-row plate: white, black character strokes, and a blue band ``band_px`` wide at the left."""
    plate = np.zeros((height, width, 3), np.uint8)
    plate[:] = background
    plate[:, :band_px] = EU_BLUE
    for x in range(band_px + 8, width - 8, 14):
        plate[5:-5, x : x + 3] = 20  # character strokes
    return plate


def _band_end(crop: np.ndarray) -> int:
    """As the recognizer looks for it: in the crop's one-row view at the network's input size."""
    return band_end_frame(resize_crop(crop, WIDTH, HEIGHT), FRAMES)


def test_an_eu_band_at_the_left_is_found_and_ends_where_the_band_does():
    end = _band_end(_plate(band_px=12))
    band_frames = 12 / 140 * FRAMES  # about 2.7 frames
    assert 1 <= end <= band_frames  # its last frame, which may hold the first character's left edge, is not blanked
    shifted = np.hstack([np.full((30, 30, 3), 90, np.uint8), _plate(band_px=12)])  # a loose box: bumper to the left
    assert 0 < _band_end(shifted) <= (30 + 12) / 170 * FRAMES


def test_no_band_is_found_where_there_is_none_or_everything_is_blue():
    assert _band_end(_plate(band_px=0)) == 0
    assert _band_end(_plate(band_px=0, background=EU_BLUE)) == 0  # a blue plate (Spanish taxi)
    assert _band_end(_plate(band_px=50)) == 0  # too wide for a band: a blue car beside the plate
    tinted = _plate(band_px=12, background=(150, 170, 215))  # a blue cast over the whole crop (night, a camera's colour)
    assert _band_end(tinted) == 0
    assert _band_end(_plate()[..., 0]) == 0  # grey: no colour to tell by
    on_the_right = _plate(band_px=0)
    on_the_right[:, -12:] = EU_BLUE
    assert _band_end(on_the_right) == 0


def test_frames_on_the_band_are_read_as_nothing():
    frames = ["B", None, None, "1", None, "2", None, "3"]
    probs = np.full((len(frames), len(ALPHABET) + 1), 0.01, np.float32)
    for t, ch in enumerate(frames):
        probs[t, 0 if ch is None else ALPHABET.index(ch) + 1] = 1.0
    assert greedy_decode(probs, ALPHABET).text == "B123"
    assert greedy_decode(blank_before(probs, 2), ALPHABET).text == "123"
    assert blank_before(probs, 0) is probs
