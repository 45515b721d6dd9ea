"""Image pre-processing shared by training and the ONNX runtime (numpy + OpenCV only).

Training and reading must feed the network identical pixels; both call these functions.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

# The crop's shape alone cannot tell the rows apart: a straight one-row plate is 3.3-4.7 wide even
# in a loose box and a two-row one 1.2-2, but a one-row plate tilted 30 degrees, or seen in a box
# with a lot of bumper, is 1.4-2.5 wide. Below this aspect the reader tries both layouts and keeps
# the better read (see decode.best_layout); training folds by the generator's known rows.
TWO_ROW_MAX_ASPECT = 2.6


def unfold_two_rows(image: np.ndarray) -> np.ndarray:
    """Put the top half of a two-row plate to the left of the bottom half, so it reads as one row.

    The halves overlap a little, so a character row that sits off-centre is not cut in two.
    """
    h = image.shape[0]
    top = image[: round(h * 0.56)]
    bottom = image[int(h * 0.44) :]
    n = min(len(top), len(bottom))
    return np.hstack([top[:n], bottom[-n:]])


def may_be_two_rows(image: np.ndarray) -> bool:
    h, w = image.shape[:2]
    return w < TWO_ROW_MAX_ASPECT * h


def prepare_crop(image: np.ndarray, width: int, height: int, two_rows: bool = False) -> np.ndarray:
    """A plate crop as the network sees it: a two-row plate unfolded into one row, then resized."""
    if two_rows:
        image = unfold_two_rows(image)
    return resize_crop(image, width, height)


def crop_views(image: np.ndarray, width: int, height: int) -> list[np.ndarray]:
    """Grey model-size views of a crop: as one row, and unfolded when it may hold two rows."""
    return _views_and_one_row(image, width, height)[0]


def _views_and_one_row(image: np.ndarray, width: int, height: int) -> tuple[list[np.ndarray], np.ndarray]:
    """``crop_views`` and the one-row view before it is made grey."""
    one_row = prepare_crop(image, width, height)
    views = [to_grey(one_row)]
    if may_be_two_rows(image):
        views.append(to_grey(prepare_crop(image, width, height, two_rows=True)))
    return views, one_row


def resize_crop(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Stretch an RGB (or grey) crop to the model's input size; area filter when shrinking."""
    h, w = image.shape[:2]
    interp = cv2.INTER_AREA if (w > width or h > height) else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interp)


def with_border(image: np.ndarray, share: float) -> np.ndarray:
    """``image`` with ``share`` of its width added left and right and of its height above and
    below, in copies of its own edge pixels (a crop cut at the plate's edges gains a margin)."""
    return reframe(image, (share, share, share, share))


def reframe(image: np.ndarray, margins: tuple[float, float, float, float]) -> np.ndarray:
    """``image`` re-framed by ``margins`` (left, right, top, bottom), shares of its width and
    height: a positive one adds that many copies of the edge pixels, a negative one cuts that much
    off (at least one pixel row and column always stays)."""
    h, w = image.shape[:2]
    left, right, top, bottom = (round(m * size) for m, size in zip(margins, (w, w, h, h), strict=True))
    x0, y0 = min(max(-left, 0), w - 1), min(max(-top, 0), h - 1)
    x1, y1 = max(w - max(-right, 0), x0 + 1), max(h - max(-bottom, 0), y0 + 1)
    kept = np.ascontiguousarray(image[y0:y1, x0:x1])
    return cv2.copyMakeBorder(kept, max(top, 0), max(bottom, 0), max(left, 0), max(right, 0), cv2.BORDER_REPLICATE)


def to_grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        image = image[..., :3]
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def crops_to_tensor(
    crops: list[np.ndarray], width: int, height: int, one_row_colour: list[np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """RGB uint8 crops of any size -> float32 V x 1 x H x W in [-1, 1] holding every crop's views
    (see crop_views), and the index of the crop each view belongs to. ``one_row_colour``, if given,
    receives each crop's one-row view in colour (the run time looks for an EU band in it)."""
    views, owner = [], []
    for i, crop in enumerate(crops):
        grey_views, one_row = _views_and_one_row(crop, width, height)
        if one_row_colour is not None:
            one_row_colour.append(one_row)
        for view in grey_views:
            views.append(view)
            owner.append(i)
    batch = np.stack(views)[:, None] if views else np.empty((0, 1, height, width), np.uint8)
    return normalize(batch), np.array(owner, np.int64)


def normalize(batch_uint8: np.ndarray) -> np.ndarray:
    return batch_uint8.astype(np.float32) * (2 / 255) - 1


def edge_tilt_degrees(image: np.ndarray) -> float:
    """The tilt of an image's dominant straight edges, within ±45 degrees, in the sense of
    ``detection.locate.tilt_degrees`` (positive when the right end is lower).

    A plate's borders and character strokes run along and across it, so its gradient directions
    cluster at its tilt and at the tilt plus 90 degrees; taken four-fold (an angle times four) both
    point the same way, and the strength-weighted mean of them is the tilt. The detector cannot
    tell it: its corners stay near level on plates steeper than it learnt (about 10 degrees)."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    grey = grey.astype(np.float32)
    gx, gy = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    # Each gradient's strength times its angle taken four-fold, m * exp(4i theta) = (gx + i gy)^4 / m,
    # in real arithmetic (no arctan2 or complex exp: this runs on every crop a steep companion may read).
    strength = gx * gx + gy * gy
    double_re, double_im = gx * gx - gy * gy, 2 * gx * gy  # (gx + i gy)^2
    safe = np.where(strength > 0, strength, 1)
    pull_re = ((double_re * double_re - double_im * double_im) / safe).sum()
    pull_im = ((2 * double_re * double_im) / safe).sum()
    return math.degrees(math.atan2(pull_im, pull_re) / 4)
