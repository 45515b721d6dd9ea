"""Find the plate inside a crop: a cut-out plate, or another detector's box, which may be loose,
shifted or hold a tilted plate. The recognizer reads plates that fill a crop upright; this finds
the plate's corners with the detector and cuts it out straight."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from platereader.detection.detector import Detector
from platereader.detection.geometry import turned
from platereader.detection.rectify import plausible_quad, rectify
from platereader.runtime.preprocess import edge_tilt_degrees, with_border

CONTEXT = 0.3  # border added around a crop (its edge pixels repeated), so a plate at the edge is whole
DETECT_WIDTH = 160  # detect in a copy this wide: the detector misses corners of plates that fill a big image
MIN_SCORE = 0.1  # below the full-image threshold: a crop is known to hold a plate, the best candidate will do
# A plate tilted more is turned upright and found again: the detector learnt corners from plates
# turned 10 degrees at most, so on a steeper plate they cover only part of it.
MIN_TURN_DEGREES = 5.0


@dataclass
class LocatedPlate:
    """A plate found inside a crop."""

    image: np.ndarray  # the plate cut out upright, for the recognizer
    confidence: float  # the detector's confidence in the plate it cut out
    corners: np.ndarray  # TL, TR, BR, BL in the searched crop's pixels


def _homogeneous(matrix: np.ndarray) -> np.ndarray:
    return np.vstack([matrix, [0.0, 0.0, 1.0]])


def _moved(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    return cv2.transform(np.asarray(points, np.float32)[None], matrix[:2])[0]


def plate_quad(image: np.ndarray, detector: Detector) -> tuple[np.ndarray, float] | None:
    """Corners (TL, TR, BR, BL) of the most confident plate in ``image`` and the detector's
    confidence in it, or None."""
    scale = min(1.0, DETECT_WIDTH / image.shape[1])
    small = image
    if scale < 1:
        size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    found = detector.detect(small, threshold=MIN_SCORE)
    if not found or not plausible_quad(found[0].corners, found[0].box):
        return None
    return np.asarray(found[0].corners, np.float32) / scale, float(found[0].confidence)


def tilt_degrees(quad: np.ndarray) -> float:
    """Slope of the quad's top and bottom edges, in degrees (image y points down: positive when the
    right end is lower); turning the image by it with OpenCV sets the plate level."""
    tl, tr, br, bl = quad
    dx, dy = (tr - tl) + (br - bl)
    return math.degrees(math.atan2(dy, dx))


def located_plate(crop: np.ndarray, detector: Detector) -> LocatedPlate | None:
    """The plate in ``crop`` cut out upright by its corners, or None when none is found. A crop
    whose edges are tilted is levelled first, so the detector sees the plate as it learnt plates;
    then a plate whose corners still slope is turned by them and found again. The corners come
    back in ``crop``'s pixels (each turn and the context border undone)."""
    image = with_border(crop, CONTEXT)
    dy, dx = (np.subtract(image.shape[:2], crop.shape[:2]) // 2).tolist()
    to_crop = np.array([[1.0, 0.0, -dx], [0.0, 1.0, -dy], [0.0, 0.0, 1.0]])
    edge_tilt = edge_tilt_degrees(crop)  # the crop alone: its repeated border would pull the tilt to level
    if abs(edge_tilt) > MIN_TURN_DEGREES:
        image, matrix = turned(image, edge_tilt)
        to_crop = to_crop @ np.linalg.inv(_homogeneous(matrix))
    found = plate_quad(image, detector)
    if found is None:
        return None
    quad, confidence = found
    angle = tilt_degrees(quad)
    if abs(angle) > MIN_TURN_DEGREES:
        upright, matrix = turned(image, angle, quad.mean(0))
        again = plate_quad(upright, detector)
        if again is not None:
            back = to_crop @ np.linalg.inv(_homogeneous(matrix))
            return LocatedPlate(rectify(upright, again[0]), again[1], _moved(again[0], back))
    return LocatedPlate(rectify(image, quad), confidence, _moved(quad, to_crop))
