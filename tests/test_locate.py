"""Reading crops and boxes that are loose, shifted or hold a tilted plate: the plate is found in
the crop with the detector and cut out upright (detection/locate.py, pipeline.read_crops)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from platereader import Reader
from platereader.cli import main
from platereader.detection import Detection
from platereader.detection.detector import DEFAULT_DETECTOR
from platereader.detection.geometry import iou_matrix
from platereader.detection.locate import LocatedPlate, located_plate, tilt_degrees
from platereader.pipeline import CONFIDENT_CROP_READ, SECOND_LOOK_VIEWS, _vote, read_crops, read_detections
from platereader.runtime.images import load_image
from platereader.runtime.preprocess import edge_tilt_degrees, reframe, with_border
from platereader.runtime.recognizer import PlateRead
from platereader.runtime.shipped import shipped_recognizer

CROPS = Path(__file__).resolve().parent.parent / "examples" / "crops"
SCENES = CROPS.parent / "scenes"
needs_models = pytest.mark.skipif(not (shipped_recognizer().is_file() and DEFAULT_DETECTOR.is_file()), reason="no shipped models")


def turned(image: np.ndarray, degrees: float) -> np.ndarray:
    """The whole crop turned about its centre, in the upright box around it (edges repeated)."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    corners = cv2.transform(np.array([[[0, 0], [w, 0], [w, h], [0, h]]], np.float32), matrix)[0]
    matrix[:, 2] -= corners.min(0)
    size = tuple(int(v) for v in np.ceil(corners.max(0) - corners.min(0)))
    return cv2.warpAffine(image, matrix, size, borderMode=cv2.BORDER_REPLICATE)


def test_tilt_of_a_quad():
    quad = np.array([[0, 0], [100, 0], [100, 20], [0, 20]], np.float32)
    assert tilt_degrees(quad) == pytest.approx(0)
    turn = cv2.getRotationMatrix2D((50, 10), -20, 1.0)  # OpenCV: positive turns counter-clockwise
    assert tilt_degrees(cv2.transform(quad[None], turn)[0]) == pytest.approx(20, abs=0.01)


def test_edge_tilt_of_turned_plates():
    """The plate's own edges tell its tilt, far past the ~10 degrees the detector's corners learnt:
    turning a crop by some degrees changes its edge tilt by as much (the example crops are seen at
    an angle, so each has some tilt of its own to start with)."""
    for row in [json.loads(line) for line in (CROPS / "labels.jsonl").read_text().splitlines()]:
        crop = load_image(CROPS / row["image"])
        own = edge_tilt_degrees(crop)
        for degrees in (-30, -15, 15, 30):
            tilt = edge_tilt_degrees(turned(crop, degrees))
            assert tilt == pytest.approx(own - degrees, abs=3), f"{row['image']} turned {degrees}: {tilt:.1f} deg"


@needs_models
def test_tilted_crops_are_read_after_the_plate_is_found_upright():
    rows = [json.loads(line) for line in (CROPS / "labels.jsonl").read_text().splitlines()]
    crops = [load_image(CROPS / r["image"]) for r in rows]
    # The search alone: a read fitted to its country afterwards would differ in how it was re-read.
    as_given, located = Reader(locate_in_crops=False, fit_to_country=False), Reader(fit_to_country=False)

    def right(reader: Reader, images: list[np.ndarray]) -> int:
        return sum(read.text == r["text"] for read, r in zip(reader.read_crops(images), rows, strict=True))

    # Upright crops read confidently as given are never searched, so they read the same located.
    # An unsure one may lose a right read to a more confident wrong one the search finds (in
    # session 14 be.png, read right at confidence 0.01 with a border, was located as 10IH36).
    for given, found in zip(as_given.read_crops(crops), located.read_crops(crops), strict=True):
        if given.fits_format and given.confidence >= CONFIDENT_CROP_READ:
            assert found.text == given.text
    assert right(located, crops) >= right(as_given, crops) - 1
    for degrees in (30, 20, -20, -30):
        tilted = [turned(c, degrees) for c in crops]
        given, found = right(as_given, tilted), right(located, tilted)
        assert found >= len(rows) // 2 and found >= given + 4, f"{degrees} deg: {found} located vs {given} as given"


@needs_models
def test_no_locate_reads_crops_without_the_detector(tmp_path):
    crop = str(CROPS / "es.png")
    missing = str(tmp_path / "none.onnx")
    result = CliRunner().invoke(main, ["read", "--crop", "--json", "--no-locate", "--detector", missing, crop])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["plates"][0]["text"]
    result = CliRunner().invoke(main, ["read", "--crop", "--detector", missing, crop])
    assert result.exit_code != 0 and "none.onnx: detector model not found" in result.output


def _turned_scenes(degrees: float):
    """Each example scene plate: the scene turned about its centre, the plate's corners there, its text."""
    for row in [json.loads(line) for line in (SCENES / "labels.jsonl").read_text().splitlines()]:
        image = load_image(SCENES / row["image"])
        h, w = image.shape[:2]
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
        image = cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)
        yield image, cv2.transform(np.float32(row["corners"])[None], matrix)[0], row["text"]


@needs_models
@pytest.mark.parametrize("degrees", [0, 15])
def test_located_corners_come_back_in_the_crops_pixels(degrees):
    """located_plate levels and turns its copy of the crop; the corners it returns are undone back
    to the crop's own pixels (a missed border or turn would move them by a third of the plate)."""
    detector = Reader().detector
    for image, quad, text in _turned_scenes(degrees):
        (x0, y0), (x1, y1) = quad.min(0), quad.max(0)
        left, top = int(x0 - 0.3 * (x1 - x0)), int(y0 - 0.3 * (y1 - y0))
        crop = image[top : int(y1 + 0.3 * (y1 - y0)), left : int(x1 + 0.3 * (x1 - x0))]
        found = located_plate(crop, detector)
        assert found is not None, text
        error = np.abs(found.corners + np.float32([left, top]) - quad).max()
        assert error < 0.15 * np.linalg.norm(quad[1] - quad[0]), f"{text} turned {degrees}: corners off by {error:.0f} px"


@needs_models
def test_a_detected_piece_of_a_plate_reports_the_whole_plate_found_around_it():
    """A detection of part of a tilted plate is read after the plate is found again around it;
    the read then reports that plate's box and corners, where it was read, not the piece's."""
    reader = Reader()
    right = 0
    for image, quad, text in _turned_scenes(20):
        (x0, y0), (x1, y1) = quad.min(0), quad.max(0)
        w, h = float(x1 - x0), float(y1 - y0)
        piece = (float(x0) + 0.15 * w, float(y0) + 0.15 * h, 0.7 * w, 0.7 * h)
        px, py, pw, ph = piece
        detection = Detection(piece, np.float32([[px, py], [px + pw, py], [px + pw, py + ph], [px, py + ph]]), 0.4)
        [as_detected] = read_detections(image, [detection], reader.recognizer)
        assert as_detected.box == piece  # without the detector nothing is found again
        [read] = read_detections(image, [detection], reader.recognizer, reader.detector)
        plate = [float(x0), float(y0), w, h]
        iou = iou_matrix([read.box], [plate])[0, 0]
        right += read.text == text and iou >= 0.5 and iou > iou_matrix([piece], [plate])[0, 0]
    assert right >= 5, right


class _EdgeSensitiveReader:
    """Reads a crop confidently only when it has a margin (wider than 100 px); the rest unsurely
    and one character short, as the network reads a crop cut at the plate's edges."""

    routes = ()  # no regional model reads beside it (Recognizer.routes)

    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    def read_crops(self, crops: list[np.ndarray]) -> list[PlateRead]:
        self.calls.append([c.shape[1] for c in crops])
        return [
            PlateRead("1234BCD", 0.99, [0.99] * 7, fits_format=True)
            if c.shape[1] > 100
            else PlateRead("234BCD", 0.4 if c[0, 0, 0] else 0.95, [0.4] * 6, fits_format=False)
            for c in crops
        ]


def test_a_crop_not_read_confidently_gets_a_second_look_in_several_views_and_the_views_vote():
    loose, tight, dark_tight = np.full((30, 120, 3), 200, np.uint8), np.full((30, 96, 3), 200, np.uint8), np.zeros((30, 40, 3), np.uint8)
    reader = _EdgeSensitiveReader()
    reads = read_crops([loose, tight, dark_tight], reader)  # type: ignore[arg-type]
    # The confident read is kept as read; the unsure ones are read again, in every view, in one batch.
    views_of = [[reframe(crop, margins).shape[1] for margins in SECOND_LOOK_VIEWS] for crop in (tight, dark_tight)]
    assert reader.calls == [[120, 96, 40], views_of[0] + views_of[1]]
    assert [r.text for r in reads] == ["1234BCD", "1234BCD", "234BCD"]
    assert "second_look" not in reads[0].extra
    # The tight crop gains a margin in four of its seven views (a border all round, wider, a margin
    # left, a margin right): those four outvote the read as given and the views cut in or taller.
    assert sum(width > 100 for width in views_of[0]) == 4
    assert reads[1].extra["second_look"] == {"views": 8, "agreeing": 4, "as_given": "234BCD"}
    # No view of the dark crop is over 100 px: all eight agree on the read as given.
    assert reads[2].extra["second_look"]["agreeing"] == 8 and reads[2].confidence == 0.95
    # Without the second look every crop is read once, as given.
    reader.calls.clear()
    once = read_crops([loose, tight, dark_tight], reader, second_look=False)  # type: ignore[arg-type]
    assert reader.calls == [[120, 96, 40]] and [r.text for r in once] == ["1234BCD", "234BCD", "234BCD"]


def test_a_detection_not_read_confidently_gets_the_second_look_too():
    image = np.full((200, 400, 3), 200, np.uint8)
    box = (100.0, 80.0, 80.0, 20.0)  # cut with a 10% margin: 96 px wide, read unsurely one short
    x, y, w, h = box
    detection = Detection(box, np.float32([[x, y], [x + w, y], [x + w, y + h], [x, y + h]]), 0.8)
    reader = _EdgeSensitiveReader()
    [read] = read_detections(image, [detection], reader)  # type: ignore[arg-type]
    assert [len(call) for call in reader.calls] == [1, len(SECOND_LOOK_VIEWS)]
    assert read.text == "1234BCD" and read.extra["second_look"]["agreeing"] == 4
    assert read.box == box and read.detection_confidence == 0.8
    reader.calls.clear()
    [once] = read_detections(image, [detection], reader, second_look=False)  # type: ignore[arg-type]
    assert reader.calls == [[96]] and once.text == "234BCD"
    # A detection the filter could not keep however it read (less confident than the least a kept
    # plate needs) is read once, second look or not.
    reader.calls.clear()
    [hopeless] = read_detections(image, [detection], reader, min_detection_confidence=0.81)  # type: ignore[arg-type]
    assert reader.calls == [[96]] and hopeless.text == "234BCD"


class _TiltSensitiveReader:
    """Reads crops by their grey level: a confident plate (200), a tilted plate whose views all
    agree on a wrong read (50), the plate cut out upright by the search (77, 0.95) or a poorer
    cut-out (78, 0.6)."""

    routes = ()

    def read_crops(self, crops: list[np.ndarray]) -> list[PlateRead]:
        return [self._read(crop) for crop in crops]

    @staticmethod
    def _read(crop: np.ndarray) -> PlateRead:
        text, confidence = {200: ("1234BCD", 0.99), 77: ("AB123CD", 0.95), 78: ("AB123CD", 0.6)}.get(int(crop[0, 0, 0]), ("", 0.0))
        if not text and crop.shape[1] == 96:  # the tilted crop as given
            return PlateRead("X1", 0.3, [0.3] * 2, fits_format=False)
        if not text:  # any re-framed view of it
            text, confidence = "WR0NG12", 0.85
        return PlateRead(text, confidence, [confidence] * len(text), fits_format=True)


@pytest.mark.parametrize(("cut_out_level", "expected"), [(77, "AB123CD"), (78, "WR0NG12")])
def test_a_crop_unsure_as_given_is_searched_whatever_its_second_look_read(monkeypatch, cut_out_level, expected):
    """Views of a tilted crop can agree on a wrong read with confidence; the search still runs for a
    crop not read confidently as given, and the more confident of the two reads wins."""
    searched: list[int] = []

    def fake_locate(crop, detector):
        searched.append(int(crop[0, 0, 0]))
        return LocatedPlate(np.full((20, 100, 3), cut_out_level, np.uint8), 0.9, np.zeros((4, 2), np.float32))

    monkeypatch.setattr("platereader.pipeline.located_plate", fake_locate)
    upright, tilted = np.full((30, 120, 3), 200, np.uint8), np.full((30, 96, 3), 50, np.uint8)
    reads = read_crops([upright, tilted], _TiltSensitiveReader(), detector=object())  # type: ignore[arg-type]
    assert searched == [50]  # the confident crop is not searched
    assert reads[0].text == "1234BCD" and reads[1].text == expected
    assert bool(reads[1].extra.get("located")) == (expected == "AB123CD")


def test_the_vote_weighs_each_read_by_one_plus_its_confidence():
    def read(text: str, confidence: float) -> PlateRead:
        return PlateRead(text, confidence, [confidence] * len(text), fits_format=True)

    # Two reads agreeing at 0.3 (2.6) outweigh one at 0.9 (1.9); the more confident of the two wins.
    voted = _vote([read("AB123", 0.9), read("AB128", 0.3), read("AB128", 0.35)])
    assert (voted.text, voted.confidence) == ("AB128", 0.35)
    assert voted.extra["second_look"] == {"views": 3, "agreeing": 2, "as_given": "AB123"}
    # A tie goes to the read as given.
    assert _vote([read("AB123", 0.5), read("AB128", 0.5)]).text == "AB123"


def test_reframe_adds_edge_pixels_or_cuts_per_side():
    crop = np.arange(20 * 100 * 3, dtype=np.uint8).reshape(20, 100, 3)
    out = reframe(crop, (0.08, 0.0, -0.1, 0.05))
    assert out.shape == (20 - 2 + 1, 108, 3)
    np.testing.assert_array_equal(out[:-1, 8:], crop[2:])  # two rows cut off the top
    np.testing.assert_array_equal(out[:-1, 0], crop[2:, 0])  # eight copies of the left column
    np.testing.assert_array_equal(out[-1, 8:], crop[-1])  # one copy of the bottom row
    # Cutting more than the crop holds still leaves a pixel.
    assert reframe(crop[:2, :3], (-0.5, -0.5, -0.5, -0.5)).shape[:2] == (1, 1)


def test_with_border_repeats_the_edge_pixels():
    crop = np.arange(20 * 100 * 3, dtype=np.uint8).reshape(20, 100, 3)
    out = with_border(crop, 0.05)
    assert out.shape == (22, 110, 3)
    np.testing.assert_array_equal(out[1:-1, 5:-5], crop)
    np.testing.assert_array_equal(out[1:-1, 0], crop[:, 0])
    np.testing.assert_array_equal(out[0, 5:-5], crop[0])
