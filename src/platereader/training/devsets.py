"""The real dev subsets (../shared/data/dev) loaded at model input size for validation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from platereader.evaluation import LabelledCrop, load_manifest
from platereader.runtime.images import load_image
from platereader.runtime.preprocess import prepare_crop, to_grey


@dataclass
class DevSet:
    name: str
    items: list[LabelledCrop]
    images: np.ndarray  # N x H x W uint8
    masked: bool


def dev_subsets(root: Path) -> dict[str, list[LabelledCrop]]:
    """Named subsets as the dev README asks them to be reported (never blended)."""
    items = load_manifest(root / "crops_manifest.jsonl")
    by_subset: dict[str, list[LabelledCrop]] = {}
    for it in items:
        by_subset.setdefault(it.subset or "?", []).append(it)
    rf = by_subset.get("roboflow_us_eu_test6", [])
    return {
        "roboflow_es_gb": [i for i in rf if i.country in ("ES", "GB")],
        "roboflow_all": rf,
        "fer_hr_test": by_subset.get("fer_hr_test", []),
        "uc3m_test": [i for i in by_subset.get("uc3m_lp", []) if i.extra.get("split") == "test"],
        "openalpr_br": by_subset.get("openalpr_train_detector_br", []),
    }


def load_dev_sets(
    root: Path, width: int, height: int, names: tuple[str, ...] = ("roboflow_es_gb", "roboflow_all", "fer_hr_test", "uc3m_test")
) -> list[DevSet]:
    root = Path(root)
    if not (root / "crops_manifest.jsonl").is_file():
        return []
    subsets = dev_subsets(root)
    out = []
    for name in names:
        items = subsets[name]
        images = np.stack([to_grey(prepare_crop(load_image(i.image), width, height)) for i in items])
        out.append(DevSet(name, items, images, masked=all(i.text is None for i in items)))
    return out
