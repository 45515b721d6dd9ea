"""The corner finder: training data and augmentation, a smoke run through export to the runtime,
parity between torch and ONNX, the cut-out in read_crops, and the shipped finder's accuracy."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from platereader.detection.detector import Detection
from platereader.generation import PlateGenerator
from platereader.pipeline import SECOND_LOOK_BELOW, read_crops, read_detections
from platereader.runtime.corners import DEFAULT_CORNERS, CornerFinder, corner_input, plausible_corners
from platereader.runtime.recognizer import Recognizer
from platereader.runtime.shipped import shipped_recognizer
from tests.conftest import cli_smoke_run


def test_plausible_corners_want_a_wide_convex_quad_in_reading_order():
    good = np.array([[10, 5], [110, 8], [108, 30], [12, 27]], np.float32)
    assert plausible_corners(good)
    assert not plausible_corners(good[[1, 0, 3, 2]])  # mirrored: TR left of TL
    assert not plausible_corners(good[[0, 1, 3, 2]])  # crossed
    assert not plausible_corners(np.array([[0, 0], [10, 0], [10, 40], [0, 40]], np.float32))  # taller than wide
    assert not plausible_corners(np.full((4, 2), np.nan, np.float32))


def _quad_images(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Black 32 x 128 images, each with a white quad in its left half whose corners (shares) are the target."""
    images, corners = np.zeros((count, 32, 128), np.uint8), np.zeros((count, 8), np.float32)
    for i in range(count):
        x0, x1 = rng.uniform(0.05, 0.15), rng.uniform(0.35, 0.45)
        y0, y1 = rng.uniform(0.1, 0.3), rng.uniform(0.7, 0.9)
        dy = rng.uniform(-0.08, 0.08)
        quad = np.array([[x0, y0 + dy], [x1, y0 - dy], [x1, y1 - dy], [x0, y1 + dy]], np.float32)
        cv2.fillConvexPoly(images[i], np.round(quad * [128, 32]).astype(np.int32), 255)
        corners[i] = quad.reshape(-1)
    return images, corners


def test_augmented_batch_moves_the_corners_with_the_pixels():
    torch = pytest.importorskip("torch", reason="training needs the train extra (torch)")
    from platereader.training.corner_train import augmented_batch

    rng = np.random.default_rng(0)
    images, corners = _quad_images(16, rng)
    x, y = augmented_batch(images, corners, np.arange(16), 64, rng)
    assert isinstance(x, torch.Tensor) and x.shape == (64, 1, 32, 128) and y.shape == (64, 8)
    mirrored = inverted = 0
    for image, target in zip(x[:, 0].numpy(), y.numpy().reshape(-1, 4, 2), strict=True):
        inverted += image.mean() > 0  # an inverted copy: a dark quad on white
        quad = image < 0 if image.mean() > 0 else image > 0
        tl, tr, br, bl = target
        assert tl[0] < tr[0] and bl[0] < br[0] and tl[1] < bl[1] and tr[1] < br[1]  # still TL, TR, BR, BL
        columns = np.flatnonzero(quad.any(0)) / 128
        assert abs(columns[0] - min(tl[0], bl[0])) < 0.02 and abs(columns[-1] + 1 / 128 - max(tr[0], br[0])) < 0.02
        rows = np.flatnonzero(quad.any(1)) / 32
        assert abs(rows[0] - min(tl[1], tr[1])) < 0.05 and abs(rows[-1] + 1 / 32 - max(bl[1], br[1])) < 0.05
        if abs(tl[1] - tr[1]) > 0.1:  # the quad's higher top corner stays on its side after a mirror
            left_top, right_top = (np.flatnonzero(quad[:, round(x * 128)])[0] for x in (tl[0] + 0.02, tr[0] - 0.03))
            assert (left_top < right_top) == (tl[1] < tr[1])
        mirrored += tl[0] > 0.5
    assert 0 < inverted < 64 and 0 < mirrored < 64


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """A few-step run through the CLI: render, train, resume, export (fp32 and int8)."""
    pytest.importorskip("torch", reason="training needs the train extra (torch)")
    command = ["train-corners", "--count", "60", "--steps", "3", "--eval-every", "2", "--workers", "0"]
    return cli_smoke_run(tmp_path_factory.mktemp("corners"), command, "corners.onnx")


def test_smoke_run_resumes_and_exports(smoke_run):
    summary = json.loads((smoke_run / "summary.json").read_text())
    assert [h["step"] for h in summary["history"]] == [2, 3]
    assert {"corner_error", "worst_corner_p90"} <= set(summary["history"][-1])
    crops = [np.full((40, 150, 3), 128, np.uint8), np.zeros((90, 200, 3), np.uint8)]
    for name in ("corners.onnx", "corners.int8.onnx"):
        quads = CornerFinder(smoke_run / name).find(crops)
        assert [q.shape for q in quads] == [(4, 2), (4, 2)] and all(np.isfinite(q).all() for q in quads)


def test_a_cache_of_other_settings_is_refused(smoke_run):
    from click.testing import CliRunner

    from platereader.cli import main

    result = CliRunner().invoke(main, ["train-corners", "--out", str(smoke_run), "--count", "60", "--steep-roll-share", "0.5", "--cache",
                                       str(next(smoke_run.glob("corners-cache-*.npz")))])  # fmt: skip
    assert result.exit_code != 0 and "other settings" in result.output


def test_recognizer_only_export_options_are_refused(smoke_run):
    from click.testing import CliRunner

    from platereader.cli import main

    for option in (["--blank-scale", "0.5"], ["--calibration", str(smoke_run)]):
        result = CliRunner().invoke(main, ["export", str(smoke_run / "last.pt"), "--out", str(smoke_run / "c2.onnx"), *option])
        assert result.exit_code != 0 and option[0] in result.output and "corner finder" in result.output


def test_onnx_finds_what_torch_does_from_the_same_pixels(smoke_run):
    """Pre-processing parity: the cache's pixels through torch equal a crop through the runtime."""
    import torch

    from platereader.models import build_model
    from platereader.models.config import CornerConfig
    from platereader.runtime.preprocess import normalize

    saved = torch.load(smoke_run / "corners.pt", weights_only=False)
    config = CornerConfig.model_validate(saved["config"])
    model = build_model(config).eval()
    model.load_state_dict(saved["model"])
    samples = PlateGenerator(seed=100, negative_rate=0.0).samples(0, 4)  # the cache's first crops
    cached = np.load(next(smoke_run.glob("corners-cache-*.npz")))["images"][:4]
    assert np.array_equal(cached, np.stack([corner_input(s.image, config.input_width, config.input_height) for s in samples]))
    with torch.no_grad():
        shares = model(torch.from_numpy(normalize(cached)[:, None])).numpy().reshape(-1, 4, 2)
    found = CornerFinder(smoke_run / "corners.onnx").find([s.image for s in samples])
    for share, quad, s in zip(shares, found, samples, strict=True):
        np.testing.assert_allclose(quad, share * [s.image.shape[1], s.image.shape[0]], rtol=1e-4, atol=1e-3)


class _FixedCuts:
    """Stands in for a CornerFinder: hands back set cut-outs."""

    def __init__(self, cuts):
        self.cuts = cuts

    def cut(self, crops):
        assert len(crops) == len(self.cuts)
        return self.cuts


@pytest.mark.skipif(not shipped_recognizer().is_file(), reason="no shipped recognizer model")
def test_read_crops_keeps_the_more_confident_of_crop_and_cut_out():
    plates = [s for s in PlateGenerator(seed=5, negative_rate=0.0).samples(0, 40) if s.readable][:2]
    recognizer = Recognizer(threads=2)
    blank = np.full((40, 160, 3), 120, np.uint8)
    crops = [blank, plates[1].image, plates[0].image]
    reads = read_crops(crops, recognizer, corner_finder=_FixedCuts([plates[0].image, blank, None]))
    assert reads[0].text == plates[0].text and reads[0].extra.get("cut_by_corners")  # the blank crop's cut-out holds a plate
    assert reads[1].text == plates[1].text and not reads[1].extra.get("cut_by_corners")  # a blank cut-out loses
    assert reads[2].text == plates[0].text and not reads[2].extra.get("cut_by_corners")  # no plausible corners: as given


def _detection(x: int, y: int, w: int, h: int) -> Detection:
    return Detection((x, y, w, h), np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float32), 0.9)


@pytest.mark.skipif(not shipped_recognizer().is_file(), reason="no shipped recognizer model")
def test_read_detections_cuts_out_only_unsure_detections():
    recognizer = Recognizer(threads=2)
    plates = [s for s in PlateGenerator(seed=5, negative_rate=0.0).samples(0, 60) if s.readable]
    reads = recognizer.read_crops([s.image for s in plates])
    sure = [s for s, r in zip(plates, reads, strict=True) if r.text == s.text and r.fits_format and r.confidence >= 0.99]
    shown, hidden = sure[0], sure[1]
    image = np.full((240, 640, 3), 120, np.uint8)
    h, w = shown.image.shape[:2]
    image[20 : 20 + h, 20 : 20 + w] = shown.image
    detections = [_detection(20, 20, w, h), _detection(300, 150, 200, 50)]  # a plate, and bare paint
    finder = _FixedCuts([hidden.image])  # asked about the unsure detection only
    found = read_detections(image, detections, recognizer, corner_finder=finder)
    assert found[0].text == shown.text and not found[0].extra.get("cut_by_corners")
    assert found[1].text == hidden.text and found[1].extra.get("cut_by_corners")
    assert found[1].box == (300.0, 150.0, 200.0, 50.0)  # still reported where it was detected
    blank_cut = read_detections(image, detections, recognizer, corner_finder=_FixedCuts([np.full((40, 160, 3), 120, np.uint8)]))
    assert not blank_cut[1].extra.get("cut_by_corners") and blank_cut[1].confidence < SECOND_LOOK_BELOW


@pytest.mark.skipif(not DEFAULT_CORNERS.is_file(), reason="no shipped corner finder")
@pytest.mark.parametrize("path", [DEFAULT_CORNERS, DEFAULT_CORNERS.with_suffix(".int8.onnx")], ids=["fp32", "int8"])
def test_shipped_finder_finds_generated_plates_corners(path):
    samples = [s for s in PlateGenerator(seed=4242, negative_rate=0.0).samples(0, 300) if s.readable][:150]
    quads = CornerFinder(path, threads=2).find([s.image for s in samples])
    errors = [np.abs(q - s.corners).max() / np.linalg.norm(s.corners[1] - s.corners[0]) for q, s in zip(quads, samples, strict=True)]
    # Measured (model card, corner finder): a median worst corner 2-3% of the plate's width off.
    assert np.median(errors) < 0.05, f"{path.name}: worst corner off by a median {np.median(errors):.1%} of the plate's width"


@pytest.mark.skipif(not DEFAULT_CORNERS.is_file(), reason="no shipped corner finder")
def test_reader_loads_the_corner_finder_it_is_told_to(tmp_path):
    from platereader import Reader
    from platereader.detection.detector import DEFAULT_DETECTOR

    assert Reader(threads=1, int8=True).corner_finder.path.name == "corners.int8.onnx"
    plain = Reader(threads=1, locate_in_crops=False)
    plain.read_crop(np.full((40, 160, 3), 120, np.uint8))
    assert plain._corner_finder is None  # --no-locate: crops read as given, no corner finder loaded
    with pytest.raises(FileNotFoundError, match=r"missing\.onnx: corner finder model not found"):
        Reader(corners=tmp_path / "missing.onnx").corner_finder  # noqa: B018
    with pytest.raises(ValueError, match="not a platereader corner finder"):
        Reader(corners=DEFAULT_DETECTOR).corner_finder  # noqa: B018
