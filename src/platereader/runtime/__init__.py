"""Inference runtime: onnxruntime + numpy + OpenCV, no torch."""
