"""Which shipped recognizer a reader gets: the general one, or a regional one for its countries."""

from __future__ import annotations

import pytest

from platereader.runtime.recognizer import Recognizer
from platereader.runtime.shipped import MANIFEST, ShippedRecognizers, load_manifest, shipped_recognizer

TWO_REGIONS = ShippedRecognizers.model_validate(
    {
        "general": {"fp32": "g.onnx", "int8": "g.int8.onnx"},
        "regional": [
            {"countries": ["es", "pt"], "fp32": "iberia.onnx", "int8": "iberia.int8.onnx"},
            {"countries": ["ES"], "fp32": "es.onnx", "int8": "es.int8.onnx"},
        ],
    }
)


@pytest.mark.parametrize(
    ("countries", "chosen"),
    [
        (None, "g.onnx"),
        (["ES"], "es.onnx"),
        (["es"], "es.onnx"),
        (["PT"], "iberia.onnx"),
        (["ES", "PT"], "iberia.onnx"),
        (["ES", "FR"], "g.onnx"),
    ],
)
def test_the_narrowest_regional_model_that_covers_every_country_reads(countries, chosen):
    assert TWO_REGIONS.choose(countries).fp32 == chosen


def test_a_bad_manifest_names_its_file(tmp_path):
    bad = tmp_path / "recognizers.yaml"
    bad.write_text("general: {fp32: recognizer.onnx}\n")  # no int8 file
    with pytest.raises(ValueError, match=r"(?s)recognizers.yaml: bad recognizer manifest.*general.int8"):
        shipped_recognizer(manifest=bad)
    bad.write_text("general: {fp32: a.onnx, int8: b.onnx}\nregional: [{countries: [ES], fp32: c.onnx, int8: d.onnx, contries: [PT]}]\n")
    with pytest.raises(ValueError, match=r"(?s)recognizers.yaml.*contries"):
        shipped_recognizer(manifest=bad)  # a misspelt key is not ignored


REGIONAL_ES = "general: {fp32: a.onnx, int8: b.onnx}\nregional: [{countries: [ES], fp32: c.onnx, int8: d.onnx, "
ROUTES = "routes: {formats: [national], min_confidence_ratio: 0.3}}]\n"
STEEP = "steep: {fp32: e.onnx, int8: f.onnx"


@pytest.mark.parametrize(
    ("manifest", "named"),
    [
        (REGIONAL_ES + "routes: {formats: [national], min_confidence_ratio: 1.5}}]\n", "min_confidence_ratio"),
        (REGIONAL_ES + "routes: {formats: [], min_confidence_ratio: 0.3}}]\n", "formats"),
        (REGIONAL_ES.replace("[ES]", "[ES, PT]") + ROUTES, "routes need a model for one country"),
        (REGIONAL_ES + "routes: {formats: [national], min_confidence: 0.3}}]\n", "min_confidence"),
        (REGIONAL_ES + STEEP + ", min_tilt_degrees: 50}}]\n", "steep.min_tilt_degrees"),
        (REGIONAL_ES + STEEP + "}}]\n", "steep.min_tilt_degrees"),  # the threshold is not left to a default
        # a companion has no companion of its own
        (REGIONAL_ES + STEEP + ", min_tilt_degrees: 10, steep: {fp32: g.onnx, int8: h.onnx}}}]\n", "steep.steep"),
    ],
)
def test_routes_and_steep_companions_are_validated(tmp_path, manifest, named):
    bad = tmp_path / "recognizers.yaml"
    bad.write_text(manifest)
    with pytest.raises(ValueError, match=rf"(?s)recognizers.yaml.*{named}"):
        shipped_recognizer(manifest=bad)


def test_a_shipped_model_with_a_steep_companion_brings_it_wherever_it_reads():
    manifest = load_manifest(MANIFEST)
    with_steep = [r for r in manifest.regional if r.steep]
    assert with_steep, "no shipped model has a steep companion (weights/recognizers.yaml)"
    for spec in with_steep:
        for int8 in (False, True):
            restricted = Recognizer(threads=1, countries=spec.countries, int8=int8)
            assert restricted.steep is not None and restricted.steep.path == spec.steep.file(int8)
            assert restricted.steep_from == spec.steep.min_tilt_degrees
    routes = {route.name: route for route in Recognizer(threads=1).routes}
    for spec in with_steep:
        if spec.routes:
            assert routes[spec.countries[0]].recognizer.steep.path == spec.steep.file(False)
    assert Recognizer(threads=1).steep is None  # the general model has none
    named = with_steep[0].file(False)
    assert Recognizer(named, threads=1, countries=with_steep[0].countries).steep is None  # a model named: that model alone


def test_only_an_unrestricted_reader_of_the_shipped_models_routes():
    routed = [r for r in load_manifest(MANIFEST).regional if r.routes]
    assert [r.name for r in Recognizer(threads=1).routes] == [r.countries[0] for r in routed]
    assert [r.recognizer.path.name for r in Recognizer(threads=1, int8=True).routes] == [r.int8 for r in routed]
    assert Recognizer(threads=1, regional=False).routes == []
    assert Recognizer(threads=1, countries=["ES"]).routes == []
    assert Recognizer(threads=1, countries=["DE"]).routes == []
    assert Recognizer(shipped_recognizer(), threads=1).routes == []  # a model named: that model alone
    assert Recognizer(threads=1, grammar=False).routes == []  # routes need the formats


def test_every_shipped_recognizer_opens_and_readers_get_theirs():
    manifest = load_manifest(MANIFEST)
    companions = [r.steep for r in [manifest.general, *manifest.regional] if r.steep]
    for files in [manifest.general, *manifest.regional, *companions]:
        for name in (files.fp32, files.int8):
            assert Recognizer(MANIFEST.parent / name, threads=1).alphabet  # a platereader recognizer
    for regional in manifest.regional:
        assert Recognizer(countries=regional.countries, threads=1).path.name == regional.fp32
        assert Recognizer(countries=regional.countries, int8=True, threads=1).path.name == regional.int8
    assert Recognizer(threads=1).path.name == manifest.general.fp32
