"""Full images end to end: detect plates (or take the caller's boxes), straighten, read, filter."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from platereader.detection import Detection, Detector
from platereader.detection.locate import CONTEXT, MIN_TURN_DEGREES, edge_tilt_degrees, located_plate, tilt_degrees
from platereader.detection.rectify import crop_box, plate_crops
from platereader.runtime.recognizer import PlateRead, Recognizer

# Thresholds chosen with scripts/filter_calibration.py on the photos in ../shared/data/detect (never
# the dev photos): the most true plates kept at no more than 0.083 false plates per photo there.
# Signs, stickers, logos and lettering on the car rarely read as a valid registration with
# confidence. Each detection is read twice (straightened, and by its box) and the more confident
# read kept, which lifts false detections' confidence as well as plates'. A read that fits no
# format has its confidence halved by the grammar, so 0.475 asks the network for 0.95.
# No floor on the detector's confidence beyond its own threshold: it was trained on those photos,
# so it is more confident there than on photos it never saw.
MIN_CONFIDENCE_WITH_FORMAT = 0.475
MIN_CONFIDENCE_WITHOUT_FORMAT = 0.475
# A crop read that fits a format at least this confidently is kept as read; any other crop is
# searched for its plate as well (loose, shifted or tilted boxes), and the more confident read wins.
# Searching every crop cost 3.5 points of visible characters on uc3m's train split (its
# straightened copy cuts into privacy boxes); this way none (benchmarks/robustness.py --uc3m-train).
CONFIDENT_CROP_READ = 0.5


@dataclass
class PlateFilter:
    """Which detections count as plates, judged by what the recognizer makes of them."""

    min_confidence_with_format: float = MIN_CONFIDENCE_WITH_FORMAT
    min_confidence_without_format: float = MIN_CONFIDENCE_WITHOUT_FORMAT
    uses_formats: bool = True  # False when the grammar is off: then only empty reads are dropped

    def keep(self, read: PlateRead) -> bool:
        if not read.readable:
            return False
        if not self.uses_formats:
            return True
        if read.fits_format:
            return read.confidence >= self.min_confidence_with_format
        return read.confidence >= self.min_confidence_without_format

    def select(self, reads: list[PlateRead]) -> list[PlateRead]:
        """The reads of one image (best detection first) that count as plates: those ``keep``
        passes, less repeats: a read that spells part of a longer read kept in the same image, or
        the same text as a better detection, is a piece of that plate the detector found again
        ("1HFR" or "3561HF" beside "3561HFR"; a tilted piece that is found whole when turned upright)."""
        kept = [r for r in reads if self.keep(r)]
        return [r for i, r in enumerate(kept) if not any(_repeats(r, o, o_first=j < i) for j, o in enumerate(kept) if j != i)]


def _repeats(read: PlateRead, other: PlateRead, o_first: bool) -> bool:
    """Whether ``read`` repeats (part of) ``other``'s text; of two equal texts the first is kept."""
    return read.text in other.text and (len(other.text) > len(read.text) or o_first)


def read_detections(
    image: np.ndarray, detections: list[Detection], recognizer: Recognizer, detector: Detector | None = None
) -> list[PlateRead]:
    """Read every detection (straightened by its corners) and note where it was found. With the
    ``detector``, a tilted plate not read confidently is found again turned upright (its corners
    cover only part of a plate tilted more than the detector learnt), and the more confident read kept."""
    if not detections:
        return []
    crops, owner = [], []
    for i, det in enumerate(detections):
        views = plate_crops(image, det.box, det.corners)
        crops += views
        owner += [i] * len(views)
    best: dict[int, PlateRead] = {}
    for read, i in zip(recognizer.read_crops(crops), owner, strict=True):
        if i not in best or read.confidence > best[i].confidence:
            best[i] = read
    reads = [best[i] for i in range(len(detections))]
    if detector is not None:
        reads = [_upright_if_better(image, det, read, recognizer, detector) for det, read in zip(detections, reads, strict=True)]
    for read, det in zip(reads, detections, strict=True):
        read.box = tuple(float(v) for v in det.box)  # type: ignore[assignment]
        read.corners = np.asarray(det.corners, float).tolist()
        read.detection_confidence = float(det.confidence)
    return reads


def _upright_if_better(image: np.ndarray, det: Detection, read: PlateRead, recognizer: Recognizer, detector: Detector) -> PlateRead:
    """A detection whose corners or edges slope (the corners alone stay near level on plates
    steeper than the detector learnt) and that is not read confidently, found again levelled."""
    if _confident(read) or not _slopes(image, det):
        return read
    return _located_if_better(crop_box(image, det.box, margin=CONTEXT), read, recognizer, detector)


def _slopes(image: np.ndarray, det: Detection) -> bool:
    """Whether the detection's corners, or else the edges inside its box, slope more than MIN_TURN_DEGREES."""
    if abs(tilt_degrees(det.corners)) > MIN_TURN_DEGREES:
        return True
    return abs(edge_tilt_degrees(crop_box(image, det.box))) > MIN_TURN_DEGREES


def _confident(read: PlateRead, confident: float = CONFIDENT_CROP_READ) -> bool:
    return read.fits_format and read.confidence >= confident


def _located_if_better(
    crop: np.ndarray, read: PlateRead, recognizer: Recognizer, detector: Detector, confident: float = CONFIDENT_CROP_READ
) -> PlateRead:
    """``read`` of ``crop``, or, when it is not ``confident``ly read (fitting a format), the read of
    the plate found in the crop and cut out upright if that one is more confident."""
    if _confident(read, confident):
        return read
    plate = located_plate(crop, detector)
    if plate is None:
        return read
    [again] = recognizer.read_crops([plate])
    if again.confidence <= read.confidence:
        return read
    again.extra["located"] = True
    return again


def read_full_image(image: np.ndarray, detector: Detector, recognizer: Recognizer, plate_filter: PlateFilter) -> list[PlateRead]:
    """All plates in ``image``, best detection first; false detections are filtered out."""
    return plate_filter.select(read_detections(image, detector.detect(image), recognizer, detector))


def read_crops(
    crops: list[np.ndarray], recognizer: Recognizer, detector: Detector | None = None, confident: float = CONFIDENT_CROP_READ
) -> list[PlateRead]:
    """Read plate crops; with a ``detector``, a crop not read ``confident``ly (fitting a format) is
    also searched for its plate, cut out upright (``detection.locate``), and the more confident read kept."""
    reads = recognizer.read_crops(crops)
    if detector is None:
        return reads
    return [_located_if_better(crop, read, recognizer, detector, confident) for crop, read in zip(crops, reads, strict=True)]


def read_at_boxes(image: np.ndarray, boxes: list[list[float]], recognizer: Recognizer, detector: Detector | None = None) -> list[PlateRead]:
    """Read the caller's boxes (x, y, w, h), one read per box, in the order given (unreadable ones
    come back with empty text rather than being dropped: the caller asked about each box). With a
    ``detector``, a box not read confidently is searched for its plate (see ``read_crops``)."""
    h, w = image.shape[:2]
    crops = []
    for box in boxes:
        x, y, bw, bh = box
        if x + bw <= 0 or y + bh <= 0 or x >= w or y >= h:
            raise ValueError(f"box {box} lies outside the {w}x{h} image")
        crops.append(crop_box(image, box))
    reads = read_crops(crops, recognizer, detector)
    for read, box in zip(reads, boxes, strict=True):
        read.box = tuple(float(v) for v in box)  # type: ignore[assignment]
    return reads
