"""Plate boxes found by another detector: YOLO label files or a JSON lines file."""

from __future__ import annotations

import json
from pathlib import Path


class BoxFileError(ValueError):
    """A box file that cannot be used; the message names it."""


def load_box_source(path: Path) -> dict[str, list[list[float]]] | Path:
    """A JSON lines file (``{"image", "boxes": [[x, y, w, h], ...]}`` or manifest lines with one
    ``bbox``) -> {image path: boxes}; a folder of YOLO .txt files
    is returned as is and read per image (its boxes are relative to the image size)."""
    if path.is_dir():
        return path
    if not path.is_file():
        raise BoxFileError(f"{path}: no such boxes file or folder")
    if path.suffix == ".txt":
        return path.parent
    boxes: dict[str, list[list[float]]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            image = str(row["image"])
            rows = row["boxes"] if "boxes" in row else [row["bbox"]]  # eval manifests: one "bbox" per line
            parsed = [[float(v) for v in box] for box in rows]
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise BoxFileError(f'{path}:{n}: expected {{"image": ..., "boxes": [[x, y, w, h], ...]}}: {exc}') from None
        if any(len(b) != 4 or b[2] <= 0 or b[3] <= 0 for b in parsed):
            raise BoxFileError(f"{path}:{n}: every box must be [x, y, w, h] with positive w and h")
        boxes.setdefault(image, []).extend(parsed)
    return boxes


def read_yolo(path: Path, width: int, height: int) -> list[list[float]]:
    """YOLO ``class cx cy w h`` lines (normalised to 0-1) -> pixel [x, y, w, h] boxes."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        try:
            if len(parts) < 5:
                raise ValueError(f"{len(parts)} fields")
            cx, cy, w, h = (float(v) for v in parts[1:5])
        except ValueError as exc:
            raise BoxFileError(f"{path}:{n}: expected 'class cx cy w h' (normalised): {exc}") from None
        if not (0 < w <= 1 and 0 < h <= 1):
            raise BoxFileError(f"{path}:{n}: w and h must be normalised to (0, 1]")
        out.append([(cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height])
    return out


def boxes_for(source: dict[str, list[list[float]]] | Path, image: Path, width: int, height: int) -> list[list[float]] | None:
    """The boxes given for ``image``, or None when the source has no entry for it."""
    if isinstance(source, Path):
        label = source / f"{image.stem}.txt"
        return read_yolo(label, width, height) if label.is_file() else None
    for key in (str(image), image.as_posix()):
        if key in source:
            return source[key]
    same_name = [key for key in source if Path(key).name == image.name]
    if len(same_name) > 1:
        raise BoxFileError(f"{image}: several entries in the boxes file end in {image.name}; use the path as given on the command line")
    return source[same_name[0]] if same_name else None
