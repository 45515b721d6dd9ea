"""Floors on the shipped detector and the whole pipeline on the real dev photos (when present).

Measured (benchmarks/pipeline.py, DETECTOR_CARD.md); the floors sit a few points below, as
regression guards.
"""

from __future__ import annotations

from platereader import Reader
from platereader.evaluation import evaluate_full_images, load_manifest
from tests.conftest import DEV, needs_dev

DETECTION_RECALL_FLOOR = 0.9  # measured 95.5% (raw detector, 111 boxed dev photos)
FALSE_PER_PHOTO_AFTER_FILTER_CEILING = 0.3


@needs_dev()
def test_detector_and_filter_on_boxed_dev_photos():
    boxed = ("roboflow_us_eu_test6", "fer_hr_test")
    items = [i for i in load_manifest(DEV / "manifest.jsonl") if i.subset in boxed and i.extra.get("bbox")]
    report, errors = evaluate_full_images(Reader(threads=2), items)
    assert not errors
    assert report.detection.recall >= DETECTION_RECALL_FLOOR, report.table()
    assert report.filtered.false / report.filtered.images <= FALSE_PER_PHOTO_AFTER_FILTER_CEILING, report.table()
