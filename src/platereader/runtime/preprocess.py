"""Image pre-processing shared by training and the ONNX runtime (numpy + OpenCV only).

Training and reading must feed the network identical pixels; both call these functions.
"""

from __future__ import annotations

import cv2
import numpy as np


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
    """RGB uint8 crops of any size -> float32 N x 1 x H x W in [-1, 1]."""
    batch = np.empty((len(crops), 1, height, width), np.float32)
    for i, crop in enumerate(crops):
        grey = to_grey(resize_crop(crop, width, height) if crop.shape[:2] != (height, width) else crop)
        batch[i, 0] = grey
    return normalize(batch)


def normalize(batch_uint8: np.ndarray) -> np.ndarray:
    return batch_uint8.astype(np.float32) * (2 / 255) - 1
