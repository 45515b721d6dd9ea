"""A few-step detector training smoke run on a tiny boxed-photo set made from our own scenes:
train -> checkpoint -> resume -> ONNX export -> the run-time Detector loads and runs it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="training tests need the train extra (torch)")

from platereader.detection import Detector  # noqa: E402
from platereader.training.detect_data import WindowSampler, load_boxed_dev, load_detect_photos, render_plate_pool  # noqa: E402
from platereader.training.detector_train import DetectorTrainOptions, train_detector  # noqa: E402
from platereader.training.export import export_onnx  # noqa: E402

SCENES = Path(__file__).resolve().parent.parent / "examples" / "scenes"


@pytest.fixture(scope="module")
def detect_root(tmp_path_factory) -> Path:
    """The example scenes laid out like ../shared/data/detect (manifest with boxes) and like a dev set."""
    root = tmp_path_factory.mktemp("detect")
    (root / "images").mkdir()
    boxes: dict[str, list] = {}
    for line in (SCENES / "labels.jsonl").read_text().splitlines():
        row = json.loads(line)
        boxes.setdefault(row["image"], []).append(row["bbox"])
    rows, dev_rows = [], []
    for image in sorted(p.name for p in SCENES.glob("*.jpg")):
        shutil.copy(SCENES / image, root / "images" / image)
        rows.append({"image": f"images/{image}", "boxes": boxes.get(image, []), "width": 1280, "height": 720, "subset": "scenes"})
        for box in boxes.get(image, []):
            dev_rows.append({"image": f"images/{image}", "text": "X", "bbox": box, "subset": "roboflow_us_eu_test6"})
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    dev = root / "dev"
    (dev / "images").mkdir(parents=True)
    for row in dev_rows:
        shutil.copy(root / row["image"], dev / row["image"])
    (dev / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in dev_rows))
    return root


def test_training_windows_keep_plates_and_corners(detect_root):
    photos = load_detect_photos(detect_root)
    assert len(photos) == 6 and sum(len(p.boxes) for p in photos) == 9
    sampler = WindowSampler(photos, 256, 640, 1.5, render_plate_pool(4, seed=1, font_dirs=None), synth_rate=1.0)
    rng = np.random.default_rng(0)
    windows = [sampler.sample(rng) for _ in range(20)]
    assert all(w.image.shape == (256, 256, 3) for w in windows)
    pasted = [w for w in windows if w.has_corners.any()]
    assert pasted, "generated plates were pasted with known corners"
    for w in windows:
        assert len(w.boxes) == len(w.corners) == len(w.has_corners)
        assert (w.boxes[:, :2] >= -1e-3).all() and (w.boxes[:, 0] + w.boxes[:, 2] <= 256 + 1e-3).all()


def test_tilted_windows_turn_the_real_plates(detect_root):
    """--tilt-share turns windows up to 30 degrees: a real plate's box becomes the upright box
    around the turned one, so the boxes come out less wide for their height."""
    photos = load_detect_photos(detect_root)

    def mean_aspect(tilt_share: float) -> float:
        sampler = WindowSampler(photos, 256, 640, 1.5, None, synth_rate=0.0, tilt_share=tilt_share)
        rng = np.random.default_rng(0)
        boxes = np.concatenate([sampler.sample(rng).boxes for _ in range(60)])
        return float(np.mean(boxes[:, 2] / boxes[:, 3]))

    level, tilted = mean_aspect(0.0), mean_aspect(1.0)
    assert tilted < 0.8 * level, f"mean box aspect {tilted:.2f} turned vs {level:.2f} level"


def test_rolled_pasted_plates_keep_exact_steep_corners(detect_root):
    """--paste-roll-share turns pasted plates up to 30 degrees; their corners follow the turn, and
    the real plates' boxes and the default sampling stay as they were."""
    photos = load_detect_photos(detect_root)
    plates = render_plate_pool(4, seed=1, font_dirs=None)

    def windows(share: float) -> list:
        sampler = WindowSampler(photos, 256, 640, 1.5, plates, synth_rate=1.0, paste_roll_share=share)
        rng = np.random.default_rng(3)
        return [sampler.sample(rng) for _ in range(40)]

    def top_edge_slopes(ws: list) -> np.ndarray:
        quads = np.concatenate([w.corners[w.has_corners] for w in ws])
        d = quads[:, 1] - quads[:, 0]
        # mirrored windows swap the top edge's direction; the slope's size is what matters
        return np.abs(np.degrees(np.arctan2(d[:, 1], np.abs(d[:, 0]))))

    default = windows(0.0)
    plain = WindowSampler(photos, 256, 640, 1.5, plates, synth_rate=1.0)
    rng = np.random.default_rng(3)
    assert all(np.array_equal(w.image, plain.sample(rng).image) for w in default), "share 0 must not change sampling"
    level, rolled = top_edge_slopes(default), top_edge_slopes(windows(1.0))
    assert np.percentile(level, 90) < 15, level
    assert np.percentile(rolled, 75) > 12 and rolled.max() > 20, rolled
    for w in windows(1.0):  # a pasted plate's box is the box around its exact corners
        for box, quad in zip(w.boxes[w.has_corners], w.corners[w.has_corners], strict=True):
            assert quad[:, 0].min() >= box[0] - 1 and quad[:, 0].max() <= box[0] + box[2] + 1


def test_side_on_pasted_plates_and_zoomed_windows(detect_root):
    """--paste-yaw-share pastes plates seen 40-70 degrees from the side (narrow for their height);
    --zoom-share shows the real plates larger; at share 0 neither changes the sampling."""
    photos = load_detect_photos(detect_root)
    plates = render_plate_pool(4, seed=1, font_dirs=None)

    def windows(**shares: float) -> list:
        sampler = WindowSampler(photos, 256, 640, 1.5, plates, synth_rate=1.0, **shares)
        rng = np.random.default_rng(5)
        return [sampler.sample(rng) for _ in range(40)]

    plain = windows()
    assert all(np.array_equal(a.image, b.image) for a, b in zip(plain, windows(paste_yaw_share=0.0, zoom_share=0.0), strict=True))

    def pasted_aspects(ws: list) -> np.ndarray:
        boxes = np.concatenate([w.boxes[w.has_corners] for w in ws])
        return boxes[:, 2] / boxes[:, 3]

    assert np.median(pasted_aspects(windows(paste_yaw_share=1.0))) < 0.75 * np.median(pasted_aspects(plain))

    def real_widths(ws: list) -> np.ndarray:
        return np.concatenate([w.boxes[~w.has_corners, 2] for w in ws])

    assert np.median(real_widths(windows(zoom_share=1.0))) > 1.5 * np.median(real_widths(plain))


def test_smoke_run_checkpoints_resumes_and_exports(detect_root, tmp_path):
    out = tmp_path / "det"
    opts = dict(out=out, detect_root=detect_root, dev_root=detect_root / "dev", steps=4, batch_size=2, eval_every=2, plate_pool=4)
    summary = train_detector(DetectorTrainOptions(**opts, stop_after=2))
    assert summary["steps"] == 2 and {"recall", "precision", "false_per_image"} <= set(summary["history"][0])
    with pytest.raises(ValueError, match="same --steps"):
        train_detector(DetectorTrainOptions(**{**opts, "steps": 9}, resume=True))
    summary = train_detector(DetectorTrainOptions(**opts, resume=True))
    assert [h["step"] for h in summary["history"]] == [2, 4]
    onnx_path = export_onnx(out / "last.pt", tmp_path / "det.onnx")
    detector = Detector(onnx_path)
    assert detector.config["name"] == "det_tiny"
    detections = detector.detect(np.zeros((300, 500, 3), np.uint8), threshold=0.0)
    assert all(0 <= d.box[0] <= 500 and 0 <= d.box[1] <= 300 for d in detections)
    assert len(load_boxed_dev(detect_root / "dev")) == 5  # photos with at least one boxed plate
    # recognizer-only export options are refused by name
    from click.testing import CliRunner

    from platereader.cli import main

    for option in (["--blank-scale", "0.5"], ["--calibration", str(tmp_path)]):
        result = CliRunner().invoke(main, ["export", str(out / "last.pt"), "--out", str(tmp_path / "d2.onnx"), *option])
        assert result.exit_code != 0 and option[0] in result.output
    # fine-tuning starts from the exported weights
    tuned = train_detector(DetectorTrainOptions(**{**opts, "out": tmp_path / "ft", "steps": 1}, init=onnx_path.with_suffix(".pt")))
    assert tuned["steps"] == 1
