"""Cut a plate out of a full image, straightened by its four corners, with the margin the
recognizer was trained with (a detector's loose box: about 10% of the plate on each side)."""

from __future__ import annotations

import cv2
import numpy as np

from platereader.detection.geometry import box_corners

MARGIN = 0.1
# A plate the corner finder (runtime/corners.py) cuts out narrower than this is enlarged to it in
# the same warp: cut at its own resolution and then enlarged by the recognizer's resize, strokes a
# pixel wide blur away. Chosen on generated plates (seed 777: 97.30% read, 97.27% at the plate's
# resolution, 97.07% enlarged to 128) and uc3m's train split (no change); on the real plates of
# benchmarks/robustness.py scaled to 40 px wide it read 36 of the 41 European plates where the
# plate's resolution read 30.
MIN_CUT_WIDTH = 64


def crop_box(image: np.ndarray, box, margin: float = MARGIN) -> np.ndarray:
    """An axis-aligned (x, y, w, h) box plus ``margin`` of its size on each side, clipped to the image."""
    x0, y0, x1, y1 = crop_bounds(image, box, margin)
    return image[y0:y1, x0:x1]


def crop_bounds(image: np.ndarray, box, margin: float = MARGIN) -> tuple[int, int, int, int]:
    """The pixel bounds (x0, y0, x1, y1) of ``crop_box``'s cut."""
    x, y, w, h = (float(v) for v in box)
    ih, iw = image.shape[:2]
    x0, y0 = max(0, round(x - margin * w)), max(0, round(y - margin * h))
    x1, y1 = min(iw, round(x + w + margin * w)), min(ih, round(y + h + margin * h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        raise ValueError(f"box {box} lies outside the {iw}x{ih} image")
    return x0, y0, x1, y1


def convex_quad(corners: np.ndarray) -> bool:
    """Four finite points that make a convex quadrilateral."""
    quad = np.asarray(corners, np.float32)
    return quad.shape == (4, 2) and bool(np.isfinite(quad).all()) and bool(cv2.isContourConvex(quad.reshape(-1, 1, 2)))


def quad_size(corners: np.ndarray) -> tuple[float, float]:
    """A plate quad's (TL, TR, BR, BL) width and height: the means of its opposite sides."""
    tl, tr, br, bl = np.asarray(corners, np.float32)
    width = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    height = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    return float(width), float(height)


def plausible_quad(corners: np.ndarray, box) -> bool:
    """A convex quadrilateral that covers a fair part of its box (else the box is safer)."""
    if not convex_quad(corners):
        return False
    area = cv2.contourArea(np.asarray(corners, np.float32))
    return 0.35 * box[2] * box[3] <= area <= 1.6 * box[2] * box[3]


def cut_out_matrix(corners: np.ndarray, margin: float = MARGIN, min_width: float = 0.0) -> tuple[np.ndarray, tuple[int, int]]:
    """The perspective matrix that takes the plate quad (TL, TR, BR, BL) upright with ``margin`` of
    its size around it, and the output's (width, height): the plate's own resolution, or enlarged so
    that the plate is at least ``min_width`` pixels wide."""
    width, height = quad_size(corners)
    w, h = max(4.0, width), max(2.0, height)
    if w < min_width:
        w, h = min_width, h * min_width / w
    mx, my = margin * w, margin * h
    target = np.array([[mx, my], [mx + w, my], [mx + w, my + h], [mx, my + h]], np.float32)
    matrix = cv2.getPerspectiveTransform(np.asarray(corners, np.float32), target)
    return matrix, (round(w + 2 * mx), round(h + 2 * my))


def rectify(image: np.ndarray, corners: np.ndarray, margin: float = MARGIN, min_width: float = 0.0) -> np.ndarray:
    """Warp the plate quad (TL, TR, BR, BL) to an upright crop (``cut_out_matrix``)."""
    return warp_upright(image, *cut_out_matrix(corners, margin, min_width))


def warp_upright(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` warped by ``cut_out_matrix``'s matrix into its output size (edges repeated)."""
    return cv2.warpPerspective(image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def plate_crops(image: np.ndarray, box, corners: np.ndarray | None) -> list[np.ndarray]:
    """The crops a plate is read from: straightened by its corners when they are trustworthy, and
    then the plain box as well, because corners a little off cut into the characters at the plate's
    ends (the pipeline keeps the more confident read). The box alone when the corners are not
    trustworthy, or are the box's own (a caller's box)."""
    if corners is None or not plausible_quad(corners, box):
        return [crop_box(image, box)]
    straight = rectify(image, corners)
    if np.allclose(np.asarray(corners, np.float32), box_corners(np.asarray(box, np.float32)), atol=0.5):
        return [straight]
    return [straight, crop_box(image, box)]
