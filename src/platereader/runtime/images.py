"""Loading images from paths, arrays and PIL images, with errors that name the file."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

MAX_PIXELS = 80_000_000  # a bigger image is refused rather than exhausting memory
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


class ImageError(ValueError):
    """An image that cannot be used; the message names it."""


def load_image(source) -> np.ndarray:
    """A path, a numpy array (RGB or grey) or a PIL image -> RGB uint8 array."""
    if isinstance(source, (str, Path)):
        return _read_file(Path(source))
    if isinstance(source, np.ndarray):
        return _from_array(source, "array")
    if hasattr(source, "convert") and hasattr(source, "size"):  # PIL.Image without importing PIL
        return np.asarray(source.convert("RGB"))
    raise ImageError(f"cannot read an image from a {type(source).__name__}; pass a path, a numpy array or a PIL image")


def _read_file(path: Path) -> np.ndarray:
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_dir():
        raise ImageError(f"{path}: is a directory, not an image")
    if path.stat().st_size == 0:
        raise ImageError(f"{path}: empty file")
    data = np.fromfile(path, np.uint8)
    header = cv2.imdecode(data, cv2.IMREAD_REDUCED_GRAYSCALE_8)
    if header is None:
        raise ImageError(f"{path}: not an image or corrupt")
    if header.shape[0] * header.shape[1] * 64 > MAX_PIXELS:
        raise ImageError(f"{path}: image too large (over {MAX_PIXELS // 1_000_000} megapixels)")
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None:
        raise ImageError(f"{path}: not an image or corrupt")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _from_array(arr: np.ndarray, name: str) -> np.ndarray:
    if arr.size == 0:
        raise ImageError(f"{name}: empty image")
    if arr.ndim == 2:
        arr = cv2.cvtColor(arr, cv2.COLOR_GRAY2RGB) if arr.dtype == np.uint8 else arr
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise ImageError(f"{name}: expected H x W, H x W x 3 or H x W x 4, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        if np.issubdtype(arr.dtype, np.floating) and arr.max() <= 1.0:
            arr = arr * 255
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(arr[..., :3])


def expand_inputs(paths: list[str | Path]) -> list[Path]:
    """Files as given, folders expanded to the images inside them (sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES))
        else:
            out.append(p)
    return out
