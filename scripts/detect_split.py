"""Split the detect photos into a part to train a detector on and a part it never sees.

    .venv/bin/python scripts/detect_split.py --out runs/detect_split [--detect ../shared/data/detect]

The shipped detector trained on every photo in ``../shared/data/detect``, so it is surer of their
plates than of plates it never saw, and a filter that weighs its confidence cannot be judged there.
This writes ``OUT/train/manifest.jsonl`` and ``OUT/held_out/manifest.jsonl`` (absolute image paths)
for ``train-detector --detect-root OUT/train`` and ``scripts/filter_calibration.py --detect
OUT/held_out``. About a fifth is held out, whole dashcam videos at a time (their frames are near
repeats of each other), the same fifth on every machine (CRC-32 of subset and video or image).
"""

from __future__ import annotations

import argparse
import json
import zlib
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def held_out(row: dict) -> bool:
    group = row.get("video") or row["image"]
    return zlib.crc32(f"{row['subset']}/{group}".encode()) % 5 == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--detect", type=Path, default=SHARED / "detect")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    root = args.detect.resolve()
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    parts: dict[str, list[dict]] = {"train": [], "held_out": []}
    for row in rows:
        parts["held_out" if held_out(row) else "train"].append({**row, "image": str(root / row["image"])})
    for name, part in parts.items():
        (args.out / name).mkdir(parents=True, exist_ok=True)
        (args.out / name / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in part), encoding="utf-8")
        print(f"{args.out / name}: {len(part)} photos, {sum(len(r['boxes']) for r in part)} plate boxes")


if __name__ == "__main__":
    main()
