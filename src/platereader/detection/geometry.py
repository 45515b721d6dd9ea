"""Detector geometry in numpy/OpenCV: letterboxing, head encoding and decoding, NMS, IoU.

The head works on a stride-4 grid. At a plate's centre cell it holds the centre's sub-cell offset,
log(box size in cells) and the four corners (TL, TR, BR, BL) relative to the centre in units of
the box width and height. ``encode_targets`` (training) and ``decode`` (run time) are inverses.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

STRIDE = 4
PAD_MULTIPLE = 32
MAX_CANDIDATES = 100  # strongest peaks kept before NMS: no photo holds more plates, and NMS is quadratic


@dataclass
class Letterbox:
    """How an image was scaled (and padded at right and bottom) for the detector."""

    scale: float
    width: int  # scaled size before padding
    height: int


def letterbox(image: np.ndarray, long_side: int, max_upscale: float) -> tuple[np.ndarray, Letterbox]:
    """Scale so the long side is ``long_side`` (enlarging at most ``max_upscale``), pad to a multiple of 32."""
    h, w = image.shape[:2]
    scale = min(long_side / max(h, w), max_upscale)
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (sw, sh), interpolation=interp) if (sw, sh) != (w, h) else image
    ph, pw = -(-sh // PAD_MULTIPLE) * PAD_MULTIPLE, -(-sw // PAD_MULTIPLE) * PAD_MULTIPLE
    out = np.zeros((ph, pw, 3), np.uint8)
    out[:sh, :sw] = resized
    return out, Letterbox(scale, sw, sh)


def to_input(images: np.ndarray) -> np.ndarray:
    """N x H x W x 3 uint8 RGB -> N x 3 x H x W float32 in [-1, 1]."""
    return (images.astype(np.float32).transpose(0, 3, 1, 2) * (2 / 255)) - 1


def clip_box(x: float, y: float, w: float, h: float, width: int, height: int) -> tuple[float, float, float, float]:
    """The part of the (x, y, w, h) box inside a ``width`` x ``height`` image."""
    x0, y0 = max(0.0, x), max(0.0, y)
    return (x0, y0, min(float(width), x + w) - x0, min(float(height), y + h) - y0)


def box_corners(box: np.ndarray) -> np.ndarray:
    """(x, y, w, h) -> 4 x 2 corners TL, TR, BR, BL."""
    x, y, w, h = box
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float32)


def turned(image: np.ndarray, degrees: float, centre=None) -> tuple[np.ndarray, np.ndarray]:
    """``image`` turned about ``centre`` (default: its own centre) by ``degrees`` (OpenCV's sense:
    counter-clockwise), its edges repeated into the gaps, and the 2 x 3 matrix that moves its points
    the same way."""
    if centre is None:
        centre = (image.shape[1] / 2, image.shape[0] / 2)
    matrix = cv2.getRotationMatrix2D(tuple(float(v) for v in centre), degrees, 1.0)
    return cv2.warpAffine(image, matrix, image.shape[1::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE), matrix


def upright_box_around(box, matrix: np.ndarray) -> tuple[float, float, float, float]:
    """The axis-aligned (x, y, w, h) box around ``box`` moved by the 2 x 3 affine ``matrix``."""
    return box_around(cv2.transform(box_corners(np.asarray(box, np.float32))[None], matrix)[0])


def box_around(points: np.ndarray) -> tuple[float, float, float, float]:
    """The axis-aligned (x, y, w, h) box around N x 2 ``points``."""
    (x0, y0), (x1, y1) = np.asarray(points).min(0), np.asarray(points).max(0)
    return (float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def encode_targets(
    boxes: np.ndarray, corners: np.ndarray, has_corners: np.ndarray, height: int, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training targets for one image of ``height`` x ``width`` pixels.

    boxes: N x 4 (x, y, w, h) px; corners: N x 4 x 2 px; has_corners: N bools (real photos have
    boxes only). Returns heat (h x w), regression targets (12 x h x w) and their weights
    (12 x h x w: 1 at a plate's centre cell, corner channels only where corners are known).
    """
    gh, gw = height // STRIDE, width // STRIDE
    heat = np.zeros((gh, gw), np.float32)
    reg = np.zeros((12, gh, gw), np.float32)
    weight = np.zeros((12, gh, gw), np.float32)
    ys, xs = np.mgrid[0:gh, 0:gw].astype(np.float32)
    for box, quad, known in zip(boxes, corners, has_corners, strict=True):
        x, y, w, h = box
        if w < 2 or h < 2:
            continue
        cx, cy = (x + w / 2) / STRIDE, (y + h / 2) / STRIDE
        ix, iy = int(cx), int(cy)
        if not (0 <= ix < gw and 0 <= iy < gh):
            continue
        sx, sy = max(w / STRIDE / 6, 0.6), max(h / STRIDE / 6, 0.6)
        heat = np.maximum(heat, np.exp(-(((xs - ix) / sx) ** 2 + ((ys - iy) / sy) ** 2) / 2))
        heat[iy, ix] = 1.0
        reg[0:2, iy, ix] = cx - ix, cy - iy
        reg[2:4, iy, ix] = np.log(w / STRIDE), np.log(h / STRIDE)
        reg[4:12, iy, ix] = ((quad - [x + w / 2, y + h / 2]) / [w, h]).reshape(-1)
        weight[0:4, iy, ix] = 1.0
        weight[4:12, iy, ix] = float(known)
    return heat, reg, weight


def decode(output: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image's head output (13 x h x w, channel 0 = peak scores) -> boxes (N x 4 x,y,w,h),
    corners (N x 4 x 2) and scores (N), in the detector's input pixels."""
    iy, ix = np.nonzero(output[0] >= threshold)
    if len(iy) > MAX_CANDIDATES:
        top = np.argsort(-output[0, iy, ix])[:MAX_CANDIDATES]
        iy, ix = iy[top], ix[top]
    scores = output[0, iy, ix]
    off = output[1:3, iy, ix]
    size = np.exp(np.clip(output[3:5, iy, ix], -3, 6)) * STRIDE
    cx, cy = (ix + off[0]) * STRIDE, (iy + off[1]) * STRIDE
    w, h = size
    boxes = np.stack([cx - w / 2, cy - h / 2, w, h], 1).astype(np.float32)
    rel = output[5:13, iy, ix].T.reshape(-1, 4, 2)
    corners = (rel * np.stack([w, h], 1)[:, None, :] + np.stack([cx, cy], 1)[:, None, :]).astype(np.float32)
    return boxes, corners, scores.astype(np.float32)


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float = 0.4) -> np.ndarray:
    """Indices kept by non-maximum suppression, best first."""
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    keep = cv2.dnn.NMSBoxes(boxes.tolist(), scores.tolist(), 0.0, iou)
    return np.array(keep, np.int64).reshape(-1)


def drop_contained(boxes: np.ndarray, order: np.ndarray, ratio: float = 0.7) -> np.ndarray:
    """From ``order`` (best first) drop boxes lying mostly (``ratio`` of their area) inside a better
    one: a centre-point detector can fire a second time on part of a large plate, which IoU-based
    NMS keeps because the part's IoU with the whole is small."""
    kept: list[int] = []
    for i in order:
        inside = [inside_share(boxes[i], boxes[k]) for k in kept]
        if not inside or max(inside) < ratio:
            kept.append(int(i))
    return np.array(kept, np.int64)


def inside_share(box, frame) -> float:
    """The share of (x, y, w, h) ``box``'s area that lies inside ``frame``."""
    return _intersection(box, frame) / max(float(box[2] * box[3]), 1e-6)


def _intersection(a: np.ndarray, b: np.ndarray) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return float(max(w, 0) * max(h, 0))


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU between every (x, y, w, h) box in ``a`` and every one in ``b``."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), np.float32)
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 0] + a[:, None, 2], b[None, :, 0] + b[None, :, 2])
    y1 = np.minimum(a[:, None, 1] + a[:, None, 3], b[None, :, 1] + b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    union = a[:, None, 2] * a[:, None, 3] + b[None, :, 2] * b[None, :, 3] - inter
    return inter / np.maximum(union, 1e-6)


def match(pred: np.ndarray, truth: np.ndarray, threshold: float = 0.5) -> list[tuple[int, int]]:
    """Greedy one-to-one matching of predictions (in confidence order) to true boxes at IoU >= threshold."""
    ious = iou_matrix(pred, truth)
    pairs, used = [], set()
    for i in range(len(pred)):
        candidates = [(ious[i, j], j) for j in range(len(truth)) if j not in used and ious[i, j] >= threshold]
        if candidates:
            j = max(candidates)[1]
            used.add(j)
            pairs.append((i, j))
    return pairs
