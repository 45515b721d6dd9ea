"""Training and the runtime must feed the network identical pixels."""

from __future__ import annotations

import numpy as np

from platereader.runtime.preprocess import TWO_ROW_MAX_ASPECT, crops_to_tensor, normalize, prepare_crop, to_grey, unfold_two_rows


def test_cache_path_equals_runtime_path(generator):
    crops = [s.image for s in generator.samples(0, 16)]
    width, height = 128, 32
    # Training: the cache keeps prepare_crop's output as grey uint8, training normalises it.
    cached = np.stack([to_grey(prepare_crop(c, width, height)) for c in crops])
    training_input = normalize(cached)[:, None]
    runtime_input = crops_to_tensor(crops, width, height)
    assert runtime_input.shape == (16, 1, height, width)
    np.testing.assert_array_equal(training_input, runtime_input)


def test_normalised_range():
    x = normalize(np.array([[0, 255]], np.uint8))
    assert x.min() == -1 and x.max() == 1


def test_two_row_crops_are_unfolded_one_row_crops_are_not():
    img = np.zeros((100, 150, 3), np.uint8)
    img[:50] = 200  # top row bright, bottom row dark
    assert TWO_ROW_MAX_ASPECT > 150 / 100
    unfolded = unfold_two_rows(img)
    assert unfolded.shape[1] == 300 and unfolded.shape[0] == 56
    assert unfolded[:, :150].mean() > unfolded[:, 150:].mean()  # top half on the left
    wide = np.zeros((30, 140, 3), np.uint8)
    wide[:15] = 200
    out = prepare_crop(wide, 128, 32)
    assert out[:8].mean() > 150 and out[-8:].mean() < 50  # one-row crop keeps its rows in place
