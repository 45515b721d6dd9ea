"""Export a trained checkpoint to ONNX (fp32) and a statically quantised int8 copy.

The ONNX file carries what the runtime needs in its metadata (alphabet, input size, config), so
reading plates needs nothing but the .onnx file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import torch
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

from platereader.models import build_model
from platereader.models.config import CornerConfig, CountryConfig, DetectorConfig, ModelConfig
from platereader.models.plate_det import DetectorExport
from platereader.runtime.preprocess import normalize


class _Probabilities(torch.nn.Module):
    """A model's scores as probabilities in the exported graph: ``exp`` of a recognizer's log
    probabilities, ``softmax`` of a classifier's logits."""

    def __init__(self, model: torch.nn.Module, from_logits: bool = False):
        super().__init__()
        self.model, self.from_logits = model, from_logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.model(x)
        return out.softmax(1) if self.from_logits else out.exp()


def export_onnx(checkpoint: Path, out: Path, blank_scale: float = 1.0) -> Path:
    """fp32 ONNX plus a weights-only .pt beside it. ``blank_scale`` is stored for the decoder (see
    runtime.decode.greedy_decode): below 1 it trades "no plate" answers for fewer dropped characters."""
    state = torch.load(checkpoint, weights_only=False)
    if state.get("kind") == "detector":
        return export_detector(state, out)
    if state.get("kind") == "corners":
        return export_corners(state, out)
    if state.get("kind") == "country":
        return export_country(state, out)
    config = ModelConfig.model_validate(state["config"])
    model = _loaded(config, state)
    meta = {
        "platereader_config": json.dumps(config.model_dump()),
        "platereader_alphabet": config.alphabet,
        "platereader_blank_scale": repr(float(blank_scale)),
    }
    dummy = torch.zeros(1, 1, config.input_height, config.input_width)
    _write_onnx(_Probabilities(model), dummy, out, "probs", {0: "batch"}, meta)
    # Weights only (no optimiser state) beside the ONNX file: the starting point for fine-tuning.
    _save_weights(out, model, config)
    return out


def export_detector(state: dict, out: Path) -> Path:
    """The detector graph with peak extraction built in; any input size that is a multiple of 32."""
    config = DetectorConfig.model_validate(state["config"])
    model = _loaded(config, state)
    meta = {"platereader_detector": json.dumps(config.model_dump())}
    heads_axes, image_axes = {0: "batch", 2: "rows", 3: "cols"}, {0: "batch", 2: "height", 3: "width"}
    _write_onnx(DetectorExport(model), torch.zeros(1, 3, 384, 640), out, "heads", heads_axes, meta, input_axes=image_axes)
    _save_weights(out, model, config, kind="detector")
    return out


def export_corners(state: dict, out: Path) -> Path:
    """The corner finder: N x 1 x H x W grey in [-1, 1] -> N x 8 corners (shares of the crop)."""
    config = CornerConfig.model_validate(state["config"])
    model = _loaded(config, state)
    dummy = torch.zeros(1, 1, config.input_height, config.input_width)
    _write_onnx(model, dummy, out, "corners", {0: "batch"}, {"platereader_corners": json.dumps(config.model_dump())})
    _save_weights(out, model, config, kind="corners")
    return out


def export_country(state: dict, out: Path) -> Path:
    """The country classifier: N x 1 x H x W grey in [-1, 1] -> N x countries probabilities."""
    config = CountryConfig.model_validate(state["config"])
    model = _loaded(config, state)
    dummy = torch.zeros(1, 1, config.input_height, config.input_width)
    _write_onnx(
        _Probabilities(model, from_logits=True),
        dummy,
        out,
        "scores",
        {0: "batch"},
        {"platereader_country": json.dumps(config.model_dump())},
    )
    _save_weights(out, model, config, kind="country")
    return out


def _loaded(config, state: dict) -> torch.nn.Module:
    """The configured model with the checkpoint's weights, in eval mode."""
    model = build_model(config)
    model.load_state_dict(state["model"])
    return model.eval()


def _write_onnx(
    graph: torch.nn.Module, dummy: torch.Tensor, out: Path, output: str, output_axes: dict, meta: dict[str, str], input_axes=None
) -> None:
    """Export ``graph`` (input "image", batch axis dynamic unless ``input_axes`` says more) and
    write ``meta`` into the file's metadata, which the run time reads."""
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        graph,
        dummy,
        str(out),
        input_names=["image"],
        output_names=[output],
        dynamic_axes={"image": input_axes or {0: "batch"}, output: output_axes},
        opset_version=17,
        dynamo=False,
    )
    proto = onnx.load(str(out))
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(out))


def _save_weights(out: Path, model: torch.nn.Module, config, kind: str | None = None) -> None:
    """The weights alone (no optimiser state) and the config, beside the ONNX file as .pt."""
    weights = {"model": model.state_dict(), "config": config.model_dump()}
    torch.save({"kind": kind, **weights} if kind else weights, out.with_suffix(".pt"))


class _Calibration(CalibrationDataReader):
    def __init__(self, images: np.ndarray, batch: int = 32):
        self.batches = [normalize(images[i : i + batch])[:, None] for i in range(0, len(images), batch)]

    def get_next(self):
        return {"image": self.batches.pop()} if self.batches else None


def quantize_int8(fp32: Path, out: Path, calibration_images: np.ndarray) -> Path:
    """Static int8 (QDQ, per-channel weights) calibrated on generated plates (N x H x W grey at
    the model's input size; a recognizer's or a corner finder's).

    The first conv (raw pixels in) and the last stay fp32: for the recognizer (its last conv gives
    the class scores) quantising them cost 5 points of exact-match accuracy on generated plates,
    keeping them fp32 costs 8 KB.
    """
    convs = [n.name for n in onnx.load(str(fp32)).graph.node if n.op_type == "Conv"]
    quantize_static(
        str(fp32),
        str(out),
        _Calibration(calibration_images),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        nodes_to_exclude=[convs[0], convs[-1]],
    )
    proto = onnx.load(str(out))
    src = onnx.load(str(fp32))
    del proto.metadata_props[:]
    proto.metadata_props.extend(src.metadata_props)
    onnx.save(proto, str(out))
    return out
