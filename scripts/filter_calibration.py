"""Choose the false-detection filter's confidence thresholds on the detector's training photos.

    .venv/bin/python scripts/filter_calibration.py [--detect ../shared/data/detect] [--limit N]

Runs the shipped detector and recognizer over the boxed photos in ``../shared/data/detect`` (plate
boxes, no text; never the dev photos the benchmarks report) and reads every detection. A detection
is a plate when it overlaps a true box at IoU 0.5 or more. For a grid of thresholds (a minimum
confidence for reads that fit a country format, and one for reads that fit none, whose confidence
the grammar has halved) it prints the false plates kept per photo and the share of true plates
kept, then the thresholds that keep the most true plates at no more than ``--max-false`` false
plates per photo (the rate the previous recognizer had there: 0.083).

``--turn DEGREES`` turns every photo about its centre first (and its boxes with it: the upright box
around each turned one, matched at IoU 0.3 because such a box is loose), to see how tilted plates
in whole photos fare without touching the dev photos.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from platereader import Reader
from platereader.detection.geometry import match, turned, upright_box_around
from platereader.pipeline import PlateFilter, read_detections
from platereader.runtime.images import load_image
from platereader.runtime.recognizer import PlateRead

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
WITH_FORMAT = (0.0, 0.05, 0.1, 0.2, 0.3, 0.35, 0.4, 0.425, 0.45, 0.475, 0.5, 0.55, 0.6)
# Halved by the grammar: 0.49 asks the network for 0.98, 0.5 for certainty.
WITHOUT_FORMAT = (0.4, 0.45, 0.475, 0.49, 0.5)


def collect(
    detect: Path, limit: int | None, model: Path | None = None, turn: float = 0.0, detector: Path | None = None
) -> list[list[tuple[PlateRead, bool]]]:
    """Per photo (turned by ``turn`` degrees): every detection's read, and whether it lies on a true plate."""
    rows = [json.loads(line) for line in (detect / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = rows[:: max(1, len(rows) // limit)][:limit] if limit else rows
    reader = Reader(model, detector=detector)
    found: list[list[tuple[PlateRead, bool]]] = []
    for row in tqdm(rows, desc="photos", unit="photo"):
        image, true_boxes = load_image(detect / row["image"]), row["boxes"]
        if turn:
            image, matrix = turned(image, turn)
            true_boxes = [upright_box_around(box, matrix) for box in true_boxes]
        detections = reader.detector.detect(image)
        boxes = np.array([d.box for d in detections], np.float32).reshape(-1, 4)
        truth = np.array(true_boxes, np.float32).reshape(-1, 4)
        matched = {i for i, _ in match(boxes, truth, 0.3 if turn else 0.5)}
        reads = read_detections(image, detections, reader.recognizer, reader.detector)
        found.append([(read, i in matched) for i, read in enumerate(reads)])
    return found


def _kept_on_plate(plate_filter: PlateFilter, reads: list[tuple[PlateRead, bool]]) -> list[bool]:
    """For each read of one photo the filter keeps (the pipeline's rule, fragments included): on a true plate?"""
    kept = {id(r) for r in plate_filter.select([r for r, _ in reads])}
    return [on_plate for r, on_plate in reads if id(r) in kept]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--detect", type=Path, default=SHARED / "detect")
    parser.add_argument("--model", type=Path, default=None, help="recognizer ONNX (default: the shipped one)")
    parser.add_argument("--limit", type=int, default=None, help="use this many photos, spread over the set")
    parser.add_argument("--detector", type=Path, default=None, help="detector ONNX (default: the shipped one)")
    parser.add_argument("--turn", type=float, default=0.0, help="turn every photo by this many degrees first")
    parser.add_argument("--max-false", type=float, default=0.083, help="false plates per photo allowed when choosing")
    args = parser.parse_args()
    found = collect(args.detect, args.limit, args.model, args.turn, args.detector)
    photos, detections = len(found), sum(len(reads) for reads in found)
    plates = sum(on_plate for reads in found for _, on_plate in reads)
    print(f"{photos} photos, {detections} detections, {plates} on true plates")
    print("| min confidence, fits a format | min confidence, fits none | false plates kept per photo | true plates kept |")
    print("|---|---|---|---|")
    allowed = []
    for with_format in WITH_FORMAT:
        for without_format in WITHOUT_FORMAT:
            plate_filter = PlateFilter(min_confidence_with_format=with_format, min_confidence_without_format=without_format)
            kept = [on_plate for reads in found for on_plate in _kept_on_plate(plate_filter, reads)]
            false_rate, true_kept = kept.count(False) / photos, kept.count(True) / max(plates, 1)
            print(f"| {with_format} | {without_format} | {false_rate:.3f} | {true_kept:.1%} |")
            if false_rate <= args.max_false:
                allowed.append((true_kept, -false_rate, with_format, without_format))
    if allowed:
        true_kept, neg_false_rate, with_format, without_format = max(allowed)  # most kept, then fewest false
        rates = f"{-neg_false_rate:.3f} false per photo, {true_kept:.1%} kept"
        print(f"chosen: {with_format} with a format, {without_format} without ({rates})")


if __name__ == "__main__":
    main()
