"""The Python API: ``Reader`` loads the shipped models once and reads plates."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from platereader.detection import Detector
from platereader.pipeline import PlateFilter, read_at_boxes, read_crops, read_full_image
from platereader.runtime.corners import DEFAULT_CORNERS, CornerFinder
from platereader.runtime.country import DEFAULT_COUNTRY, CountryClassifier
from platereader.runtime.images import load_image
from platereader.runtime.recognizer import PlateRead, Recognizer


class Reader:
    """Reads number plates. Every ``read*`` method takes a path, a numpy array (RGB) or a PIL image.

    ``read`` finds the plates in a full photo or video frame; ``read(image, boxes=...)`` reads at
    boxes from your own detector; ``read_crop`` reads one plate crop. The detector loads on first use.
    ``countries`` (e.g. ``["ES", "PT"]``) fits reads to those countries' formats only.
    ``privacy_masks=True`` is for images whose plates have characters greyed out (some public data
    sets): reads may then hold ``?`` for a hidden character. Off by default, as cameras see no masks.
    Crops and boxes not read confidently as given get a second look, read again in several
    re-framings that vote (tight or loose boxes). Every one is also cut out upright by its plate's
    corners (found by the corner finder ``corners``: the shipped one by default, its int8 copy with
    ``int8``), and one not read confidently as given is searched for its plate with the detector
    (loose, shifted or tilted boxes); the most confident read is kept. ``locate_in_crops=False``
    skips the cut-out and the search, and ``second_look=False`` the re-framed reads (faster: a
    second look costs about seven reads, for 25-60% of crops).
    Without ``model`` and ``countries``, the shipped regional models read beside the general one and
    take the plates they read in their countries' formats (Spain's 1234 BCD: ``Recognizer``,
    ``weights/recognizers.yaml``); ``regional=False`` reads with the general model alone (faster:
    a regional model reads every crop again, and takes a second look at most unsure ones).
    ``turns`` (degrees, e.g. ``(-20, 20)``) also looks for plates in copies of a full image turned
    by each, for cameras or plates mounted at a roll (one more detector pass per turn).
    In full images, a detection not read confidently is also cut out by the corners the corner
    finder finds in its box, whatever ``locate_in_crops`` says (it is about crops and boxes).
    An unrestricted reader (``grammar`` on, no ``countries``) also asks the country classifier
    ``country`` (the shipped one by default) which country's plate each crop, box and detection
    holds, and where it is sure, fits a read that spells none of that country's formats to them
    (``pipeline.read_crops``; in full images only detections the filter may keep,
    ``pipeline.read_detections``); ``fit_to_country=False`` turns that off.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        int8: bool = False,
        grammar: bool = True,
        threads: int | None = None,
        detector: str | Path | None = None,
        detection_threshold: float = 0.3,
        countries: Sequence[str] | None = None,
        privacy_masks: bool = False,
        locate_in_crops: bool = True,
        turns: Sequence[float] = (),
        second_look: bool = True,
        regional: bool = True,
        corners: str | Path | None = None,
        country: str | Path | None = None,
        fit_to_country: bool = True,
    ):
        self.recognizer = Recognizer(
            model, int8=int8, threads=threads, grammar=grammar, countries=countries, privacy_masks=privacy_masks, regional=regional
        )
        self.plate_filter = PlateFilter(uses_formats=grammar)
        self._detector_path, self._threads, self._threshold = detector, threads, detection_threshold
        self._detector: Detector | None = None
        self._corners_path = Path(corners) if corners else DEFAULT_CORNERS.with_suffix(".int8.onnx") if int8 else DEFAULT_CORNERS
        self._corner_finder: CornerFinder | None = None
        self._country_path = Path(country) if country else DEFAULT_COUNTRY
        self._country_classifier: CountryClassifier | None = None
        self.fit_to_country = fit_to_country and grammar and not countries
        self.locate_in_crops = locate_in_crops
        self.second_look = second_look
        self.turns = tuple(turns)

    @property
    def detector(self) -> Detector:
        if self._detector is None:
            self._detector = Detector(self._detector_path, threads=self._threads, threshold=self._threshold)
        return self._detector

    @property
    def corner_finder(self) -> CornerFinder:
        if self._corner_finder is None:
            self._corner_finder = CornerFinder(self._corners_path, threads=self._threads)
        return self._corner_finder

    @property
    def country_classifier(self) -> CountryClassifier:
        if self._country_classifier is None:
            self._country_classifier = CountryClassifier(self._country_path, threads=self._threads)
        return self._country_classifier

    def read(self, image, boxes: list[list[float]] | None = None) -> list[PlateRead]:
        """The plates in a full image, each with ``box`` and ``corners``; an empty list when none.

        With ``boxes`` ([[x, y, w, h], ...] in pixels) the plates there are read instead of
        detected: one read per box, in order, with empty text where nothing could be read.
        """
        rgb = load_image(image)
        if boxes is not None:
            return read_at_boxes(rgb, boxes, self.recognizer, self._locator(), self.second_look, self._cutter(), self._fitter())
        return read_full_image(
            rgb, self.detector, self.recognizer, self.plate_filter, self.turns, self.second_look, self.corner_finder, self._fitter()
        )

    def read_crop(self, image) -> PlateRead:
        """One plate crop (a box cut out with a little margin); empty text when it holds no readable plate."""
        return self.read_crops([image])[0]

    def read_crops(self, images: list) -> list[PlateRead]:
        crops = [load_image(i) for i in images]
        return read_crops(
            crops,
            self.recognizer,
            self._locator(),
            second_look=self.second_look,
            corner_finder=self._cutter(),
            country_classifier=self._fitter(),
        )

    def _locator(self) -> Detector | None:
        return self.detector if self.locate_in_crops else None

    def _cutter(self) -> CornerFinder | None:
        return self.corner_finder if self.locate_in_crops else None

    def _fitter(self) -> CountryClassifier | None:
        return self.country_classifier if self.fit_to_country else None
