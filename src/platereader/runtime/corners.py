"""The corner finder at run time: an ONNX model, onnxruntime, numpy. No torch.

It finds the four corners of the plate in a crop, so the plate can be cut out upright
(``detection.rectify.rectify``) and fill the recognizer's input as generated plates do in training.
Generated plates cut out by their true corners read 98.7% where the same crops as given read 96.9%
(MODEL_CARD.md, "Session 26"); the detector's corners inside a crop are too far off to help.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from platereader.detection.rectify import MIN_CUT_WIDTH, convex_quad, quad_size, rectify
from platereader.runtime.preprocess import normalize, resize_crop, to_grey
from platereader.runtime.session import open_session
from platereader.runtime.shipped import WEIGHTS_DIR

DEFAULT_CORNERS = WEIGHTS_DIR / "corners.onnx"


def corner_input(crop: np.ndarray, width: int, height: int) -> np.ndarray:
    """A crop as the corner finder sees it, in training and at run time alike: grey, model size."""
    return to_grey(resize_crop(crop, width, height))


def plausible_corners(quad: np.ndarray) -> bool:
    """A convex quadrilateral in TL, TR, BR, BL order, wider than tall."""
    if not convex_quad(quad):
        return False
    tl, tr, br, bl = quad
    width, height = quad_size(quad)
    in_order = tr[0] > tl[0] and br[0] > bl[0] and bl[1] > tl[1] and br[1] > tr[1]
    return in_order and width > height


class CornerFinder:
    """Finds the plate's corners (TL, TR, BR, BL, in the crop's pixels) in plate crops."""

    def __init__(self, model_path: str | Path | None = None, threads: int | None = None):
        self.path = Path(model_path) if model_path else DEFAULT_CORNERS
        self.session, meta = open_session(self.path, "corner finder", "platereader_corners", threads)
        config = json.loads(meta["platereader_corners"])
        self.width, self.height = config["input_width"], config["input_height"]

    def find(self, crops: list[np.ndarray]) -> list[np.ndarray]:
        """Each crop's four corners as a 4 x 2 float32 array in its own pixels (one batch)."""
        if not crops:
            return []
        batch = normalize(np.stack([corner_input(c, self.width, self.height) for c in crops]))[:, None]
        shares = self.session.run(None, {"image": batch})[0].reshape(-1, 4, 2)
        return [(s * [c.shape[1], c.shape[0]]).astype(np.float32) for s, c in zip(shares, crops, strict=True)]

    def cut(self, crops: list[np.ndarray]) -> list[np.ndarray | None]:
        """Each crop's plate cut out upright by its corners (``rectify``'s margin), or None where the
        corners found are not plausible."""
        quads = self.find(crops)
        return [rectify(c, q, min_width=MIN_CUT_WIDTH) if plausible_corners(q) else None for c, q in zip(crops, quads, strict=True)]
