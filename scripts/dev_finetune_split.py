"""Write fine-tuning folders from the real dev set (never committed: they point into ../shared).

    .venv/bin/python scripts/dev_finetune_split.py --out runs/ft-data

uc3m_lp: its train split (masked labels, "?" for a hidden character) becomes ``uc3m_train/``;
its test split stays untouched for measuring. openalpr_br: plates are split by registration
(the same car appears in several frames), 70% of registrations to ``br_train/``, the rest to
``br_test/`` with a manifest for ``platereader eval``.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from platereader.evaluation import load_manifest
from platereader.training.devsets import dev_subsets


def write(folder: Path, rows: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "labels.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dev", type=Path, default=Path("../shared/data/dev"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    dev = args.dev.resolve()
    items = load_manifest(dev / "crops_manifest.jsonl")
    uc3m_train = [i for i in items if i.subset == "uc3m_lp" and i.extra.get("split") == "train"]
    rows = [{"image": str(i.image.resolve()), "text": i.masked, "rows": 2 if i.extra.get("two_rows") else 1} for i in uc3m_train]
    write(args.out / "uc3m_train", rows)

    br = dev_subsets(dev)["openalpr_br"]
    plates = sorted({i.text for i in br})
    random.Random(args.seed).shuffle(plates)
    train_plates = set(plates[: int(0.7 * len(plates))])
    br_train = [i for i in br if i.text in train_plates]
    br_test = [i for i in br if i.text not in train_plates]
    write(args.out / "br_train", [{"image": str(i.image.resolve()), "text": i.text} for i in br_train])
    write(args.out / "br_test", [{"image": str(i.image.resolve()), "text": i.text} for i in br_test])
    print(
        f"uc3m_train: {len(uc3m_train)} crops; br_train: {len(br_train)} crops ({len(train_plates)} plates); "
        f"br_test: {len(br_test)} crops ({len(plates) - len(train_plates)} plates)"
    )


if __name__ == "__main__":
    main()
