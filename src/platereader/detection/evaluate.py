"""Scoring detections against true boxes: recall and precision at IoU 0.5."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from platereader.detection.geometry import match

# True boxes smaller than this (width in px) are not counted as misses: no data set boxes every
# small background plate, so detections there are not counted as false either.
MIN_BOX_WIDTH = 16


@dataclass
class DetectionScore:
    plates: int
    found: int
    detections: int
    false: int
    images: int

    @property
    def recall(self) -> float:
        return self.found / max(self.plates, 1)

    @property
    def precision(self) -> float:
        return (self.detections - self.false) / max(self.detections, 1)

    def as_dict(self) -> dict[str, float]:
        return {
            "recall": round(self.recall, 4),
            "precision": round(self.precision, 4),
            "false_per_image": round(self.false / max(self.images, 1), 3),
        }


def score_detections(predicted: list[np.ndarray], truth: list[np.ndarray], iou: float = 0.5) -> DetectionScore:
    """``predicted``: per image N x 4 boxes in confidence order; ``truth``: per image M x 4 boxes."""
    plates = found = detections = false = 0
    for pred, true in zip(predicted, truth, strict=True):
        true = np.asarray(true, np.float32).reshape(-1, 4)
        pred = np.asarray(pred, np.float32).reshape(-1, 4)
        counted = true[:, 2] >= MIN_BOX_WIDTH
        pairs = match(pred, true, iou)
        matched_pred = {i for i, _ in pairs}
        found += sum(1 for _, j in pairs if counted[j])
        plates += int(counted.sum())
        detections += len(pred)
        false += len(pred) - len(matched_pred)
    return DetectionScore(plates, found, detections, false, len(predicted))
