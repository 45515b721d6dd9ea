"""Training and the runtime must feed the network identical pixels."""

from __future__ import annotations

import numpy as np

from platereader.runtime.preprocess import crops_to_tensor, normalize, resize_crop, to_grey


def test_cache_path_equals_runtime_path(generator):
    crops = [s.image for s in generator.samples(0, 16)]
    width, height = 128, 32
    # Training: the generator resizes with resize_crop, the cache keeps grey uint8, training normalises.
    cached = np.stack([to_grey(resize_crop(c, width, height)) for c in crops])
    training_input = normalize(cached)[:, None]
    runtime_input = crops_to_tensor(crops, width, height)
    assert runtime_input.shape == (16, 1, height, width)
    np.testing.assert_array_equal(training_input, runtime_input)


def test_normalised_range():
    x = normalize(np.array([[0, 255]], np.uint8))
    assert x.min() == -1 and x.max() == 1
