"""Choose the false-detection filter's confidence thresholds on the detector's training photos.

    .venv/bin/python scripts/filter_calibration.py [--detect ../shared/data/detect] [--limit N]

Runs the shipped detector and recognizer over the boxed photos in ``../shared/data/detect`` (plate
boxes, no text; never the dev photos the benchmarks report) and reads every detection. A detection
is a plate when it overlaps a true box at IoU 0.5 or more. For a grid of thresholds (a minimum
confidence for reads that fit a country format, and one for reads that fit none, whose confidence
the grammar has halved) it prints the false plates kept per photo and the share of true plates
kept, then the thresholds that keep the most true plates at no more than ``--max-false`` false
plates per photo (the rate the previous recognizer had there: 0.083).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from platereader import Reader
from platereader.detection.geometry import match
from platereader.pipeline import read_detections
from platereader.runtime.images import load_image

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
WITH_FORMAT = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.425, 0.45, 0.475, 0.5)
WITHOUT_FORMAT = (0.4, 0.45, 0.5)


def collect(detect: Path, limit: int | None, model: Path | None = None) -> tuple[list[dict], int]:
    """One row per detection: whether it is a true plate, and what the recognizer made of it."""
    rows = [json.loads(line) for line in (detect / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = rows[:: max(1, len(rows) // limit)][:limit] if limit else rows
    reader = Reader(model)
    found: list[dict] = []
    for row in tqdm(rows, desc="photos", unit="photo"):
        image = load_image(detect / row["image"])
        detections = reader.detector.detect(image)
        reads = read_detections(image, detections, reader.recognizer)
        boxes = np.array([d.box for d in detections], np.float32).reshape(-1, 4)
        matched = {i for i, _ in match(boxes, np.array(row["boxes"], np.float32).reshape(-1, 4), 0.5)}
        for i, read in enumerate(reads):
            found.append(
                {
                    "plate": i in matched,
                    "readable": read.readable,
                    "fits": read.fits_format,
                    "confidence": read.confidence,
                    "detection_confidence": read.detection_confidence,
                }
            )
    return found, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--detect", type=Path, default=SHARED / "detect")
    parser.add_argument("--model", type=Path, default=None, help="recognizer ONNX (default: the shipped one)")
    parser.add_argument("--limit", type=int, default=None, help="use this many photos, spread over the set")
    parser.add_argument("--max-false", type=float, default=0.083, help="false plates per photo allowed when choosing")
    args = parser.parse_args()
    found, photos = collect(args.detect, args.limit, args.model)
    plate = np.array([f["plate"] for f in found])
    readable = np.array([f["readable"] for f in found])
    fits = np.array([bool(f["fits"]) for f in found])
    confidence = np.array([f["confidence"] for f in found])
    print(f"{photos} photos, {len(found)} detections, {plate.sum()} on true plates")
    print("| min confidence, fits a format | min confidence, fits none | false plates kept per photo | true plates kept |")
    print("|---|---|---|---|")
    rows = []
    for with_format in WITH_FORMAT:
        for without_format in WITHOUT_FORMAT:
            kept = readable & np.where(fits, confidence >= with_format, confidence >= without_format)
            false_rate, true_kept = (kept & ~plate).sum() / photos, (kept & plate).sum() / max(plate.sum(), 1)
            rows.append((true_kept, -false_rate, with_format, without_format))
            print(f"| {with_format} | {without_format} | {false_rate:.3f} | {true_kept:.1%} |")
    allowed = [r for r in rows if -r[1] <= args.max_false]
    if allowed:
        true_kept, false_rate, with_format, without_format = max(allowed)
        print(f"chosen: {with_format} with a format, {without_format} without ({-false_rate:.3f} false per photo, {true_kept:.1%} kept)")


if __name__ == "__main__":
    main()
