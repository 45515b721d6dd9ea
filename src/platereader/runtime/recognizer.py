"""The plate recognizer at run time: an ONNX model, onnxruntime, numpy. No torch."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np

from platereader.alphabet import MASK
from platereader.runtime.band import band_end_frame, blank_before
from platereader.runtime.decode import Decoded, best_layout, decode_batch, layout_score, without_class
from platereader.runtime.grammar import Grammar
from platereader.runtime.preprocess import crops_to_tensor, edge_tilt_degrees
from platereader.runtime.session import open_session
from platereader.runtime.shipped import MANIFEST, load_manifest, routed_recognizers


class _PassedOn:
    """A ``Recognizer`` setting that the models reading for it (``_helpers``) follow when it is set."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.stored = name, f"_{name}"

    def __get__(self, recognizer, owner=None):
        return self if recognizer is None else getattr(recognizer, self.stored)

    def __set__(self, recognizer, value) -> None:
        setattr(recognizer, self.stored, value)
        for helper in recognizer._helpers():
            setattr(helper, self.name, value)


@dataclass
class PlateRead:
    text: str  # "" when the crop holds no readable plate
    confidence: float
    char_confidences: list[float]
    country: str | None = None  # the format the text fits, when the grammar is used and only one country fits
    fits_format: bool | None = None  # whether the text fits any country format (None: grammar off)
    raw_text: str = ""  # the network's own read, before the grammar
    extra: dict = field(default_factory=dict)
    # Where the plate is in a full image (None for a crop): x, y, w, h; corners TL, TR, BR, BL.
    box: tuple[float, float, float, float] | None = None
    corners: list[list[float]] | None = None
    detection_confidence: float | None = None

    @property
    def readable(self) -> bool:
        return bool(self.text)

    def to_dict(self) -> dict:
        out = {
            "text": self.text,
            "confidence": round(self.confidence, 4),
            "char_confidences": [round(c, 4) for c in self.char_confidences],
            "country": self.country,
        }
        if self.box is not None:
            out["box"] = [round(float(v), 1) for v in self.box]
        if self.corners is not None:
            out["corners"] = [[round(float(x), 1), round(float(y), 1)] for x, y in self.corners]
        if self.detection_confidence is not None:
            out["detection_confidence"] = round(self.detection_confidence, 4)
        return out


class Recognizer:
    """Reads plate crops. ``threads`` caps onnxruntime's intra-op threads (1 for latency);
    ``countries`` (codes) limits the grammar to those countries' formats and, without a
    ``model_path``, picks a shipped regional model for them if there is one (``runtime/shipped.py``).

    ``privacy_masks``: whether the crops may have characters greyed out, as some public data sets
    do (uc3m); only then can a read hold the mask character ``?``. Camera images never do, and
    there the network's ``?`` is a dark block that is not a character (an EU band, a frame), so
    by default that output is ruled out and its frames go to the next best reading.
    ``band_guard``: frames on an EU band at a crop's left are read as nothing (``runtime/band.py``).
    ``regional``: an unrestricted recognizer of the shipped models (no ``model_path``, no
    ``countries``, grammar on) gets ``routes``: the shipped regional models that read every crop
    beside it and take the plates their read fits (``RegionalRoute``; Spain's national plates), at
    about twice the time per crop, second looks included. The pipeline (``Reader``) applies them to
    its finished reads (``pipeline.routed``); ``read_crops`` is this model's own read. False: no routes.
    A shipped model with a ``steep`` companion in the manifest (Spain's) leaves the crops whose edges
    slope at least its ``min_tilt_degrees`` to that model, trained on steeply turned plates.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        int8: bool = False,
        threads: int | None = None,
        grammar: Grammar | bool | None = True,
        countries: Sequence[str] | None = None,
        privacy_masks: bool = False,
        band_guard: bool = True,
        regional: bool = True,
    ):
        files = None if model_path else load_manifest().choose(countries)
        path = Path(model_path) if model_path else files.file(int8)
        self.session, meta = open_session(path, "recognizer", "platereader_config", threads)
        self.config = json.loads(meta["platereader_config"])
        self.alphabet: str = meta["platereader_alphabet"]
        # Chosen at export on held-out generated plates (model card); 1.0 for older files.
        self.blank_scale = float(meta.get("platereader_blank_scale", "1.0"))
        self.width, self.height = self.config["input_width"], self.config["input_height"]
        key = tuple(countries) if countries else None
        self.grammar = Grammar.for_alphabet(self.alphabet, key) if grammar is True else (grammar or None)
        self.path = path
        routed = regional and model_path is None and not countries and grammar is True
        self.routes = regional_routes(int8, threads, privacy_masks, band_guard) if routed else []
        steep = files.steep if files else None
        self.steep_from = steep.min_tilt_degrees if steep else None
        self.steep = (
            Recognizer(steep.file(int8), int8, threads, grammar, countries, privacy_masks, band_guard, regional=False) if steep else None
        )
        self.privacy_masks = privacy_masks
        self.band_guard = band_guard  # frames on an EU band are read as blank (runtime/band.py)
        self._made = (model_path, int8, threads)
        self._held: dict[str, Recognizer] = {}

    # The models that read for this one (regional routes, the steep companion) read the same kind
    # of crops, so these settings, which callers may change after construction, are passed on.
    privacy_masks = _PassedOn()
    band_guard = _PassedOn()

    def _helpers(self) -> list[Recognizer]:
        return [route.recognizer for route in self.routes] + ([self.steep] if self.steep else [])

    def held_to(self, country: str) -> Recognizer:
        """This recognizer held to one country's formats, as ``Recognizer(countries=[country])``
        would be made with its model, int8 and threads (so with the country's shipped regional model
        if there is one, and no routes); made on first use, then kept. Where that is this network,
        it shares this one's session (no second copy of the model in memory, nothing loaded). Its
        ``privacy_masks`` and ``band_guard`` follow this one's."""
        if country not in self._held:
            model_path, int8, threads = self._made
            files = None if model_path else load_manifest().choose([country])
            if files is None or (files.file(int8) == self.path and files.steep is None and self.steep is None):
                held = copy.copy(self)
                held.grammar = Grammar.for_alphabet(self.alphabet, (country,))
                held.routes, held._held = [], {}
            else:
                held = Recognizer(model_path, int8, threads, countries=[country], regional=False)
            self._held[country] = held
        held = self._held[country]
        held.privacy_masks, held.band_guard = self.privacy_masks, self.band_guard
        return held

    @property
    def described(self) -> str:
        """This model's file name, and its steep companion's if it has one."""
        return self.path.name + self.steep_described

    @property
    def steep_described(self) -> str:
        """The steep companion, as " (recognizer-es-steep.onnx at 10+ degrees)" ("" for none)."""
        return f" ({self.steep.path.name} at {self.steep_from:g}+ degrees)" if self.steep else ""

    @property
    def routes_described(self) -> str:
        """The regional models reading beside this one, as " + recognizer-es.onnx for ES" ("" for none)."""
        return "".join(f" + {route.recognizer.described} for {route.name}" for route in self.routes)

    def probabilities(self, crops: list[np.ndarray], one_row_colour: list[np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Network output for every view of the crops (see crop_views), and each view's crop index;
        ``one_row_colour`` receives each crop's one-row view in colour if given."""
        x, owner = crops_to_tensor(crops, self.width, self.height, one_row_colour)
        return self.session.run(None, {"image": x})[0], owner

    def read_crops(self, crops: list[np.ndarray], batch_size: int = 64) -> list[PlateRead]:
        if self.steep is None:
            return self._own_reads(crops, batch_size)
        steep = [abs(edge_tilt_degrees(crop)) >= self.steep_from for crop in crops]
        reads: list[PlateRead | None] = [None] * len(crops)
        for model, is_steep in ((self, False), (self.steep, True)):
            chosen = [i for i, s in enumerate(steep) if s == is_steep]
            for i, read in zip(chosen, model._own_reads([crops[i] for i in chosen], batch_size), strict=True):
                read.extra["steep"] = is_steep
                reads[i] = read
        return reads  # type: ignore[return-value]  # every crop read by one of the two

    def _own_reads(self, crops: list[np.ndarray], batch_size: int) -> list[PlateRead]:
        reads: list[PlateRead] = []
        for i in range(0, len(crops), batch_size):
            batch = crops[i : i + batch_size]
            one_row: list[np.ndarray] = []
            probs, owner = self.probabilities(batch, one_row)
            if not self.privacy_masks and MASK in self.alphabet:
                probs = without_class(probs, 1 + self.alphabet.index(MASK))  # class 0 is the CTC blank
            bounds = np.searchsorted(owner, np.arange(len(batch) + 1))
            if self.band_guard:  # each crop's first view is its one-row view
                for view, first in zip(one_row, bounds[:-1], strict=True):
                    probs[first] = blank_before(probs[first], band_end_frame(view, probs.shape[1]))
            decoded = decode_batch(probs, self.alphabet, self.blank_scale)
            views = self._reads(probs, decoded)
            # Every crop has one or two views (layouts), in crop order: keep the better read.
            for start, end in pairwise(bounds):
                candidates = views[start:end]
                best = best_layout([layout_score(c.char_confidences, fits_as_read(c)) for c in candidates])
                candidates[best].extra["rows"] = best + 1  # views come one-row first, then unfolded
                reads.append(candidates[best])
        return reads

    def _reads(self, probs: np.ndarray, decoded: list[Decoded]) -> list[PlateRead]:
        reads = [PlateRead(d.text, d.confidence, d.char_confidences, raw_text=d.text, extra={"frames": d.frames}) for d in decoded]
        return self.grammar.apply_all(reads, probs, self.alphabet) if self.grammar else reads


@dataclass
class RegionalRoute:
    """A regional model reading beside the general one (``weights/recognizers.yaml``, ``routes``).
    The general model reads its countries' plates worse (Spain's oval 0 as O, its M and W), and
    its read of such a plate is often no clue that the plate is one of them; the regional model's
    read, fitting a format of its own countries character for character, is."""

    name: str  # the regional model's countries, e.g. "ES"
    recognizer: Recognizer  # restricted to its countries
    formats: Grammar  # the formats whose reads it takes over (for Spain: the national 1234 BCD)
    min_confidence_ratio: float  # of the general read's confidence (1.0: at least as confident)

    def takes(self, regional: PlateRead, general: PlateRead) -> bool:
        """Whether ``regional`` (this model's read of a crop) replaces ``general`` (the general model's)."""
        return self.fits(regional) and regional.confidence >= self.min_confidence_ratio * general.confidence

    def fits(self, regional: PlateRead) -> bool:
        """Whether ``regional`` fits one of the route's formats as read (no look-alike or path repair)."""
        return bool(regional.fits_format) and regional.extra.get("format_repair") is None and self.formats.fits_as_written(regional.text)


def regional_routes(int8: bool, threads: int | None, privacy_masks: bool, band_guard: bool) -> list[RegionalRoute]:
    """The shipped regional models that read beside the general one (``routed_recognizers``)."""
    routes = []
    for spec in routed_recognizers():
        # The shipped reader for its countries: this model, with its steep companion if it has one.
        recognizer = Recognizer(None, int8, threads, countries=spec.countries, privacy_masks=privacy_masks, band_guard=band_guard)
        if recognizer.path != spec.file(int8):
            raise ValueError(f"{MANIFEST}: {spec.countries} read by {recognizer.path.name}, not the routed {spec.file(int8).name}")
        try:
            formats = Grammar.of_formats(recognizer.alphabet, spec.countries[0], spec.routes.formats)
        except ValueError as exc:
            raise ValueError(f"{MANIFEST}: routes: {exc}") from exc
        routes.append(RegionalRoute(spec.countries[0], recognizer, formats, spec.routes.min_confidence_ratio))
    return routes


def fits_as_read(read: PlateRead) -> bool | None:
    """Whether a read fits a format without a path forced through the network's output: a wrong
    layout's garbled output can always be forced into some format, so that does not count."""
    return False if read.extra.get("format_repair") == "path" else read.fits_format
