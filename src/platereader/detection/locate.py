"""Find the plate inside a crop: a cut-out plate, or another detector's box, which may be loose,
shifted or hold a tilted plate. The recognizer reads plates that fill a crop upright; this finds
the plate's corners with the detector and cuts it out straight."""

from __future__ import annotations

import math

import cv2
import numpy as np

from platereader.detection.detector import Detector
from platereader.detection.rectify import plausible_quad, rectify

CONTEXT = 0.3  # border added around a crop (its edge pixels repeated), so a plate at the edge is whole
DETECT_WIDTH = 160  # detect in a copy this wide: the detector misses corners of plates that fill a big image
MIN_SCORE = 0.1  # below the full-image threshold: a crop is known to hold a plate, the best candidate will do
# A plate tilted more is turned upright and found again: the detector learnt corners from plates
# turned 10 degrees at most, so on a steeper plate they cover only part of it.
MIN_TURN_DEGREES = 5.0


def with_context(crop: np.ndarray) -> np.ndarray:
    h, w = crop.shape[:2]
    dx, dy = round(CONTEXT * w), round(CONTEXT * h)
    return cv2.copyMakeBorder(crop, dy, dy, dx, dx, cv2.BORDER_REPLICATE)


def plate_quad(image: np.ndarray, detector: Detector) -> np.ndarray | None:
    """Corners (TL, TR, BR, BL) of the most confident plate in ``image``, or None."""
    scale = min(1.0, DETECT_WIDTH / image.shape[1])
    small = image
    if scale < 1:
        size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    found = detector.detect(small, threshold=MIN_SCORE)
    if not found or not plausible_quad(found[0].corners, found[0].box):
        return None
    return np.asarray(found[0].corners, np.float32) / scale


def tilt_degrees(quad: np.ndarray) -> float:
    """Slope of the quad's top and bottom edges, in degrees (image y points down: positive when the
    right end is lower); turning the image by it with OpenCV sets the plate level."""
    tl, tr, br, bl = quad
    dx, dy = (tr - tl) + (br - bl)
    return math.degrees(math.atan2(dy, dx))


def located_plate(crop: np.ndarray, detector: Detector) -> np.ndarray | None:
    """The plate in ``crop`` cut out upright by its corners, or None when none is found."""
    image = with_context(crop)
    quad = plate_quad(image, detector)
    if quad is None:
        return None
    angle = tilt_degrees(quad)
    if abs(angle) > MIN_TURN_DEGREES:
        turn = cv2.getRotationMatrix2D(tuple(float(v) for v in quad.mean(0)), angle, 1.0)
        upright = cv2.warpAffine(image, turn, image.shape[1::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        upright_quad = plate_quad(upright, detector)
        if upright_quad is not None:
            return rectify(upright, upright_quad)
    return rectify(image, quad)
