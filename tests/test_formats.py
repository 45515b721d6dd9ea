from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from platereader.alphabet import ALPHABET, normalize_label
from platereader.formats import FormatError, bundled_countries, load_countries, load_country

REQUIRED = set(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "GB",
        "CH",
        "NO",
        "IS",
        "UA",
        "RS",
        "BA",
        "ME",
        "MK",
        "AL",
        "MD",
        "TR",
    ]
)

# Letters each country never uses in its current format (eu_plates.md §1).
EXCLUDED = {
    ("FR", "siv"): "IOU",
    ("IT", "standard"): "IOQU",
    ("ES", "national"): "AEIOUQÑ",
    ("NL", "sc10"): "AEIOUCQY",
    ("CZ", "standard"): "GOQW",
    ("HR", "standard"): "QWXY",
    ("SE", "standard"): "IQV",
}


def test_every_required_country_is_bundled():
    assert set(bundled_countries()) >= REQUIRED


@pytest.mark.parametrize("code", sorted(REQUIRED))
def test_samples_match_their_own_pattern_and_alphabet(code):
    country = bundled_countries()[code]
    rng = random.Random(code)
    for fmt in country.formats:
        for _ in range(200):
            text = "".join(fmt.sample_groups(rng))
            assert fmt.matches(text), (code, fmt.name, text)
            assert set(text) <= set(ALPHABET)


@pytest.mark.parametrize(("key", "letters"), sorted(EXCLUDED.items()))
def test_excluded_letters_never_generated(key, letters):
    code, name = key
    fmt = bundled_countries()[code].format_named(name)
    rng = random.Random(0)
    seen = set()
    for _ in range(2000):
        seen |= set("".join(fmt.sample_groups(rng)))
    assert not seen & set(letters), f"{code}/{name} produced {seen & set(letters)}"


def test_pattern_matching_rejects_wrong_shapes():
    fr = bundled_countries()["FR"].format_named("siv")
    assert fr.matches("AB123CD")
    assert not fr.matches("AB123CO")  # O never used
    assert not fr.matches("AB12CD")
    de = bundled_countries()["DE"].format_named("standard")
    assert de.matches("LÖAB123") and de.matches("MAB1234E")
    assert not de.matches("MAB0123")  # digits never start with 0
    assert not de.matches("MAAB1234E")  # 9 characters: over the 8 allowed


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "xx.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
code: XX
name: Testland
sources: [a test]
formats:
  - name: standard
    pattern: "L{2}-D{3}"
    layouts: [{name: one-row, size_mm: [520, 110]}]
"""


def test_a_user_format_file_adds_a_country(tmp_path):
    countries = load_countries(["xx"], [_write(tmp_path, GOOD)])
    fmt = countries["XX"].formats[0]
    assert fmt.matches("AB123") and not fmt.matches("A1234")


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda s: s.replace('"L{2}-D{3}"', '"L{2}-Q{3}"'), "formats.0"),  # class Q undefined
        (lambda s: s.replace('"L{2}-D{3}"', '"L{3,1}"'), "formats.0"),  # backwards count
        (lambda s: s.replace("[520, 110]", "[5200, 110]"), "formats.0.layouts.0.size_mm"),
        (lambda s: s.replace("code: XX", "code: X1"), "code"),
        (lambda s: s.replace("sources: [a test]", "sources: []"), "sources"),
        (lambda s: s + "colour: red\n", "colour"),  # unknown field
        (lambda s: s + 'glyph_shapes: [{char: "0", drawn_as: "ø"}]\n', "glyph_shapes.0.drawn_as"),
        (lambda s: s.replace("name: standard", "name: standard\n    classes: {Z: 'a'}"), "formats.0.classes"),
    ],
)
def test_bad_format_file_names_file_and_field(tmp_path, edit, field):
    path = _write(tmp_path, edit(GOOD))
    with pytest.raises(FormatError) as info:
        load_country(path)
    message = str(info.value)
    assert str(path) in message
    assert re.search(re.escape(field), message), message


def test_unparseable_and_missing_files(tmp_path):
    with pytest.raises(FormatError, match="not found"):
        load_country(tmp_path / "missing.yaml")
    with pytest.raises(FormatError, match="cannot read"):
        load_country(_write(tmp_path, "code: [unclosed"))
    with pytest.raises(FormatError, match="unknown country"):
        load_countries(["zz"])


def test_labels_normalise_cyrillic_and_separators():
    assert normalize_label("АА 1234 ВС") == "AA1234BC"  # Cyrillic look-alikes
    assert normalize_label("zg 1234-ab") == "ZG1234AB"
    assert normalize_label("LÖ-AB 12") == "LÖAB12"
    assert normalize_label("ČK 123-A") == "CK123A"
    with pytest.raises(ValueError):
        normalize_label("AB#1")
