"""Detector geometry (encoding <-> decoding, letterbox, NMS, IoU), rectification and box files."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from platereader.detection.boxes import BoxFileError, boxes_for, load_box_source, read_yolo
from platereader.detection.evaluate import score_detections
from platereader.detection.geometry import STRIDE, box_corners, decode, drop_contained, encode_targets, iou_matrix, letterbox, match, nms
from platereader.detection.rectify import crop_box, plate_crops, plausible_quad, rectify


def _peaks(heat: np.ndarray) -> np.ndarray:
    return heat * (heat == 1)


def test_decode_inverts_encode_for_boxes_and_corners():
    boxes = np.array([[100, 50, 80, 20], [10, 200, 30, 25], [250, 260, 60, 44]], np.float32)
    corners = np.stack([box_corners(b) for b in boxes])
    corners[0] += [[3, 1], [-2, 0], [0, 2], [1, -1]]  # a tilted plate
    heat, reg, weight = encode_targets(boxes, corners, np.array([True, False, True]), 320, 320)
    assert heat.shape == (320 // STRIDE, 320 // STRIDE) and reg.shape == weight.shape == (12, 80, 80)
    assert (heat == 1).sum() == 3
    # corners are supervised only where known
    assert weight[4:].sum() == 2 * 8 and weight[:4].sum() == 3 * 4
    out_boxes, out_corners, scores = decode(np.concatenate([_peaks(heat)[None], reg]), 0.5)
    order = np.argsort(out_boxes[:, 1])  # decode returns grid order; sort like the input (by y)
    np.testing.assert_allclose(out_boxes[order], boxes[np.argsort(boxes[:, 1])], atol=1e-3)
    np.testing.assert_allclose(out_corners[order][0], corners[0], atol=1e-3)
    assert np.all(scores == 1)


def test_decode_keeps_only_the_strongest_candidates():
    out = np.zeros((13, 80, 80), np.float32)
    out[0] = np.random.default_rng(0).uniform(0.5, 1.0, (80, 80))  # a "plate" in every cell
    boxes, corners, scores = decode(out, 0.3)
    assert len(boxes) == len(corners) == len(scores) == 100
    assert scores.min() >= np.sort(out[0].ravel())[-100]


def test_encode_skips_boxes_outside_the_grid():
    heat, _, weight = encode_targets(np.array([[400, 10, 40, 10]], np.float32), np.zeros((1, 4, 2)), np.array([True]), 320, 320)
    assert heat.max() == 0 and weight.sum() == 0


@pytest.mark.parametrize(("h", "w", "scale"), [(720, 1280, 0.5), (416, 416, 1.5), (3000, 4000, 0.16)])
def test_letterbox_scales_the_long_side_and_pads_to_32(h, w, scale):
    padded, lb = letterbox(np.full((h, w, 3), 200, np.uint8), 640, 1.5)
    assert lb.scale == pytest.approx(scale)
    assert padded.shape[0] % 32 == 0 and padded.shape[1] % 32 == 0
    assert max(lb.width, lb.height) <= 640
    assert padded[lb.height :, :].sum() == 0 and padded[: lb.height, : lb.width].min() == 200


def test_nms_iou_and_matching():
    boxes = np.array([[0, 0, 100, 20], [2, 1, 100, 20], [300, 300, 50, 10]], np.float32)
    keep = nms(boxes, np.array([0.9, 0.8, 0.7], np.float32))
    assert sorted(keep.tolist()) == [0, 2]
    assert iou_matrix(boxes[:1], boxes[:1])[0, 0] == pytest.approx(1.0)
    assert iou_matrix(boxes[:1], boxes[2:])[0, 0] == 0
    assert match(boxes[[2, 0]], boxes[[0]]) == [(1, 0)]


def test_a_second_detection_on_part_of_a_plate_is_dropped():
    whole, right_half, other = [0, 0, 200, 50], [110, 5, 100, 45], [300, 0, 100, 30]
    boxes = np.array([whole, right_half, other], np.float32)
    assert iou_matrix(boxes[:1], boxes[1:2])[0, 0] < 0.4  # so NMS alone keeps both
    assert drop_contained(boxes, np.array([0, 1, 2])).tolist() == [0, 2]
    assert drop_contained(boxes, np.array([1, 0, 2])).tolist() == [1, 0, 2]  # the whole plate is not inside the part


def test_detection_scores_count_found_and_false_plates():
    truth = [np.array([[0, 0, 100, 20]]), np.array([[50, 50, 60, 15], [5, 5, 10, 4]])]  # the 10 px box is too small to count
    pred = [np.array([[1, 0, 100, 20], [400, 400, 50, 10]]), np.zeros((0, 4))]
    s = score_detections(pred, truth)
    assert (s.plates, s.found, s.detections, s.false) == (2, 1, 2, 1)
    assert s.recall == 0.5 and s.as_dict()["false_per_image"] == 0.5


def _plate_like(width: int = 200, height: int = 44) -> np.ndarray:
    plate = np.full((height, width, 3), 255, np.uint8)
    cv2.rectangle(plate, (0, 0), (width - 1, height - 1), (0, 0, 0), 2)
    cv2.line(plate, (10, height // 2), (width - 10, height // 2), (0, 0, 0), 3)  # a horizontal stroke
    return plate


def test_rectify_enlarges_a_small_plate_in_the_same_warp():
    plate = cv2.resize(_plate_like(), (40, 10), interpolation=cv2.INTER_AREA)
    quad = box_corners(np.array([0, 0, 40, 10], np.float32))
    assert rectify(plate, quad).shape[:2] == (12, 48)  # its own resolution plus the 10% margin
    big = rectify(plate, quad, min_width=64)
    assert big.shape[:2] == (19, 77)  # 64 x 16 plus the margin: the plate's shape kept
    assert rectify(plate, quad, min_width=20).shape[:2] == (12, 48)  # never shrunk


def test_rectify_straightens_a_tilted_plate():
    plate = _plate_like()
    quad = np.array([[120, 80], [310, 40], [318, 84], [128, 126]], np.float32)  # rotated and skewed
    src = box_corners(np.array([0, 0, plate.shape[1], plate.shape[0]], np.float32))
    scene = cv2.warpPerspective(plate, cv2.getPerspectiveTransform(src, quad), (400, 200), borderValue=(90, 90, 90))
    crop = rectify(scene, quad)
    h, w = crop.shape[:2]
    assert 3.0 < w / h < 5.5  # a one-row plate's shape, margin included
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    rows = (grey[:, w // 4 : 3 * w // 4] < 100).mean(axis=1)
    assert rows[int(h * 0.4) : int(h * 0.6)].max() > 0.9  # the stroke runs straight across the middle


def test_plate_crops_straighten_by_trusted_corners_and_keep_the_box():
    image = np.zeros((100, 200, 3), np.uint8)
    box = (50, 40, 80, 20)
    crossed = np.array([[50, 40], [130, 60], [130, 40], [50, 60]], np.float32)  # a bow tie
    assert not plausible_quad(crossed, box)
    [only] = plate_crops(image, box, crossed)
    assert only.shape == crop_box(image, box).shape == (24, 96, 3)
    assert len(plate_crops(image, box, box_corners(np.array(box, np.float32)))) == 1  # a caller's box: one view
    tilted = np.array([[52, 44], [128, 40], [130, 56], [50, 60]], np.float32)
    straight, loose = plate_crops(image, box, tilted)  # trusted corners: straightened, and the box too
    assert loose.shape == crop_box(image, box).shape and straight.shape != loose.shape
    with pytest.raises(ValueError, match="outside"):
        crop_box(image, (500, 500, 10, 10))


def test_yolo_and_jsonl_box_files(tmp_path):
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "car.txt").write_text("0 0.5 0.5 0.25 0.1\n\n0 0.1 0.2 0.1 0.05\n")
    np.testing.assert_allclose(read_yolo(labels / "car.txt", 400, 200), [[150, 90, 100, 20], [20, 35, 40, 10]])
    source = load_box_source(labels)
    assert boxes_for(source, tmp_path / "car.jpg", 400, 200)[0] == pytest.approx([150, 90, 100, 20])
    assert boxes_for(source, tmp_path / "other.jpg", 400, 200) is None
    (labels / "bad.txt").write_text("0 0.5 0.5\n")
    with pytest.raises(BoxFileError, match=r"bad\.txt:1"):
        read_yolo(labels / "bad.txt", 10, 10)

    jsonl = tmp_path / "boxes.jsonl"
    jsonl.write_text(json.dumps({"image": "a/car.jpg", "boxes": [[1, 2, 30, 10]]}) + "\n" + json.dumps({"image": "b/van.jpg", "boxes": []}))
    source = load_box_source(jsonl)
    assert boxes_for(source, Path("a/car.jpg"), 0, 0) == [[1, 2, 30, 10]]  # as written
    assert boxes_for(source, tmp_path / "a" / "car.jpg", 0, 0) == [[1, 2, 30, 10]]  # by file name
    assert boxes_for(source, tmp_path / "b" / "van.jpg", 0, 0) == []
    assert boxes_for(source, tmp_path / "bus.jpg", 0, 0) is None
    jsonl.write_text('{"image": "x.jpg", "boxes": [[1, 2, -3, 4]]}\n')
    with pytest.raises(BoxFileError, match=r"boxes\.jsonl:1"):
        load_box_source(jsonl)
    with pytest.raises(BoxFileError, match="no such"):
        load_box_source(tmp_path / "missing.jsonl")
