"""Choose the false-detection filter's confidence thresholds on the detector's training photos.

    .venv/bin/python scripts/filter_calibration.py [--detect ../shared/data/detect] [--limit N]

Runs the shipped detector and recognizer over the boxed photos in ``../shared/data/detect`` (plate
boxes, no text; never the dev photos the benchmarks report) and reads every detection. A detection
is a plate when it overlaps a true box at IoU 0.5 or more. The filter keeps a read whose plate
score, its confidence (halved by the grammar when it fits no format) times the detection's
confidence to the power ``DETECTION_WEIGHT``, reaches ``MIN_PLATE_SCORE``. For each weight it
prints the false plates kept per photo and the share of true plates kept at a grid of thresholds,
then the weight and threshold that keep the most true plates at no more than ``--max-false``
false plates per photo (the rate an earlier recognizer had there: 0.083).

The shipped detector trained on those photos, so it is surer of their plates than of plates it
never saw: choose the weight on photos its detector has not trained on. ``--detect`` takes any
folder with a ``manifest.jsonl`` (absolute image paths allowed), so a detector trained with
``train-detector --detect-root`` on part of the photos can be judged on the rest (DETECTOR_CARD.md).

``--turn DEGREES`` turns every photo about its centre first (and its boxes with it: the upright box
around each turned one, matched at IoU 0.3 because such a box is loose), to see how tilted plates
in whole photos fare without touching the dev photos. ``--turns=-20,20`` also detects in copies of
each photo turned by those degrees, as ``Reader(turns=...)`` does.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from platereader import Reader
from platereader.detection.geometry import iou_matrix, match, turned, upright_box_around
from platereader.pipeline import PlateFilter, parse_turns, read_found_plates
from platereader.runtime.images import load_image
from platereader.runtime.recognizer import PlateRead

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DETECTION_WEIGHTS = (0.0, 1.0, 2.0, 3.0)  # 0: the read's confidence alone
SCORES = tuple(round(float(v), 3) for v in np.arange(0.025, 0.7, 0.025))
TURNED = (0.475, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)


def collect(
    detect: Path,
    limit: int | None,
    model: Path | None = None,
    turn: float = 0.0,
    detector: Path | None = None,
    turns: tuple = (),
    second_look: bool = True,
    min_detection_confidence: float = 0.0,
    country_fit: bool = True,
) -> list[list[tuple[PlateRead, bool]]]:
    """Per photo (turned by ``turn`` degrees): every detection's read, and whether it lies on a true
    plate; with ``turns``, detections in copies turned by those degrees too (``Reader(turns=...)``).
    Detections under ``min_detection_confidence`` are read once (``read_detections``); with
    ``country_fit`` reads are fitted to their plate's country, as ``Reader`` does."""
    rows = [json.loads(line) for line in (detect / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = rows[:: max(1, len(rows) // limit)][:limit] if limit else rows
    reader = Reader(model, detector=detector, fit_to_country=country_fit)
    classifier = reader.country_classifier if reader.fit_to_country else None
    found: list[list[tuple[PlateRead, bool]]] = []
    for row in tqdm(rows, desc="photos", unit="photo"):
        image, true_boxes = load_image(detect / row["image"]), row["boxes"]
        if turn:
            image, matrix = turned(image, turn)
            true_boxes = [upright_box_around(box, matrix) for box in true_boxes]
        reads = read_found_plates(
            image, reader.detector, reader.recognizer, turns, second_look, reader.corner_finder, min_detection_confidence, classifier
        )
        boxes = np.array([r.box for r in reads], np.float32).reshape(-1, 4)
        truth = np.array(true_boxes, np.float32).reshape(-1, 4)
        iou = 0.3 if turn else 0.5
        if turns:  # a plate may be found upright and turned: each find lies on it (select keeps one)
            matched = set(np.flatnonzero(iou_matrix(boxes, truth).max(1, initial=0.0) >= iou).tolist())
        else:
            matched = {i for i, _ in match(boxes, truth, iou)}
        found.append([(read, i in matched) for i, read in enumerate(reads)])
    return found


def _kept_counts(plate_filter: PlateFilter, found: list[list[tuple[PlateRead, bool]]]) -> tuple[int, int]:
    """True and false plates the filter keeps over all photos."""
    kept = [on_plate for reads in found for on_plate in _kept_on_plate(plate_filter, reads)]
    return kept.count(True), kept.count(False)


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
    parser.add_argument("--turns", default="", help="detect in copies turned by these degrees too (e.g. -20,20)")
    parser.add_argument("--max-false", type=float, default=0.083, help="false plates per photo allowed when choosing")
    parser.add_argument("--no-second-look", action="store_true", help="read each detection once (Reader(second_look=False))")
    parser.add_argument(
        "--as-reader",
        action="store_true",
        help="read detections the shipped filter cannot keep once, as Reader does: the counts at the shipped thresholds are Reader's "
        "(without it every detection is read fully, to weigh every threshold alike)",
    )
    parser.add_argument(
        "--no-country-fit", action="store_true", help="reads not fitted to their plate's country (Reader(fit_to_country=False))"
    )
    args = parser.parse_args()
    turns = parse_turns(args.turns)
    min_confidence = PlateFilter().min_detection_confidence if args.as_reader else 0.0
    found = collect(
        args.detect,
        args.limit,
        args.model,
        args.turn,
        args.detector,
        turns,
        not args.no_second_look,
        min_confidence,
        not args.no_country_fit,
    )
    photos, detections = len(found), sum(len(reads) for reads in found)
    plates = sum(on_plate for reads in found for _, on_plate in reads)
    print(f"{photos} photos, {detections} detections, {plates} on true plates")
    print("| detection weight | min plate score | false plates kept per photo | true plates kept |")
    print("|---|---|---|---|")
    allowed = []
    for weight in DETECTION_WEIGHTS:
        for threshold in SCORES:
            true, false = _kept_counts(PlateFilter(min_plate_score=threshold, detection_weight=weight), found)
            false_rate, true_kept = false / photos, true / max(plates, 1)
            print(f"| {weight} | {threshold} | {false_rate:.3f} | {true_kept:.1%} ({true}) |")
            if false_rate <= args.max_false:
                allowed.append((true_kept, -false_rate, weight, threshold))
    for weight in DETECTION_WEIGHTS:
        best = max((a for a in allowed if a[2] == weight), default=None)
        if best:
            print(f"best at weight {weight}: score {best[3]}, {-best[1]:.3f} false per photo, {best[0]:.1%} kept")
    if allowed:
        true_kept, neg_false_rate, weight, threshold = max(allowed)  # most kept, then fewest false
        rates = f"{-neg_false_rate:.3f} false per photo, {true_kept:.1%} kept"
        print(f"chosen: detection weight {weight}, min plate score {threshold} ({rates})")
    if turns:
        turned_thresholds(found, photos, plates, args.max_false)


def turned_thresholds(found: list[list[tuple[PlateRead, bool]]], photos: int, plates: int, max_false: float) -> None:
    """At the shipped plate score, the confidence a read in a turned copy needs: the one that keeps
    the most true plates at no more than ``max_false`` false plates per photo, then the fewest false
    (not the lowest within the cap: a find in a copy that passes can displace other reads, when one
    read per plate is kept and repeats are dropped, so a lower threshold may keep fewer true plates)."""
    print("\n| min confidence, read in a turned copy | false plates kept per photo | true plates kept |")
    print("|---|---|---|")
    allowed = []
    for threshold in TURNED:
        true, false = _kept_counts(PlateFilter(min_confidence_turned=threshold), found)
        print(f"| {threshold} | {false / photos:.3f} | {true / max(plates, 1):.1%} ({true}) |")
        if false / photos <= max_false:
            allowed.append((true, -false / photos, threshold))
    print(f"chosen for reads in turned copies: {max(allowed)[2] if allowed else None}")


if __name__ == "__main__":
    main()
