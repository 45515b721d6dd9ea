"""Training and the runtime must feed the network identical pixels."""

from __future__ import annotations

import numpy as np

from platereader.runtime.decode import best_layout, layout_score
from platereader.runtime.preprocess import (
    TWO_ROW_MAX_ASPECT,
    crop_views,
    crops_to_tensor,
    normalize,
    prepare_crop,
    to_grey,
    unfold_two_rows,
)
from platereader.runtime.recognizer import PlateRead, fits_as_read


def test_cache_path_equals_runtime_path(generator):
    samples = generator.samples(0, 16)
    width, height = 128, 32
    # Training: the cache keeps prepare_crop's output (folded by the known rows) as grey uint8,
    # training normalises it; the runtime makes the same view among a crop's candidate views.
    cached = np.stack([to_grey(prepare_crop(s.image, width, height, two_rows=len(s.rows) == 2)) for s in samples])
    training_input = normalize(cached)[:, None]
    runtime_input, owner = crops_to_tensor([s.image for s in samples], width, height)
    assert runtime_input.shape[1:] == (1, height, width) and sorted(set(owner.tolist())) == list(range(16))
    for i, s in enumerate(samples):
        views = runtime_input[owner == i]
        layout = 1 if len(s.rows) == 2 else 0
        np.testing.assert_array_equal(training_input[i], views[layout])


def test_normalised_range():
    x = normalize(np.array([[0, 255]], np.uint8))
    assert x.min() == -1 and x.max() == 1


def test_unfolding_puts_the_top_row_left():
    img = np.zeros((100, 150, 3), np.uint8)
    img[:50] = 200  # top row bright, bottom row dark
    unfolded = unfold_two_rows(img)
    assert unfolded.shape[1] == 300 and unfolded.shape[0] == 56
    assert unfolded[:, :150].mean() > unfolded[:, 150:].mean()  # top half on the left
    wide = np.zeros((30, 140, 3), np.uint8)
    wide[:15] = 200
    out = prepare_crop(wide, 128, 32)
    assert out[:8].mean() > 150 and out[-8:].mean() < 50  # one-row view keeps its rows in place


def test_narrow_crops_are_read_both_ways_wide_ones_once():
    # A one-row plate tilted 30 degrees has a box about 1.4:1, as narrow as a two-row plate.
    narrow = np.zeros((100, 150, 3), np.uint8)
    wide = np.zeros((30, 140, 3), np.uint8)
    assert 150 / 100 < TWO_ROW_MAX_ASPECT < 140 / 30
    assert len(crop_views(narrow, 128, 32)) == 2
    assert len(crop_views(wide, 128, 32)) == 1
    _, owner = crops_to_tensor([narrow, wide, narrow], 128, 32)
    assert owner.tolist() == [0, 0, 1, 2, 2]


def test_layout_choice_weighs_format_and_confidence_ties_go_to_one_row():
    garbled = layout_score([0.4, 0.3, 0.5], fits_format=False)
    clean = layout_score([0.9, 0.95, 0.9, 0.99], fits_format=False)
    fitting = layout_score([0.8, 0.85, 0.8, 0.85, 0.8], fits_format=True)
    garbled_fitting = layout_score([0.1, 0.9, 0.05, 0.6, 0.3, 0.4, 0.2, 0.5, 0.3], fits_format=True)
    assert best_layout([garbled, clean]) == 1
    assert best_layout([clean, fitting]) == 1  # a format fit outweighs a little more confidence
    assert best_layout([clean, garbled_fitting]) == 0  # but not a garbled read (BT11AHV unfolded)
    assert best_layout([clean, clean]) == 0
    assert best_layout([layout_score([]), layout_score([0.3])]) == 1


def test_a_read_forced_into_a_format_does_not_count_as_fitting_one_for_the_layout_choice():
    # The wrong layout's garbled output can always be forced along some format's path.
    as_read = PlateRead("AB123CD", 0.4, [0.8] * 7, fits_format=True)
    forced = PlateRead("AB1234CD", 0.2, [0.85] * 8, fits_format=True, extra={"format_repair": "path"})
    assert fits_as_read(as_read) is True and fits_as_read(forced) is False
    scores = [layout_score(r.char_confidences, fits_as_read(r)) for r in (as_read, forced)]
    assert best_layout(scores) == 0
