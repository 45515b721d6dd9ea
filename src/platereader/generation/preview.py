"""Contact sheets: a grid of crops with their labels, for looking at generated or real plates."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

CELL_W, CELL_H, CAPTION_H = 200, 64, 16


def contact_sheet(
    images: Sequence[np.ndarray], captions: Sequence[str], columns: int = 6, flags: Sequence[bool] | None = None
) -> np.ndarray:
    """RGB sheet; each crop is fitted into a cell keeping its aspect, caption below (red if flagged)."""
    rows = max(1, -(-len(images) // columns))
    sheet = np.full((rows * (CELL_H + CAPTION_H), columns * CELL_W, 3), 255, np.uint8)
    for i, (img, caption) in enumerate(zip(images, captions, strict=False)):
        r, c = divmod(i, columns)
        h, w = img.shape[:2]
        k = min((CELL_W - 4) / w, (CELL_H - 4) / h)
        fit = cv2.resize(img, (max(1, int(w * k)), max(1, int(h * k))), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_NEAREST)
        if fit.ndim == 2:
            fit = cv2.cvtColor(fit, cv2.COLOR_GRAY2RGB)
        y0 = r * (CELL_H + CAPTION_H) + (CELL_H - fit.shape[0]) // 2
        x0 = c * CELL_W + (CELL_W - fit.shape[1]) // 2
        sheet[y0 : y0 + fit.shape[0], x0 : x0 + fit.shape[1]] = fit
        color = (200, 0, 0) if flags is not None and flags[i] else (0, 0, 0)
        cv2.putText(
            sheet, caption[:28], (c * CELL_W + 4, (r + 1) * (CELL_H + CAPTION_H) - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.4, color, 1, cv2.LINE_AA
        )
    return sheet


def save_rgb(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
        raise OSError(f"cannot write image {path}")
