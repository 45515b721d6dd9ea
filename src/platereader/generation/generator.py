"""The synthetic plate generator: sample a registration, draw it, photograph it."""

from __future__ import annotations

import itertools
import multiprocessing as mp
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from platereader.alphabet import MASK
from platereader.detection.rectify import MIN_CUT_WIDTH, cut_out_matrix, warp_upright
from platereader.formats import Country, load_countries
from platereader.formats.schema import Layout, PlateFormat
from platereader.generation.fonts import Font, FontPool
from platereader.generation.render import FlatPlate, PlateSpec, render_plate
from platereader.generation.scene import negative, sample_plate_width, shoot, transform_boxes
from platereader.runtime.preprocess import resize_crop

# The corner finder's error: each corner coordinate off by a normal error with this share of the
# plate's width as its spread. The shipped finder's worst corner is off by a median 2.2% of the
# plate's width on generated plates (CORNERS_CARD.md); the worst of eight such errors is about twice this.
CUT_OUT_CORNER_ERROR = 0.012

# Each drawn plate is photographed this many times (new pose, crop, light, optics): drawing costs
# as much as shooting, and a plate seen twice under different damage is no loss.
SHOTS_PER_PLATE = 3
PREFERRED_FONT_RATE = 0.75  # the rest get any pool font, so no single font is memorised


@dataclass
class Sample:
    image: np.ndarray  # RGB uint8
    text: str  # registration in reading order, no separators ("" for a crop with no plate)
    country: str
    format: str
    layout: str
    rows: list[str]
    corners: np.ndarray  # 4 x 2 (TL, TR, BR, BL), image pixels
    char_boxes: np.ndarray  # N x 4 (x0, y0, x1, y1), image pixels
    readable: bool
    plate_width_px: float  # plate width as photographed (at most max_shot_width), before resizing
    meta: dict = field(default_factory=dict)

    @property
    def target(self) -> str:
        """What a reader should answer: the text (MASK where a character is hidden), or nothing
        when no person could read it."""
        if not self.readable:
            return ""
        hidden = set(self.meta.get("masked", ()))
        return "".join(MASK if i in hidden else ch for i, ch in enumerate(self.text))

    def label(self) -> dict:
        return {
            "text": self.text, "readable": self.readable, "country": self.country, "format": self.format,
            "layout": self.layout, "rows": self.rows, "corners": np.round(self.corners, 2).tolist(),
            "char_boxes": np.round(self.char_boxes, 2).tolist(), "plate_width_px": round(self.plate_width_px, 1),
            **self.meta,
        }  # fmt: skip


def _pick(rng: random.Random, items: list, weights: list[float]):
    return rng.choices(items, weights=weights, k=1)[0]


def _two_row_layouts(fmt: PlateFormat) -> list[Layout]:
    return [layout for layout in fmt.layouts if layout.rows and len(layout.rows) > 1]


class PlateGenerator:
    """Deterministic: sample ``i`` of a generator with seed ``s`` is always the same image.

    ``out_size`` (width, height) resizes every crop to the model's input; None keeps the camera's
    resolution. ``negative_rate`` adds crops with no plate (target "").
    """

    def __init__(
        self,
        countries: list[str] | None = None,
        font_dirs: list[Path] | None = None,
        format_files: list[Path] | None = None,
        seed: int = 0,
        out_size: tuple[int, int] | None = None,
        negative_rate: float = 0.03,
        shots_per_plate: int = SHOTS_PER_PLATE,
        mask_rate: float = 0.0,
        max_shot_width: float | None = None,
        photo_mask_share: float = 0.0,
        two_row_share: float = 0.0,
        tight_crop_share: float = 0.0,
        steep_roll_share: float = 0.0,
        loose_crop_share: float = 0.0,
        cut_out_share: float = 0.0,
    ):
        self.countries: dict[str, Country] = load_countries(countries, format_files)
        self.fonts = FontPool(font_dirs)
        self.seed = seed
        self.out_size = out_size
        self.negative_rate = negative_rate
        self.shots_per_plate = shots_per_plate
        self._last_plate: tuple[tuple[int, int], tuple] | None = None  # keyed by (seed, plate index)
        # Share of plates with 1-2 characters hidden under grey boxes (target MASK there), for
        # reading data sets that mask part of each registration.
        self.mask_rate = mask_rate
        # Of those, the share whose boxes are painted into the finished photo (sharp, in the
        # plate's tint, as data sets that mask registrations do) instead of onto the plate.
        self.photo_mask_share = photo_mask_share
        # Plates wider than this are photographed at this width: a model shrinks them anyway, and
        # shooting at full size costs time. Defaults to 1.25x the output width when out_size is set.
        self.max_shot_width = max_shot_width or (1.25 * out_size[0] if out_size else None)
        # Share of plates drawn with a two-row layout (of the countries and formats that have one):
        # two-row plates are 3% of the natural mix, too few for a detector to learn their shape.
        self.two_row_share = two_row_share
        # Share of crops cut at the plate's edges (the rest have -3..20% of its width as margin per
        # side, as a detector's loose box): data sets such as uc3m cut their crops so.
        self.tight_crop_share = tight_crop_share
        # Share of crops whose plate is turned up to 30 degrees in the image plane (the rest about 3,
        # at most 10): a tenth of uc3m's crops slope 10 degrees or more.
        self.steep_roll_share = steep_roll_share
        # Share of crops with a quarter to a half of the plate's size as margin per side (scene.LOOSE_MARGINS).
        self.loose_crop_share = loose_crop_share
        # Share of crops cut out upright by the plate's corners, as the reader's corner finder cuts
        # them (runtime/corners.py): the corners off by its typical error, CUT_OUT_CORNER_ERROR.
        self.cut_out_share = cut_out_share
        self._codes = list(self.countries)
        self._weights = [c.weight for c in self.countries.values()]
        self._two_row_codes = [code for code, c in self.countries.items() if any(_two_row_layouts(f) for f in c.formats)]
        self._two_row_weights = [self.countries[code].weight for code in self._two_row_codes]
        self._preferred = {code: self.fonts.preferred(c.fonts) for code, c in self.countries.items()}

    def _font(self, code: str, rng: random.Random) -> Font:
        preferred = self._preferred[code]
        if preferred and rng.random() < PREFERRED_FONT_RATE:
            return rng.choice(preferred)
        return rng.choice(self.fonts.fonts)

    def spec(self, rng: random.Random) -> PlateSpec:
        # Drawn only with a two-row share, so plates of generators without one stay as they were.
        two_rows = bool(self.two_row_share) and rng.random() < self.two_row_share
        codes, weights = (self._two_row_codes, self._two_row_weights) if two_rows else (self._codes, self._weights)
        if not codes:
            raise ValueError("two_row_share: none of the countries has a two-row layout")
        code = _pick(rng, codes, weights)
        country = self.countries[code]
        formats = [f for f in country.formats if _two_row_layouts(f)] if two_rows else country.formats
        fmt = _pick(rng, formats, [f.weight for f in formats])
        layouts = _two_row_layouts(fmt) if two_rows else fmt.layouts
        layout = _pick(rng, layouts, [lay.weight for lay in layouts])
        schemes = fmt.colors or country.colors
        colors = _pick(rng, schemes, [s.weight for s in schemes])
        band_rate = fmt.band_weight if fmt.band_weight is not None else country.band.weight
        band = country.band.style != "none" and rng.random() < band_rate
        right_band = fmt.right_band if fmt.right_band is not None else country.right_band
        spec = PlateSpec(country, fmt, layout, fmt.sample_groups(rng), colors, self._font(code, rng), band, right_band, rng.random() < 0.5)
        # Drawn only for countries with glyph shapes, so the others' plates stay as they were.
        spec.drawn_as = {g.char: g.drawn_as for g in country.glyph_shapes if rng.random() < g.share}
        return spec

    def _plate(self, plate_index: int) -> tuple:
        """Draw plate number ``plate_index`` (cached: consecutive samples share it)."""
        if self._last_plate and self._last_plate[0] == (self.seed, plate_index):
            return self._last_plate[1]
        rng = np.random.default_rng([self.seed, plate_index])
        py_rng = random.Random(self.seed * 1_000_003 + plate_index)
        spec = self.spec(py_rng)
        plate_w = sample_plate_width(rng)  # drawn near the camera's resolution: no big down-sampling later
        scale = float(np.clip(1.0 * plate_w, 48, 240)) / spec.layout.size_mm[0]
        masked: frozenset[int] = frozenset()
        if self.mask_rate and rng.random() < self.mask_rate:
            masked = frozenset(rng.choice(len(spec.text), size=min(len(spec.text), int(rng.integers(1, 3))), replace=False).tolist())
        masked_in_photo = bool(masked) and self.photo_mask_share > 0 and rng.random() < self.photo_mask_share
        flat_masked = frozenset() if masked_in_photo else masked
        flat = render_plate(spec, scale, rng, py_rng.choice(self.fonts.fonts), frame=rng.random() < 0.35, masked=flat_masked)
        self._last_plate = ((self.seed, plate_index), (spec, flat, plate_w, masked, masked_in_photo))
        return spec, flat, plate_w, masked, masked_in_photo

    def flat_plate(self, index: int) -> tuple[PlateSpec, FlatPlate]:
        """Plate ``index`` drawn flat (RGBA, corners, character boxes), before any camera or damage."""
        spec, flat, *_ = self._plate(index)
        return spec, flat

    def sample(self, index: int) -> Sample:
        plate_index, shot_index = divmod(index, self.shots_per_plate)
        rng = np.random.default_rng([self.seed, plate_index, shot_index + 1])
        if rng.random() < self.negative_rate:
            img = negative(rng)
            sample = Sample(img, "", "", "none", "none", [], np.zeros((4, 2), np.float32), np.zeros((0, 4), np.float32), False, 0.0)
        else:
            spec, flat, plate_w, masked, masked_in_photo = self._plate(plate_index)
            if shot_index:
                plate_w = float(np.clip(plate_w * rng.uniform(0.7, 1.4), 20, 300))
            if self.max_shot_width:
                plate_w = min(plate_w, self.max_shot_width)
            # Drawn only with a tight share, so crops of generators without one stay as they were.
            tight = bool(self.tight_crop_share) and rng.random() < self.tight_crop_share
            steep = bool(self.steep_roll_share) and rng.random() < self.steep_roll_share  # likewise
            loose = not tight and bool(self.loose_crop_share) and rng.random() < self.loose_crop_share  # likewise
            shot = shoot(
                flat.rgba, flat.text_mask, flat.quad, flat.char_boxes, flat.cap_px, rng, plate_w, masked, masked_in_photo,
                tight=tight, steep_roll=steep, loose=loose,
            )  # fmt: skip
            meta = {"font": spec.font.name, "colors": spec.colors.name, "cnr": round(shot.cnr, 2)}
            meta.update(weakest_cnr=round(float(shot.weakest_cnr), 2), blur_ratio=round(float(shot.blur_ratio), 3))
            if masked:
                meta["masked"] = sorted(masked)
                meta["masked_in_photo"] = masked_in_photo
            sample = Sample(
                shot.image, spec.text, spec.country.code, spec.fmt.name, spec.layout.name, spec.rows,
                shot.corners, shot.char_boxes, shot.readable, shot.plate_width_px, meta,
            )  # fmt: skip
            if self.cut_out_share and rng.random() < self.cut_out_share:  # drawn last: other crops stay as they were
                _cut_out(sample, rng)
        return self._resized(sample) if self.out_size else sample

    def _resized(self, sample: Sample) -> Sample:
        h, w = sample.image.shape[:2]
        ow, oh = self.out_size  # type: ignore[misc]
        sx, sy = ow / w, oh / h
        sample.image = resize_crop(sample.image, ow, oh)
        sample.corners = sample.corners * [sx, sy]
        sample.char_boxes = sample.char_boxes * [sx, sy, sx, sy]
        return sample

    def samples(self, start: int, count: int) -> list[Sample]:
        return [self.sample(i) for i in range(start, start + count)]

    def readable_samples(self, count: int) -> list[Sample]:
        """The first ``count`` samples a person could read, in index order (held-out sets, eye tests)."""
        found: list[Sample] = []
        i = 0
        while len(found) < count:
            sample = self.sample(i)
            i += 1
            if sample.readable:
                found.append(sample)
        return found

    def stream(self, batch_size: int, start: int = 0, count: int | None = None, workers: int = 0) -> Iterator[list[Sample]]:
        """Batches of samples in index order, in memory; ``workers`` > 0 renders in processes.

        With ``count`` None the stream never ends (take what you need from it).
        """
        end = start + count if count is not None else None
        starts = range(start, end, batch_size) if end is not None else itertools.count(start, batch_size)
        tasks = ((s, batch_size if end is None else min(batch_size, end - s)) for s in starts)
        if workers <= 0:
            for task in tasks:
                yield self.samples(*task)
            return
        # A finite stream goes to the pool in one piece (no stalls); an endless one in windows,
        # because Pool.imap would queue an endless iterator's tasks without limit.
        window = None if end is not None else workers * 4
        with mp.get_context("fork").Pool(workers, initializer=_init_worker, initargs=(self,)) as pool:
            while chunk := list(itertools.islice(tasks, window)):
                yield from pool.imap(_worker_samples, chunk, chunksize=1)


def _cut_out(sample: Sample, rng: np.random.Generator) -> None:
    """Replace a sample's crop by its plate cut out upright as the corner finder would cut it: by
    its corners, each moved by a random error, with the run time's margin and minimum width."""
    width = float(np.linalg.norm(sample.corners[1] - sample.corners[0]))
    found = sample.corners + rng.normal(0.0, CUT_OUT_CORNER_ERROR * width, (4, 2)).astype(np.float32)
    matrix, size = cut_out_matrix(found, min_width=MIN_CUT_WIDTH)
    sample.image = warp_upright(sample.image, matrix, size)
    sample.corners = cv2.perspectiveTransform(sample.corners[None], matrix)[0].astype(np.float32)
    sample.char_boxes = transform_boxes(sample.char_boxes, matrix)
    sample.meta["cut_out"] = True


_WORKER: PlateGenerator | None = None


def _init_worker(generator: PlateGenerator) -> None:
    global _WORKER
    _WORKER = generator


def _worker_samples(args: tuple[int, int]) -> list[Sample]:
    assert _WORKER is not None
    return _WORKER.samples(*args)
