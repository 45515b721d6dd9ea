"""The real dev subsets (../shared/data/dev) loaded at model input size for validation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from platereader.evaluation import LabelledCrop, load_manifest
from platereader.runtime.images import load_image
from platereader.runtime.preprocess import crop_views


@dataclass
class DevSet:
    name: str
    items: list[LabelledCrop]
    images: np.ndarray  # N x H x W uint8, each crop read as one row
    masked: bool
    # Crops that may hold two rows are read unfolded too, and the better read kept (as at run time).
    two_row_images: np.ndarray | None = None  # M x H x W uint8
    two_row_index: np.ndarray | None = None  # M indices into ``items``


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
        # Never reported: the split that decides whether a new recognizer ships (model card).
        "uc3m_train": [i for i in by_subset.get("uc3m_lp", []) if i.extra.get("split") == "train"],
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
        views = [crop_views(load_image(i.image), width, height) for i in items]
        two_rows = [i for i, v in enumerate(views) if len(v) > 1]
        out.append(
            DevSet(
                name,
                items,
                np.stack([v[0] for v in views]),
                masked=all(i.text is None for i in items),
                two_row_images=np.stack([views[i][1] for i in two_rows]) if two_rows else None,
                two_row_index=np.array(two_rows, np.int64),
            )
        )
    return out
