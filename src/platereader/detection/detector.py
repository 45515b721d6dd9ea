"""The plate detector at run time: an ONNX model, onnxruntime, numpy. No torch."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from platereader.detection.geometry import clip_box, decode, drop_contained, letterbox, nms, to_input
from platereader.runtime.session import open_session

DEFAULT_DETECTOR = Path(__file__).resolve().parent.parent / "weights" / "detector.onnx"


@dataclass
class Detection:
    box: tuple[float, float, float, float]  # x, y, w, h in the image's own pixels
    corners: np.ndarray  # 4 x 2: TL, TR, BR, BL
    confidence: float

    def to_dict(self) -> dict:
        return {
            "box": [round(float(v), 1) for v in self.box],
            "corners": [[round(float(x), 1), round(float(y), 1)] for x, y in self.corners],
            "detection_confidence": round(float(self.confidence), 4),
        }


class Detector:
    """Finds plates in RGB images. Big images are scaled down to the model's input size for
    detection; boxes and corners come back in the original image's pixels."""

    def __init__(self, model_path: str | Path | None = None, threads: int | None = None, threshold: float = 0.3):
        path = Path(model_path) if model_path else DEFAULT_DETECTOR
        self.session, meta = open_session(path, "detector", "platereader_detector", threads)
        self.config = json.loads(meta["platereader_detector"])
        self.threshold = threshold
        self.path = path

    def raw(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        """The head output for one RGB image and the scale it was detected at."""
        padded, lb = letterbox(image, self.config["input_size"], self.config["max_upscale"])
        return self.session.run(None, {"image": to_input(padded[None])})[0][0], lb.scale

    def detect(self, image: np.ndarray, threshold: float | None = None) -> list[Detection]:
        output, scale = self.raw(image)
        boxes, corners, scores = decode(output, self.threshold if threshold is None else threshold)
        boxes, corners = boxes / scale, corners / scale
        h, w = image.shape[:2]
        detections = []
        for i in drop_contained(boxes, nms(boxes, scores)):
            box = clip_box(*boxes[i], w, h)
            if box[2] >= 2 and box[3] >= 2:
                detections.append(Detection(box, corners[i], float(scores[i])))
        return detections
