"""Finding plates in full images: the ONNX detector, box geometry, rectification, box files."""

from platereader.detection.detector import Detection, Detector

__all__ = ["Detection", "Detector"]
