"""Label real plate crops with the recognizer's own confident reads (self-training).

    .venv/bin/python scripts/pseudo_label.py --out runs/pseudo/detect

Reads every boxed plate in ../shared/data/detect (real photos with boxes but no text) with a
recognizer, and keeps a crop only when its read is trustworthy:
- it fits a country format, with confidence at least --min-confidence;
- the same text comes out of the box cut with a tighter and a looser margin (a detector's box
  varies; a read that changes with it is a guess).
Each kept plate is written at those three margins, with its text and rows, as a fine-tuning folder
for ``platereader train --data``. No dev plate is touched: ../shared/data/detect excludes them (its
README). The labels are the model's, not a person's: some are wrong, which is why the thresholds
are strict and the crops are mixed with generated plates when training.

Measured (not adopted; MODEL_CARD.md): with the ctc_ctx v3 model and --min-confidence 0.3, 190 of
the 1,461 boxes 40 px or wider were kept. Fine-tuning on them for 600 steps (data share 0.2)
moved the dev subsets by a few plates either way. On uc3m's train split, only 70-77% of
format-fitting reads with confidence 0.2-0.8 were right, so the labels are too noisy to help.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import cv2
from tqdm import tqdm

from platereader.detection.rectify import crop_box
from platereader.runtime.images import ImageError, load_image
from platereader.runtime.recognizer import Recognizer

MARGINS = (0.1, 0.04, 0.18)  # the runtime margin first; its read is the label


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--detect", type=Path, default=Path("../shared/data/detect"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model", type=Path, default=None, help="recognizer ONNX (default: the shipped one)")
    parser.add_argument("--min-confidence", type=float, default=0.3)
    parser.add_argument("--min-width", type=float, default=40, help="skip boxes narrower than this (px)")
    args = parser.parse_args()

    recognizer = Recognizer(args.model, threads=2)
    rows = [json.loads(line) for line in (args.detect / "manifest.jsonl").read_text().splitlines() if line.strip()]
    (args.out / "images").mkdir(parents=True, exist_ok=True)
    labels, seen, failures = [], Counter(), []
    for row in tqdm(rows, desc="pseudo-label", unit="photo"):
        try:
            image = load_image(args.detect / row["image"])
        except ImageError as exc:
            failures.append(str(exc))
            continue
        for k, box in enumerate(row["boxes"]):
            if box[2] < args.min_width:
                seen["too small"] += 1
                continue
            crops = [crop_box(image, box, m) for m in MARGINS]
            reads = recognizer.read_crops(crops)
            first = reads[0]
            if not first.fits_format or first.confidence < args.min_confidence:
                seen["unsure"] += 1
                continue
            if any(r.text != first.text for r in reads[1:]):
                seen["margin-dependent"] += 1
                continue
            seen["kept"] += 1
            stem = f"{Path(row['image']).stem}_{k}"
            for m, crop in zip(MARGINS, crops, strict=True):
                name = f"images/{stem}_m{round(m * 100):02d}.png"
                cv2.imwrite(str(args.out / name), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
                labels.append(
                    {
                        "image": name,
                        "text": first.text,
                        "rows": first.extra["rows"],
                        "country": first.country,
                        "confidence": round(first.confidence, 3),
                        "subset": row["subset"],
                    }
                )
    (args.out / "labels.jsonl").write_text("".join(json.dumps(r) + "\n" for r in labels), encoding="utf-8")
    print(json.dumps({"boxes": dict(seen), "crops_written": len(labels), "unreadable_photos": failures}))
    print(json.dumps(Counter(r["country"] for r in labels[:: len(MARGINS)]).most_common()))
    print(json.dumps(Counter(r["subset"] for r in labels[:: len(MARGINS)]).most_common()))


if __name__ == "__main__":
    main()
