"""A regional model reading beside the general one (pipeline.routed, RegionalRoute): which read
wins, and which crops the regional model looks at twice. Fake readers, real Spanish formats."""

from __future__ import annotations

import numpy as np

from platereader.alphabet import ALPHABET, MASK
from platereader.pipeline import read_crops
from platereader.runtime.grammar import Grammar
from platereader.runtime.recognizer import PlateRead, RegionalRoute

ALPHABET_MASKED = ALPHABET + MASK


class _ByGrey:
    """Reads a crop by its grey level, from a table {grey: (text, confidence, fits, repair)}; a
    re-framed crop (a second look) keeps its grey level, and every crop read is counted."""

    def __init__(self, table: dict[int, tuple[str, float, bool, str | None]], countries: tuple[str, ...] | None = None):
        self.table, self.read_greys = table, []
        self.grammar = Grammar.for_alphabet(ALPHABET_MASKED, countries)
        self.routes: list[RegionalRoute] = []
        self.privacy_masks, self.band_guard = False, True

    def read_crops(self, crops: list[np.ndarray]) -> list[PlateRead]:
        reads = []
        for crop in crops:
            grey = int(np.median(crop))
            self.read_greys.append(grey)
            text, confidence, fits, repair = self.table[grey]
            extra = {"format_repair": repair} if repair else {}
            reads.append(PlateRead(text, confidence, [confidence] * len(text), fits_format=fits, extra=extra))
        return reads


def _crop(grey: int) -> np.ndarray:
    return np.full((40, 160, 3), grey, np.uint8)


def _reader(general: dict, spanish: dict) -> tuple[_ByGrey, _ByGrey]:
    reader, regional = _ByGrey(general), _ByGrey(spanish, ("ES",))
    national = Grammar.of_formats(ALPHABET_MASKED, "ES", ["national"])
    reader.routes = [RegionalRoute("ES", regional, national, min_confidence_ratio=0.3)]
    return reader, regional


def test_the_regional_read_wins_where_it_fits_the_route_as_read_and_is_sure_enough():
    reader, _ = _reader(
        {
            10: ("O234BCD", 0.98, True, None),  # Spain's 0 taken for an O: fits another country
            20: ("AB123CD", 0.99, True, None),
            30: ("1234BC", 0.9, True, None),
            40: ("M1234AB", 0.99, True, None),
        },
        {
            10: ("0234BCD", 0.97, True, None),
            20: ("1234BCD", 0.2, True, None),  # under 0.3 of the general read's confidence
            30: ("1234BCD", 0.96, True, "lookalike"),  # repaired: not as read
            40: ("M1234AB", 0.99, True, None),  # a provincial plate: not a route format
        },
    )
    reads = read_crops([_crop(g) for g in (10, 20, 30, 40)], reader, second_look=False)
    assert [r.text for r in reads] == ["0234BCD", "AB123CD", "1234BC", "M1234AB"]
    assert [r.extra.get("regional") for r in reads] == ["ES", None, None, None]


def test_the_regional_model_looks_twice_only_where_its_read_could_count():
    reader, regional = _reader(
        {
            10: ("AB123CD", 0.99, True, None),  # surely a plate no Spanish format spells
            20: ("1234BCD", 0.99, True, None),  # sure, and spells a Spanish format
            30: ("AB123CD", 0.6, True, None),  # unsure
            40: ("AB123CD", 0.99, True, None),  # sure, but the regional read spells 1234 BCD
        },
        {
            10: ("AB123", 0.4, False, None),
            20: ("1234BCD", 0.5, True, None),
            30: ("AB123", 0.4, False, None),
            40: ("1234BCD", 0.5, True, "path"),
        },
    )
    read_crops([_crop(g) for g in (10, 20, 30, 40)], reader, second_look=True)
    looked_twice = {g for g in (10, 20, 30, 40) if regional.read_greys.count(g) > 1}
    assert looked_twice == {20, 30, 40}


def test_settings_changed_after_construction_reach_the_models_that_read_for_it():
    from platereader.runtime.recognizer import Recognizer

    reader = Recognizer()
    reader.privacy_masks, reader.band_guard = True, False
    helpers = [route.recognizer for route in reader.routes]
    helpers += [h.steep for h in helpers if h.steep]
    assert helpers and all(h.privacy_masks and not h.band_guard for h in helpers)
