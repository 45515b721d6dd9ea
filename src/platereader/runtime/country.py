"""The country classifier at run time: an ONNX model, onnxruntime, numpy. No torch.

An unrestricted reader fits reads to any of 39 countries' formats, so a plate read one character
short (a narrow ``I`` dropped) or with a look-alike usually still fits one of them, often with
full confidence. It rarely fits the formats of the plate's own country. The classifier says which
country's plate a crop holds, and where it is sure (CONFIDENT_COUNTRY) the reader fits a read that
does not spell one of that country's formats to them (``pipeline.read_crops``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from platereader.runtime.preprocess import normalize, prepare_crop, to_grey
from platereader.runtime.session import open_session
from platereader.runtime.shipped import WEIGHTS_DIR

# The int8 copy reads for fp32 and int8 readers alike: 0.18 ms per crop (one thread) against the fp32
# file's 0.41, sure of 62.6% of validation plates (fp32 63.6%) and right on 98.4% of those (98.3%).
DEFAULT_COUNTRY = WEIGHTS_DIR / "country.int8.onnx"
# The top score at which the reader acts on the classifier's country. Chosen on generated plates
# of seed 777 (2,000, not the benchmark's seed) with a prototype: 0.8, 0.9 and 0.95 read as many
# plates, 0.99 one fewer; on the classifier's validation crops 0.9 covers about 60% of plates at
# 98.4% right (MODEL_CARD.md, "Session 29").
CONFIDENT_COUNTRY = 0.9


class CountryClassifier:
    """Scores, for each plate crop, the countries whose plate it may hold."""

    def __init__(self, model_path: str | Path | None = None, threads: int | None = None):
        self.path = Path(model_path) if model_path else DEFAULT_COUNTRY
        self.session, meta = open_session(self.path, "country classifier", "platereader_country", threads)
        config = json.loads(meta["platereader_country"])
        self.width, self.height = config["input_width"], config["input_height"]
        self.countries: list[str] = config["countries"]

    def scores(self, crops: list[np.ndarray], two_rows: list[bool] | None = None) -> np.ndarray:
        """N x countries probabilities, one batch. ``two_rows`` marks crops read as two-row
        plates, which the classifier sees unfolded into one row, as in training."""
        if not crops:
            return np.zeros((0, len(self.countries)), np.float32)
        unfold = two_rows or [False] * len(crops)
        views = [to_grey(prepare_crop(c, self.width, self.height, u)) for c, u in zip(crops, unfold, strict=True)]
        return self.session.run(None, {"image": normalize(np.stack(views))[:, None]})[0]

    def sure_countries(self, crops: list[np.ndarray], two_rows: list[bool] | None = None) -> list[str | None]:
        """Each crop's country where the classifier gives it at least CONFIDENT_COUNTRY, else None."""
        scores = self.scores(crops, two_rows)
        return [self.countries[int(s.argmax())] if s.max() >= CONFIDENT_COUNTRY else None for s in scores]
