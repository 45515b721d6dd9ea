"""Draw found plates (box, corners, text) onto an image for ``read --draw``."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from platereader.runtime.recognizer import PlateRead


def draw_plates(image: np.ndarray, plates: list[PlateRead]) -> np.ndarray:
    """A BGR copy of the RGB ``image`` with every plate outlined and labelled."""
    out = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    thick = max(1, round(max(out.shape[:2]) / 600))
    for plate in plates:
        if plate.box is None:
            continue
        x, y, w, h = (round(v) for v in plate.box)
        cv2.rectangle(out, (x, y), (x + w, y + h), (0, 200, 0), thick)
        if plate.corners is not None:
            cv2.polylines(out, [np.round(plate.corners).astype(np.int32)], True, (0, 140, 255), thick)
        label = f"{plate.text or '?'} {plate.confidence:.2f}"
        scale = 0.5 * thick
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        top = max(0, y - th - base - 2)
        cv2.rectangle(out, (x, top), (x + tw + 2, top + th + base + 2), (0, 200, 0), -1)
        cv2.putText(out, label, (x + 1, top + th + 1), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick, cv2.LINE_AA)
    return out


def write_drawing(folder: Path, source: Path, image: np.ndarray, plates: list[PlateRead], taken: set[str]) -> Path:
    """Write ``folder/<name>.jpg``; names already written in this run get a numeric suffix."""
    folder.mkdir(parents=True, exist_ok=True)
    name, n = source.stem, 1
    while name in taken:
        n += 1
        name = f"{source.stem}_{n}"
    taken.add(name)
    path = folder / f"{name}.jpg"
    if not cv2.imwrite(str(path), draw_plates(image, plates)):
        raise OSError(f"{path}: could not write the drawing")
    return path
