"""One way to open the project's ONNX models with onnxruntime (recognizer and detector alike)."""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort


def open_session(path: Path, what: str, metadata_key: str, threads: int | None = None) -> tuple[ort.InferenceSession, dict[str, str]]:
    """An onnxruntime session on ``path`` and its metadata; errors name the file.

    ``what`` names the model in messages ("recognizer", "detector"); ``metadata_key`` must be in
    the file's metadata, which tells a platereader model from any other ONNX file.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path}: {what} model not found")
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    # No busy-waiting between runs: the detector's and the recognizer's thread pools take turns
    # on the same cores, and spinning threads of one slowed the other down by 10 ms per frame.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    if metadata_key not in meta:
        raise ValueError(f"{path}: not a platereader {what} (no {metadata_key} metadata)")
    return session, meta
