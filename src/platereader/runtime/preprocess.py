"""Image pre-processing shared by training and the ONNX runtime (numpy + OpenCV only).

Training and reading must feed the network identical pixels; both call these functions.
"""

from __future__ import annotations

import cv2
import numpy as np

# A crop narrower than this (width / height) holds a two-row plate: one-row plates are 3.3-4.7
# wide even in a loose detector box, two-row ones 1.2-2.
TWO_ROW_MAX_ASPECT = 2.0


def unfold_two_rows(image: np.ndarray) -> np.ndarray:
    """Put the top half of a two-row plate to the left of the bottom half, so it reads as one row.

    The halves overlap a little, so a character row that sits off-centre is not cut in two.
    """
    h = image.shape[0]
    top = image[: round(h * 0.56)]
    bottom = image[int(h * 0.44) :]
    n = min(len(top), len(bottom))
    return np.hstack([top[:n], bottom[-n:]])


def prepare_crop(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """A plate crop as the network sees it: two-row plates unfolded, then resized."""
    h, w = image.shape[:2]
    if w < TWO_ROW_MAX_ASPECT * h:
        image = unfold_two_rows(image)
    return resize_crop(image, width, height)


def resize_crop(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Stretch an RGB (or grey) crop to the model's input size; area filter when shrinking."""
    h, w = image.shape[:2]
    interp = cv2.INTER_AREA if (w > width or h > height) else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interp)


def to_grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        image = image[..., :3]
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def crops_to_tensor(crops: list[np.ndarray], width: int, height: int) -> np.ndarray:
    """RGB uint8 crops of any size -> float32 N x 1 x H x W in [-1, 1] (see prepare_crop)."""
    batch = np.empty((len(crops), 1, height, width), np.float32)
    for i, crop in enumerate(crops):
        batch[i, 0] = to_grey(prepare_crop(crop, width, height))
    return normalize(batch)


def normalize(batch_uint8: np.ndarray) -> np.ndarray:
    return batch_uint8.astype(np.float32) * (2 / 255) - 1
