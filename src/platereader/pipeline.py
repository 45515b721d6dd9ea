"""Full images end to end: detect plates (or take the caller's boxes), straighten, read, filter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from platereader.alphabet import MASK
from platereader.detection import Detection, Detector
from platereader.detection.geometry import box_around, clip_box, inside_share, iou_matrix, letterbox, turned, upright_box_around
from platereader.detection.locate import CONTEXT, MIN_TURN_DEGREES, located_plate, tilt_degrees
from platereader.detection.rectify import crop_bounds, crop_box, plate_crops
from platereader.runtime.corners import CornerFinder
from platereader.runtime.country import CountryClassifier
from platereader.runtime.preprocess import edge_tilt_degrees, reframe
from platereader.runtime.recognizer import PlateRead, Recognizer, RegionalRoute

# The false-detection filter keeps a read whose plate score, its confidence times the detector's
# confidence to the power DETECTION_WEIGHT, reaches MIN_PLATE_SCORE. Signs, stickers, logos and
# lettering on the car rarely read as a valid registration with confidence, and a find the
# detector is sure of may be kept on a less certain read. A read that fits no format has its
# confidence halved by the grammar. Both numbers were chosen with scripts/filter_calibration.py on
# the 349 detect photos held out from a detector trained on the other 1,148 (the shipped detector
# trained on all of them, so it is surer there than on photos it never saw; DETECTOR_CARD.md):
# the most true plates kept at no more than 0.083 false plates per photo, 72.6% at 0.080, where the
# read's confidence alone kept 59.7% at 0.072.
DETECTION_WEIGHT = 3.0
MIN_PLATE_SCORE = 0.075
# A read in a turned copy (Reader(turns=...); it wins only where the photo itself gave no confident
# read) also needs this confidence: each copy is one more look at every sign and sticker. Chosen with
# scripts/filter_calibration.py --turns=-20,20 on the detect photos and the shipped detector: the
# most true plates kept at no more than 0.083 false plates per upright photo (982 at 0.053; 980 at
# 0.053 without turns).
MIN_CONFIDENCE_TURNED = 0.99
# Two finds of one plate (in the photo and in a turned copy) overlap at least this much; the upright
# box around a plate found turned is looser than the box of the same plate found upright.
SAME_PLATE_IOU = 0.3
# A detection read after its plate was found again around it (``_upright_if_better``) reports the
# found plate's box and corners when at least this share of the found plate lies outside the
# detection: the detector boxed a piece of the plate (3561HFR boxed as "1HFR"). Otherwise it keeps
# its own box, which fits about as well (a tilted plate found again upright).
PIECE_OUTSIDE = 1 / 3
# A crop read that fits a format at least this confidently is kept as read; any other crop is
# searched for its plate as well (loose, shifted or tilted boxes), and the more confident read wins.
# Searching every crop cost 3.5 points of visible characters on uc3m's train split (its
# straightened copy cuts into privacy boxes); this way none (benchmarks/robustness.py --uc3m-train).
CONFIDENT_CROP_READ = 0.5
# A crop read that does not fit a format at least this confidently gets a second look: it is read
# again in each of SECOND_LOOK_VIEWS, and the text most of the reads agree on wins (each read
# weighs 1 + its confidence; ties go to the read as given). Crops cut at the plate's edges (uc3m's)
# lose a first or last character where the network's convolutions meet the crop's edge, loose
# boxes shrink the characters, and which re-framing helps differs from crop to crop: a vote over
# several finds the text they share. Chosen on uc3m's train split and generated plates of seeds
# 777 and 12345 against a border-only second look (MODEL_CARD.md, "A second look", session 15);
# 0.95 over 0.8 gained 0.4-0.5 points there, at a second look for 24% of generated crops and 59% of
# uc3m's (15% and 38% at 0.8).
SECOND_LOOK_BELOW = 0.95
# Each view as (left, right, top, bottom) shares of the crop's width and height: added in copies of
# its edge pixels, or cut off where negative. A border all round (a crop cut at the plate's edges);
# cut in twice (a loose box); wider; taller; a margin on the left, then on the right.
SECOND_LOOK_VIEWS: tuple[tuple[float, float, float, float], ...] = (
    (0.05, 0.05, 0.05, 0.05),
    (-0.04, -0.04, -0.06, -0.06),
    (-0.02, -0.02, -0.04, -0.04),
    (0.08, 0.08, 0.0, 0.0),
    (0.0, 0.0, 0.1, 0.1),
    (0.06, 0.0, 0.0, 0.0),
    (0.0, 0.06, 0.0, 0.0),
)


@dataclass
class PlateFilter:
    """Which detections count as plates, judged by what the recognizer makes of them, weighed by
    how sure the detector was."""

    min_plate_score: float = MIN_PLATE_SCORE
    detection_weight: float = DETECTION_WEIGHT
    min_confidence_turned: float = MIN_CONFIDENCE_TURNED
    uses_formats: bool = True  # False when the grammar is off: then only empty reads are dropped

    def keep(self, read: PlateRead) -> bool:
        if not read.readable:
            return False
        if read.extra.get("found_turned") and read.confidence < self.min_confidence_turned:
            return False
        return not self.uses_formats or self.plate_score(read) >= self.min_plate_score

    @property
    def min_detection_confidence(self) -> float:
        """The detection confidence under which no read, however confident, reaches
        ``min_plate_score`` (0 when every readable read is kept: no formats, or no weight)."""
        if not self.uses_formats or self.detection_weight <= 0:
            return 0.0
        return self.min_plate_score ** (1 / self.detection_weight)

    def plate_score(self, read: PlateRead) -> float:
        """How sure the reader is that ``read`` is a plate: its confidence (halved by the grammar
        when it fits no format), weighed by the detector's confidence where it came from a detection:
        the higher of its confidence in the photo and in the plate found again upright (a tilted
        plate, unlike those the detector learnt, is found with less confidence where it lies)."""
        if read.detection_confidence is None:
            return read.confidence
        detected = max(read.detection_confidence, read.extra.get("located_confidence", 0.0))
        return read.confidence * detected**self.detection_weight

    def select(self, reads: list[PlateRead]) -> list[PlateRead]:
        """The reads of one image (best detection first) that count as plates: those ``keep``
        passes, less repeats: a read that spells part of a longer read kept in the same image, or
        the same text as a better detection, is a piece of that plate the detector found again
        ("1HFR" or "3561HF" beside "3561HFR"; a tilted piece that is found whole when turned upright).
        A kept piece of a whole plate's read that was dropped (its detection unsure) stands for that
        whole read."""
        dropped = [r for r in reads if not self.keep(r) and _confident(r) and not r.extra.get("found_turned")]
        kept = [_whole_plate(r, dropped) for r in reads if self.keep(r)]
        if any(r.extra.get("found_turned") for r in kept):
            kept = _one_read_per_plate(kept)
        return [r for i, r in enumerate(kept) if not any(_repeats(r, o, o_first=j < i) for j, o in enumerate(kept) if j != i)]


def _whole_plate(read: PlateRead, dropped: list[PlateRead]) -> PlateRead:
    """``read``, or the first of the ``dropped`` (confident, format-fitting) reads whose box overlaps
    it and whose text holds its text and more: the whole plate of which ``read`` found a piece."""
    for whole in dropped:
        if read.box is None or whole.box is None or read.text not in whole.text or len(whole.text) <= len(read.text):
            continue
        if iou_matrix([read.box], [whole.box])[0, 0] > 0:
            return whole
    return read


def _one_read_per_plate(reads: list[PlateRead]) -> list[PlateRead]:
    """Of overlapping reads (one plate found in the photo and in turned copies), the best, in the
    order given: a confident read beats an unsure one, and a find in the photo itself one in a
    turned copy (its box is tighter); then the more confident read wins."""

    def rank(i: int) -> tuple:
        return (not _confident(reads[i]), bool(reads[i].extra.get("found_turned")), -reads[i].confidence)

    order = sorted(range(len(reads)), key=rank)
    kept: list[int] = []
    for i in order:
        if not kept or iou_matrix([reads[i].box], [reads[k].box for k in kept]).max() < SAME_PLATE_IOU:
            kept.append(i)
    return [reads[i] for i in sorted(kept)]


def _repeats(read: PlateRead, other: PlateRead, o_first: bool) -> bool:
    """Whether ``read`` repeats (part of) ``other``'s text; of two equal texts the first is kept."""
    return read.text in other.text and (len(other.text) > len(read.text) or o_first)


def read_detections(
    image: np.ndarray,
    detections: list[Detection],
    recognizer: Recognizer,
    detector: Detector | None = None,
    second_look: bool = True,
    corner_finder: CornerFinder | None = None,
    min_detection_confidence: float = 0.0,
    country_classifier: CountryClassifier | None = None,
) -> list[PlateRead]:
    """Read every detection (straightened by its corners) and note where it was found. With a
    ``corner_finder``, a detection not read confidently is also cut out upright by the corners it
    finds in the box (``_cut_out_unsure``). With ``second_look``, a detection still not read
    confidently is read again in SECOND_LOOK_VIEWS of its best crop, as in ``read_crops``. A
    detection less confident than ``min_detection_confidence`` (one the filter cannot keep however
    it reads) gets neither: it is read once. With the ``detector``, a tilted plate not read
    confidently as given is found again turned upright (its corners cover only part of a plate
    tilted more than the detector learnt), and the more confident read kept; when the detection
    was a piece of the plate found, the read reports that plate's box and corners. With a
    ``country_classifier``, a read of a detection the filter may keep (``min_detection_confidence``)
    that spells none of the formats of the country the classifier is sure of is fitted to them, as
    in ``read_crops`` (``_fitted_to_country``). Chosen on generated street scenes and the detect
    photos (COUNTRY_CARD.md, "Whole photos"): 563 -> 566 of 597 plates upright and 383 -> 387
    turned 25 degrees, with as many false plates; on the detect photos 1,132 -> 1,133 true plates
    kept at 0.086 false plates per photo."""
    if not detections:
        return []
    crops, owner = [], []
    for i, det in enumerate(detections):
        views = plate_crops(image, det.box, det.corners)
        crops += views
        owner += [i] * len(views)
    first = recognizer.read_crops(crops)
    best: dict[int, int] = {}  # each detection's more confident crop
    for k, i in enumerate(owner):
        if i not in best or first[k].confidence > first[best[i]].confidence:
            best[i] = k
    chosen = [best[i] for i in range(len(detections))]
    as_given = [first[k] for k in chosen]
    chosen_crops = [crops[k] for k in chosen]
    hopeful = [det.confidence >= min_detection_confidence for det in detections]
    reads = as_given
    if corner_finder is not None:
        chosen_crops, reads = _cut_out_unsure(image, detections, chosen_crops, as_given, recognizer, corner_finder, hopeful)
    reads = _second_look(chosen_crops, reads, recognizer, hopeful) if second_look else reads
    reads = routed(chosen_crops, reads, recognizer, second_look, hopeful)
    if detector is not None:  # searched by the read as detected: a steep plate's cut-out may read wrong, yet surely
        reads = [
            _better_located(_upright_if_better(image, det, first_read, recognizer, detector), read)
            for det, first_read, read in zip(detections, as_given, reads, strict=True)
        ]
    if country_classifier is not None:
        reads = _fitted_to_country(chosen_crops, reads, recognizer, country_classifier, second_look, corner_finder, only=hopeful)
    h, w = image.shape[:2]
    for read, det in zip(reads, detections, strict=True):
        located = read.extra.pop("located_corners", None)
        located_box = None if located is None else clip_box(*box_around(located), w, h)
        if located_box is not None and 1.0 - inside_share(located_box, det.box) >= PIECE_OUTSIDE:
            read.box, read.corners = located_box, np.asarray(located, float).tolist()  # where the whole plate was read
        else:
            read.box = tuple(float(v) for v in det.box)  # type: ignore[assignment]
            read.corners = np.asarray(det.corners, float).tolist()
        read.detection_confidence = float(det.confidence)
    return reads


def _cut_out_unsure(
    image: np.ndarray,
    detections: list[Detection],
    crops: list[np.ndarray],
    reads: list[PlateRead],
    recognizer: Recognizer,
    corner_finder: CornerFinder,
    hopeful: Sequence[bool],
) -> tuple[list[np.ndarray], list[PlateRead]]:
    """Each detection's best crop and read (``crops``, ``reads``), where the read is not confident,
    replaced by the plate cut out of the detection's box by the corners the
    ``corner_finder`` finds there, when that read fits a format and is more confident: its corners
    are nearer the plate's than the detector's. Only unsure detections (a cut-out costs a read),
    and only format-fitting reads: a false find cut out and read more surely passes the filter more
    often (on the detect photos, cutting out every unsure detection kept 22 more true plates at
    0.087 false plates per photo instead of 0.081; format-fitting reads only, 20 more at 0.086;
    CORNERS_CARD.md, "Whole photos"). Only the detections ``hopeful`` marks."""
    unsure = [i for i, read in enumerate(reads) if hopeful[i] and not _confident(read, SECOND_LOOK_BELOW)]
    cuts = corner_finder.cut([crop_box(image, detections[i].box) for i in unsure])
    found = [(i, cut) for i, cut in zip(unsure, cuts, strict=True) if cut is not None]
    crops, reads = list(crops), list(reads)
    for (i, cut), read in zip(found, recognizer.read_crops([cut for _, cut in found]), strict=True):
        if read.fits_format is not False and read.confidence > reads[i].confidence:
            read.extra["cut_by_corners"] = True
            crops[i], reads[i] = cut, read
    return crops, reads


def _better_located(searched: PlateRead, read: PlateRead) -> PlateRead:
    """The plate found again (``searched``, from the read as given) where it is more confident than
    ``read`` (after any second look): views of a tilted crop can agree on a wrong read."""
    return searched if searched.extra.get("located") and searched.confidence > read.confidence else read


def _upright_if_better(image: np.ndarray, det: Detection, read: PlateRead, recognizer: Recognizer, detector: Detector) -> PlateRead:
    """A detection whose corners or edges slope (the corners alone stay near level on plates
    steeper than the detector learnt) and that is not read confidently, found again levelled."""
    if _confident(read) or not _slopes(image, det):
        return read
    x0, y0, x1, y1 = crop_bounds(image, det.box, margin=CONTEXT)
    return _located_if_better(image[y0:y1, x0:x1], read, recognizer, detector, origin=(x0, y0))


def _slopes(image: np.ndarray, det: Detection) -> bool:
    """Whether the detection's corners, or else the edges inside its box, slope more than MIN_TURN_DEGREES."""
    if abs(tilt_degrees(det.corners)) > MIN_TURN_DEGREES:
        return True
    return abs(edge_tilt_degrees(crop_box(image, det.box))) > MIN_TURN_DEGREES


def _confident(read: PlateRead, confident: float = CONFIDENT_CROP_READ) -> bool:
    return read.fits_format and read.confidence >= confident


def _located_if_better(
    crop: np.ndarray,
    read: PlateRead,
    recognizer: Recognizer,
    detector: Detector,
    confident: float = CONFIDENT_CROP_READ,
    origin: tuple[int, int] | None = None,
) -> PlateRead:
    """``read`` of ``crop``, or, when it is not ``confident``ly read (fitting a format), the read of
    the plate found in the crop and cut out upright if that one is more confident. With the crop's
    ``origin`` in a full image, the found plate's corners there go in ``extra["located_corners"]``."""
    if _confident(read, confident):
        return read
    located = located_plate(crop, detector)
    if located is None:
        return read
    [again] = routed([located.image], recognizer.read_crops([located.image]), recognizer, second_look=False)
    if again.confidence <= read.confidence:
        return read
    again.extra["located"] = True
    again.extra["located_confidence"] = located.confidence  # the detector's, on the plate cut out upright
    if origin is not None:
        again.extra["located_corners"] = located.corners + np.asarray(origin, np.float32)
    return again


def parse_turns(text: str) -> tuple[float, ...]:
    """``"-20,20"`` -> (-20.0, 20.0); a ValueError naming the text for anything else."""
    try:
        turns = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a comma-separated list of degrees (e.g. -20,20)") from None
    if any(abs(t) > 90 for t in turns):
        raise ValueError(f"{text!r}: turns lie within -90 to 90 degrees")
    return turns


def read_full_image(
    image: np.ndarray,
    detector: Detector,
    recognizer: Recognizer,
    plate_filter: PlateFilter,
    turns: Sequence[float] = (),
    second_look: bool = True,
    corner_finder: CornerFinder | None = None,
    country_classifier: CountryClassifier | None = None,
) -> list[PlateRead]:
    """All plates in ``image``, best detection first; false detections are filtered out. With
    ``turns`` (degrees), plates are also looked for in copies of the image turned by each. With a
    ``corner_finder``, unsure detections are also cut out by the plate corners it finds, and with a
    ``country_classifier`` reads are fitted to their plate's country (``read_detections``).
    Detections the filter cannot keep however they read are read once."""
    found = read_found_plates(
        image, detector, recognizer, turns, second_look, corner_finder, plate_filter.min_detection_confidence, country_classifier
    )
    return plate_filter.select(found)


def read_found_plates(
    image: np.ndarray,
    detector: Detector,
    recognizer: Recognizer,
    turns: Sequence[float] = (),
    second_look: bool = True,
    corner_finder: CornerFinder | None = None,
    min_detection_confidence: float = 0.0,
    country_classifier: CountryClassifier | None = None,
) -> list[PlateRead]:
    """Every detection read, best detection first, before filtering (those less confident than
    ``min_detection_confidence`` read once: see ``read_detections``). With ``turns`` (degrees) the
    detections in copies of the image turned by each follow, moved back onto the image, read and
    marked ``found_turned`` (``PlateFilter.select`` keeps one read per plate): the detector learnt
    plates tilted up to about 10 degrees, so a camera or plate mounted at a roll of 20-30 degrees
    is found whole only in a copy turned back by about that much."""
    reads = read_detections(
        image, detector.detect(image), recognizer, detector, second_look, corner_finder, min_detection_confidence, country_classifier
    )
    if not turns:
        return reads
    h, w = image.shape[:2]
    settled = [r.box for r in reads if _confident(r)]  # plates already read confidently
    # Turn a copy at the size the detector looks at (it would shrink a big one anyway): cheaper.
    padded, fit = letterbox(image, detector.config["input_size"], max_upscale=1.0)
    small = padded[: fit.height, : fit.width]
    found: list[Detection] = []
    for degrees in turns:
        copy, matrix = turned(small, degrees)
        back = cv2.invertAffineTransform(matrix) / fit.scale  # copy pixels -> small pixels -> image pixels
        found += [moved for det in detector.detect(copy) if (moved := _moved_back(det, back, w, h))]
    found = [d for d in found if not settled or iou_matrix([d.box], settled).max() < SAME_PLATE_IOU]
    # Their corners, found in a turned copy, straighten them: no search for the plate again, and no
    # corner finder (it learnt plates tilted about 3 degrees; these boxes hold plates tilted 20-30).
    turned_reads = read_detections(
        image,
        found,
        recognizer,
        second_look=second_look,
        min_detection_confidence=min_detection_confidence,
        country_classifier=country_classifier,
    )
    for read in turned_reads:
        read.extra = {**read.extra, "found_turned": True}
        reads.append(read)
    return reads


def _moved_back(det: Detection, back: np.ndarray, width: int, height: int) -> Detection | None:
    """A detection in a turned copy moved onto the image by the 2 x 3 ``back``; None when its
    centre falls outside the image (the copy's corners are the image's edges repeated)."""
    x, y, bw, bh = upright_box_around(det.box, back)
    if not (0 <= x + bw / 2 < width and 0 <= y + bh / 2 < height):
        return None
    corners = cv2.transform(np.asarray(det.corners, np.float32)[None], back)[0]
    return Detection(clip_box(x, y, bw, bh, width, height), corners, det.confidence)


def read_crops(
    crops: list[np.ndarray],
    recognizer: Recognizer,
    detector: Detector | None = None,
    confident: float = CONFIDENT_CROP_READ,
    second_look: bool = True,
    corner_finder: CornerFinder | None = None,
    country_classifier: CountryClassifier | None = None,
) -> list[PlateRead]:
    """Read plate crops; with ``second_look`` a crop not read confidently is read again in
    SECOND_LOOK_VIEWS that vote. With a ``corner_finder``, every crop is also cut out upright by the
    corners it finds and read the same way, and the more confident read is kept. With a
    ``detector``, a crop not ``confident``ly read as given (fitting a format) is also searched for
    its plate, cut out upright (``detection.locate``), whatever its second look or cut-out read, and
    the more confident read is kept: views of a tilted crop can agree on a wrong read (robustness
    rows, MODEL_CARD.md "A second look"), and the corner finder learnt plates that fill most of
    their crop, tilted about 3 degrees. With a ``country_classifier``, a read that spells none of
    the formats of the country the classifier is sure the crop shows is fitted to that country
    (``_fitted_to_country``)."""
    as_given = recognizer.read_crops(crops)
    reads = _finished_reads(crops, as_given, recognizer, second_look)
    if corner_finder is not None:
        reads = _cut_out_if_better(crops, reads, recognizer, corner_finder, second_look)
    if detector is not None:
        reads = [
            _better_located(_located_if_better(crop, first, recognizer, detector, confident), read)
            for crop, first, read in zip(crops, as_given, reads, strict=True)
        ]
    if country_classifier is None:
        return reads
    return _fitted_to_country(crops, reads, recognizer, country_classifier, second_look, corner_finder)


def _fitted_to_country(
    crops: list[np.ndarray],
    reads: list[PlateRead],
    recognizer: Recognizer,
    classifier: CountryClassifier,
    second_look: bool,
    corner_finder: CornerFinder | None,
    only: Sequence[bool] | None = None,
) -> list[PlateRead]:
    """``reads`` of ``crops`` (those ``only`` marks, where given), each replaced where the
    ``classifier`` is sure which country's plate its crop holds and it spells none of that
    country's formats: by the crop read again with the recognizer held to that country's formats
    (and its regional model, if one ships), as given and
    cut out by the ``corner_finder``'s corners, each with its ``second_look``, if that read spells
    one of them (marked ``extra["fitted_to"]``). Not searched with the detector: that cost time and
    read no more generated plates (seed 777, session 29).
    The classifier costs about 0.2 ms per crop (one thread, int8), the reads again about 0.7 ms per
    crop on average (2% of generated crops are read again).
    A read that drops a narrow ``I`` or takes a look-alike still fits one of the 39 countries'
    formats, often with full confidence; held to its own country's, the crop reads right. On
    generated plates of seed 777 this read 97.45 -> 97.65% (MODEL_CARD.md, "Session 29"). Empty
    reads stay empty: no plate is made up where none was read. Reads with hidden characters
    (``MASK``, privacy masks) stay as read: they spell no format as written, and uc3m's masked
    Spanish plates, which the classifier often takes for British ones, were fitted to British
    formats (uc3m's train split, session 29)."""
    asked = [i for i in range(len(crops)) if only is None or only[i]]
    countries = classifier.sure_countries([crops[i] for i in asked], [reads[i].extra.get("rows") == 2 for i in asked])
    misfits: dict[str, list[int]] = {}
    for i, country in zip(asked, countries, strict=True):
        read = reads[i]
        if country and read.text and MASK not in read.text and not recognizer.held_to(country).grammar.fits_as_written(read.text):
            misfits.setdefault(country, []).append(i)
    out = list(reads)
    for country, rows in misfits.items():
        held = recognizer.held_to(country)
        again = read_crops([crops[i] for i in rows], held, second_look=second_look, corner_finder=corner_finder)
        for i, read in zip(rows, again, strict=True):
            if held.grammar.fits_as_written(read.text):
                read.extra["fitted_to"] = country
                out[i] = read
    return out


def _finished_reads(crops: list[np.ndarray], as_given: list[PlateRead], recognizer: Recognizer, second_look: bool) -> list[PlateRead]:
    """The recognizer's reads of ``crops`` (``as_given``) after any second look and regional route."""
    reads = _second_look(crops, as_given, recognizer) if second_look else as_given
    return routed(crops, reads, recognizer, second_look)


def _cut_out_if_better(
    crops: list[np.ndarray], reads: list[PlateRead], recognizer: Recognizer, corner_finder: CornerFinder, second_look: bool
) -> list[PlateRead]:
    """``reads`` of ``crops``, each replaced by the read of its plate cut out by the corners the
    ``corner_finder`` finds where that read is more confident (marked ``extra["cut_by_corners"]``)."""
    cuts = corner_finder.cut(crops)
    cut = [i for i, c in enumerate(cuts) if c is not None]
    cut_crops = [cuts[i] for i in cut]
    out = list(reads)
    for i, again in zip(cut, _finished_reads(cut_crops, recognizer.read_crops(cut_crops), recognizer, second_look), strict=True):
        if again.confidence > reads[i].confidence:
            again.extra["cut_by_corners"] = True
            out[i] = again
    return out


def _second_look(
    crops: list[np.ndarray], reads: list[PlateRead], recognizer: Recognizer, hopeful: Sequence[bool] | None = None
) -> list[PlateRead]:
    """``reads`` of ``crops``, each one not confident at SECOND_LOOK_BELOW replaced by the vote of
    its read and its reads in SECOND_LOOK_VIEWS (one batch for all of them); with ``hopeful``, only
    the crops it marks."""
    unsure = [i for i, read in enumerate(reads) if (hopeful is None or hopeful[i]) and not _confident(read, SECOND_LOOK_BELOW)]
    if not unsure:
        return reads
    views = len(SECOND_LOOK_VIEWS)
    again = recognizer.read_crops([reframe(crops[i], margins) for i in unsure for margins in SECOND_LOOK_VIEWS])
    out = list(reads)
    for k, i in enumerate(unsure):
        out[i] = _vote([reads[i], *again[k * views : (k + 1) * views]])
    return out


def routed(
    crops: list[np.ndarray], reads: list[PlateRead], recognizer: Recognizer, second_look: bool, hopeful: Sequence[bool] | None = None
) -> list[PlateRead]:
    """``reads`` (the recognizer's finished reads of ``crops``), each replaced by a regional model's
    read, made the same way (the second look only for the crops ``hopeful`` marks, if given), where
    that model's route takes it (``RegionalRoute``)."""
    for route in recognizer.routes:
        regional = route.recognizer  # its privacy_masks and band_guard follow the recognizer's
        theirs = regional.read_crops(crops)
        if second_look:
            looks = range(len(reads)) if hopeful is None else [i for i, h in enumerate(hopeful) if h]
            worth = [i for i in looks if _worth_a_regional_look(route, theirs[i], reads[i])]
            for i, read in zip(worth, _second_look([crops[i] for i in worth], [theirs[i] for i in worth], regional), strict=True):
                theirs[i] = read
        reads = [_marked(t, route.name) if route.takes(t, ours) else ours for t, ours in zip(theirs, reads, strict=True)]
    return reads


def _worth_a_regional_look(route: RegionalRoute, theirs: PlateRead, ours: PlateRead) -> bool:
    """Whether a regional model's read of a crop (``theirs``) gets its second look (when unsure):
    not where the general read (``ours``) is sure and fits none of the regional country's formats,
    unless the regional read, repaired or not, spells one of the route's formats. A second look
    costs about seven reads, and the regional model is unsure of most other countries' plates."""
    if route.formats.fits_as_written(theirs.text):
        return True
    return not (_confident(ours, SECOND_LOOK_BELOW) and not route.recognizer.grammar.fits_as_written(ours.text))


def _marked(read: PlateRead, regional: str) -> PlateRead:
    read.extra["regional"] = regional
    return read


def _vote(candidates: list[PlateRead]) -> PlateRead:
    """The most confident of the ``candidates`` (reads of one crop, the read as given first) with
    the text they agree on most, each weighing 1 + its confidence; ties go to the earlier text."""
    weights: dict[str, float] = {}
    for read in candidates:
        weights[read.text] = weights.get(read.text, 0.0) + 1.0 + read.confidence
    text = max(weights, key=weights.__getitem__)
    agreeing = [read for read in candidates if read.text == text]
    winner = max(agreeing, key=lambda read: read.confidence)
    winner.extra["second_look"] = {"views": len(candidates), "agreeing": len(agreeing), "as_given": candidates[0].text}
    return winner


def read_at_boxes(
    image: np.ndarray,
    boxes: list[list[float]],
    recognizer: Recognizer,
    detector: Detector | None = None,
    second_look: bool = True,
    corner_finder: CornerFinder | None = None,
    country_classifier: CountryClassifier | None = None,
) -> list[PlateRead]:
    """Read the caller's boxes (x, y, w, h), one read per box, in the order given (unreadable ones
    come back with empty text rather than being dropped: the caller asked about each box). A box
    not read confidently gets a second look; with a ``corner_finder`` each box is also cut out by its
    plate's corners, with a ``detector`` one not read confidently is searched for its plate, and
    with a ``country_classifier`` reads are fitted to the plate's country (see ``read_crops``)."""
    h, w = image.shape[:2]
    crops = []
    for box in boxes:
        x, y, bw, bh = box
        if x + bw <= 0 or y + bh <= 0 or x >= w or y >= h:
            raise ValueError(f"box {box} lies outside the {w}x{h} image")
        crops.append(crop_box(image, box))
    reads = read_crops(
        crops, recognizer, detector, second_look=second_look, corner_finder=corner_finder, country_classifier=country_classifier
    )
    for read, box in zip(reads, boxes, strict=True):
        read.box = tuple(float(v) for v in box)  # type: ignore[assignment]
    return reads
