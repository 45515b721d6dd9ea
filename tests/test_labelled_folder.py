"""The fine-tuning folder format: labels.jsonl or labels.csv, optional rows, errors that name the file."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

pytest.importorskip("torch")  # the loader lives with the training code

from platereader.runtime.preprocess import prepare_crop, to_grey
from platereader.training.data import load_labelled_folder


def _two_tone(path, shape):
    img = np.zeros((*shape, 3), np.uint8)
    img[: shape[0] // 2] = 220  # bright top half, dark bottom half
    cv2.imwrite(str(path), img)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def test_jsonl_with_rows_folds_only_two_row_crops(tmp_path):
    square = _two_tone(tmp_path / "moto.png", (100, 150))
    _two_tone(tmp_path / "tilted.png", (100, 150))
    lines = [{"image": "moto.png", "text": "AB 12", "rows": 2}, {"image": "tilted.png", "text": "CD-345", "rows": 1}]
    (tmp_path / "labels.jsonl").write_text("\n".join(json.dumps(r) for r in lines))
    images, labels = load_labelled_folder(tmp_path, 128, 32)
    assert labels == ["AB12", "CD345"]
    np.testing.assert_array_equal(images[0], to_grey(prepare_crop(square, 128, 32, two_rows=True)))
    np.testing.assert_array_equal(images[1], to_grey(prepare_crop(square, 128, 32)))


def test_csv_without_rows_guesses_from_the_shape(tmp_path):
    square = _two_tone(tmp_path / "a.png", (100, 120))
    wide = _two_tone(tmp_path / "b.png", (30, 140))
    (tmp_path / "labels.csv").write_text("image,text\na.png,AB12\nb.png,XY 99\n")
    images, labels = load_labelled_folder(tmp_path, 128, 32)
    assert labels == ["AB12", "XY99"]
    np.testing.assert_array_equal(images[0], to_grey(prepare_crop(square, 128, 32, two_rows=True)))
    np.testing.assert_array_equal(images[1], to_grey(prepare_crop(wide, 128, 32)))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"image": "a.png", "text": "AB1", "rows": 3}\n', "labels.jsonl:1: rows must be 1 or 2"),
        ('{"image": "a.png"}\n', "labels.jsonl:1: bad line"),
        ("not json\n", "labels.jsonl:1: bad line"),
        ('{"image": "missing.png", "text": "AB1"}\n', "missing.png"),
    ],
)
def test_bad_labels_name_the_file_and_line(tmp_path, content, message):
    _two_tone(tmp_path / "a.png", (30, 140))
    (tmp_path / "labels.jsonl").write_text(content)
    with pytest.raises(ValueError, match=message):
        load_labelled_folder(tmp_path, 128, 32)


def test_folder_without_labels(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no labels\.jsonl or labels\.csv"):
        load_labelled_folder(tmp_path, 128, 32)
