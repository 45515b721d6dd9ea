from __future__ import annotations

import random
from pathlib import Path

import cv2
import numpy as np
import pytest

from platereader.formats import bundled_countries
from platereader.generation import PlateGenerator
from platereader.generation.fonts import FontError, FontPool
from platereader.generation.scene import paint_privacy_boxes
from tests.conftest import SHARED_FONTS


def test_labels_match_their_country_format(generator):
    countries = bundled_countries()
    samples = generator.samples(0, 150)
    plates = [s for s in samples if s.text]
    assert len(plates) > 120
    for s in plates:
        fmt = countries[s.country].format_named(s.format)
        assert fmt.matches(s.text), (s.country, s.format, s.text)
        assert "".join(s.rows) == s.text


def test_same_seed_same_output_and_different_seed_differs():
    a = PlateGenerator(seed=3).samples(0, 12)
    b = PlateGenerator(seed=3).samples(0, 12)
    c = PlateGenerator(seed=4).samples(0, 12)
    for x, y in zip(a, b, strict=False):
        assert x.text == y.text and np.array_equal(x.image, y.image)
        assert np.array_equal(x.corners, y.corners)
    assert any(x.text != z.text for x, z in zip(a, c, strict=False))


def test_worker_processes_give_the_same_samples_as_one_process(generator):
    sequential = [s for batch in generator.stream(5, start=20, count=15) for s in batch]
    parallel = [s for batch in generator.stream(5, start=20, count=15, workers=2) for s in batch]
    assert [s.text for s in sequential] == [s.text for s in parallel]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(sequential, parallel, strict=False))


def _inside(points: np.ndarray, quad: np.ndarray, tol: float) -> bool:
    import cv2

    contour = quad.reshape(-1, 1, 2).astype(np.float32)
    return all(cv2.pointPolygonTest(contour, (float(x), float(y)), True) >= -tol for x, y in points)


def test_corners_and_character_boxes_lie_on_the_plate(generator):
    checked = 0
    for s in generator.samples(200, 80):
        if not s.text:
            continue
        _h, w = s.image.shape[:2]
        assert len(s.char_boxes) == len(s.text)
        # Corners lie in (or just outside, for a tight crop) the image.
        assert (s.corners[:, 0] > -0.2 * w).all() and (s.corners[:, 0] < 1.2 * w).all()
        centres = np.stack([(s.char_boxes[:, 0] + s.char_boxes[:, 2]) / 2, (s.char_boxes[:, 1] + s.char_boxes[:, 3]) / 2], 1)
        assert _inside(centres, s.corners, tol=1.0), s.text
        # Reading order: within a row, character centres run left to right.
        if len(s.rows) == 1:
            assert (np.diff(centres[:, 0]) > 0).all()
        checked += 1
    assert checked > 50


def test_model_size_output_and_label_fields():
    g = PlateGenerator(seed=1, out_size=(128, 32), countries=["es", "gb"])
    s = next(x for x in g.samples(0, 20) if x.text)
    assert s.image.shape == (32, 128, 3) and s.image.dtype == np.uint8
    label = s.label()
    assert {"text", "readable", "country", "format", "rows", "corners", "char_boxes"} <= set(label)
    assert s.country in ("ES", "GB")


def test_unreadable_samples_have_empty_targets(generator):
    samples = generator.samples(400, 200)
    unreadable = [s for s in samples if not s.readable]
    assert unreadable, "damage should make some plates unreadable"
    assert all(s.target == "" for s in unreadable)
    assert all(s.target == s.text for s in samples if s.readable)
    # Plates too small to read are never kept as readable.
    assert all(s.plate_width_px >= 20 for s in samples if s.text)
    assert not [s for s in samples if s.readable and s.plate_width_px < 25]


def test_bad_font_directories_fail_clearly(tmp_path):
    with pytest.raises(FontError, match="does not exist"):
        FontPool([tmp_path / "nope"])
    with pytest.raises(FontError, match="no usable"):
        FontPool([tmp_path])
    (tmp_path / "Broken-Bold.ttf").write_bytes(b"not a font at all")
    with pytest.raises(FontError, match=r"Broken-Bold\.ttf"):
        FontPool([tmp_path])


@pytest.mark.skipif(not SHARED_FONTS.is_dir(), reason=f"{SHARED_FONTS} absent (fresh clone)")
def test_extra_font_dir_is_used_for_german_plates():
    g = PlateGenerator(countries=["de"], font_dirs=[SHARED_FONTS], seed=0)
    fonts = {s.meta["font"] for s in g.samples(0, 60) if s.text}
    assert any(f.startswith("GL-Nummernschild") for f in fonts)


def test_country_weights_follow_the_request():
    g = PlateGenerator(countries=["nl"], seed=2)
    samples = [s for s in g.samples(0, 40) if s.text]
    assert {s.country for s in samples} == {"NL"}
    assert all(set(s.text) <= set("0123456789BDFGHJKLMNPRSTVXYZ") for s in samples)


def test_umlauts_are_drawn_within_the_cap_height_with_their_dots():
    # Text fonts put the dots a quarter of the cap height above it: on a German plate that is at or
    # past the plate's top edge, and a crop cut there kept the label's umlaut but lost its dots.
    pool = FontPool([SHARED_FONTS] if SHARED_FONTS.is_dir() else None)
    for font in pool.fonts:
        for umlaut, base in zip("ÄÖÜ", "AOU", strict=True):
            glyph, letter = font.glyph(umlaut), font.glyph(base)
            assert glyph.top >= 0 and glyph.mask.shape[0] <= letter.mask.shape[0] + 2, (font.name, umlaut)
            blobs = [cv2.connectedComponents((m > 128).astype(np.uint8))[0] for m in (glyph.mask, letter.mask)]
            assert blobs[0] >= blobs[1] + 1, (font.name, umlaut, blobs)  # the dots are still there, apart
    g = PlateGenerator(countries=["de"], seed=3)
    checked = 0
    for i in range(200):
        spec, flat = g.flat_plate(i)
        plate_top = flat.quad[:2, 1].max()
        for ch, box in zip(spec.text, flat.char_boxes, strict=True):
            if ch in "ÄÖÜ":
                assert box[1] >= plate_top, (spec.text, box, plate_top)
                checked += 1
    assert checked >= 5


def test_readable_samples_are_the_first_readable_ones_in_order():
    g = PlateGenerator(seed=7)
    first = [s for s in g.samples(0, 40) if s.readable][:5]
    assert len(first) == 5
    assert [s.text for s in PlateGenerator(seed=7).readable_samples(5)] == [s.text for s in first]


def test_font_pool_comes_from_packages():
    pool = FontPool()
    assert len(pool.fonts) >= 5
    assert all(Path(f.path).suffix.lower() in (".ttf", ".otf") for f in pool.fonts)


def test_legibility_sees_one_wiped_out_character():
    from platereader.generation.scene import MIN_CHAR_CNR, MIN_CNR, contrast_to_noise

    rng = np.random.default_rng(0)
    text = np.zeros((40, 200), np.uint8)
    boxes = []
    for i in range(6):  # six "characters": a vertical bar and a cross bar each
        x0 = 10 + 30 * i
        text[8:32, x0 + 8 : x0 + 12] = 255
        text[18:22, x0 + 2 : x0 + 18] = 255
        boxes.append([x0, 6, x0 + 20, 34])
    boxes = np.array(boxes, np.float32)
    grey = np.where(text > 127, 30.0, 220.0) + rng.normal(0, 4, text.shape)
    clear = np.repeat(np.clip(grey, 0, 255).astype(np.uint8)[..., None], 3, axis=2)
    mean, weakest = contrast_to_noise(clear, text, boxes)
    assert mean >= MIN_CNR and weakest >= MIN_CHAR_CNR
    glared = clear.copy()
    glared[:, 160:] = 235  # glare saturates the last character
    mean_glared, weakest_glared = contrast_to_noise(glared, text, boxes)
    assert weakest_glared < MIN_CHAR_CNR <= mean_glared  # the mean alone would call it readable


def test_privacy_masked_plates_stay_readable():
    # A grey box over a character is read as "?", so it must not make the plate "unreadable".
    samples = PlateGenerator(seed=3, mask_rate=1.0, negative_rate=0.0, photo_mask_share=0.5).samples(0, 60)
    masked = [s for s in samples if s.meta.get("masked")]
    assert len(masked) == len(samples)
    readable = [s for s in masked if s.readable]
    assert len(readable) > len(masked) / 3
    assert all("?" in s.target for s in readable)
    styles = {s.meta["masked_in_photo"] for s in masked}
    assert styles == {True, False}  # boxes painted on the plate, and into the finished photo
    plain = PlateGenerator(seed=3, mask_rate=1.0, negative_rate=0.0).samples(0, 20)
    assert not any(s.meta["masked_in_photo"] for s in plain)  # the default: on the plate only


def test_privacy_boxes_painted_into_a_photo_are_flat_and_cover_the_character():
    rng = np.random.default_rng(0)
    img = rng.uniform(0, 255, (40, 120, 3)).astype(np.float32)
    before = img.copy()
    paint_privacy_boxes(img, np.array([[50.0, 10.0, 60.0, 30.0]]), rng)
    changed = np.any(img != before, axis=2)
    ys, xs = np.nonzero(changed)
    assert xs.min() <= 50 and xs.max() >= 59 and ys.min() <= 10 and ys.max() >= 29  # the whole character
    assert xs.max() - xs.min() < 20  # grown, not spread over the plate
    box = img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    assert box.reshape(-1, 3).std(0).max() < 1e-3  # one flat colour
    assert box[0, 0].mean() < before[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].mean()  # darker than what it hides


def test_a_glyph_shape_draws_the_character_as_another_at_its_own_width():
    from dataclasses import replace

    from platereader.formats.schema import GlyphShape
    from platereader.generation.render import render_plate

    gen = PlateGenerator(seed=3, countries=["ES"])
    gen.countries["ES"] = gen.countries["ES"].model_copy(update={"glyph_shapes": [GlyphShape(char="0", drawn_as="O", share=0.8)]})
    shaped = [gen.spec(random.Random(i)).drawn_as for i in range(300)]
    assert 0.7 < sum(d == {"0": "O"} for d in shaped) / len(shaped) < 0.9
    spec = next(s for i in range(300) if "0" in (s := gen.spec(random.Random(i))).text and s.drawn_as)
    draw = lambda drawn_as: render_plate(replace(spec, drawn_as=drawn_as), 4.0, np.random.default_rng(0), spec.font, frame=False)  # noqa: E731
    oval, plain = draw({"0": "O"}), draw({})
    assert np.array_equal(oval.char_boxes, plain.char_boxes)  # the 0 keeps its place and width
    changed = np.argwhere(oval.text_mask != plain.text_mask)
    zeros = oval.char_boxes[[i for i, ch in enumerate(spec.text) if ch == "0"]]
    inside = [any(x0 <= x < x1 and y0 <= y < y1 for x0, y0, x1, y1 in zeros) for y, x in changed]
    assert len(changed) > 0 and all(inside)  # only the zeros look different


def test_a_two_row_share_draws_two_row_plates():
    def two_row(generator: PlateGenerator, count: int = 200) -> float:
        specs = [generator.spec(random.Random(i)) for i in range(count)]
        return sum(bool(s.layout.rows and len(s.layout.rows) > 1) for s in specs) / count

    assert two_row(PlateGenerator(seed=0)) < 0.1
    assert two_row(PlateGenerator(seed=0, two_row_share=1.0)) == 1.0
    assert 0.35 < two_row(PlateGenerator(seed=0, two_row_share=0.5)) < 0.65
    with pytest.raises(ValueError, match="two-row"):
        PlateGenerator(countries=["SE"], seed=0, two_row_share=1.0).spec(random.Random(0))


def _side_margins(sample) -> np.ndarray:
    """Each plate crop's left and right margin as a share of the plate's box width."""
    w = sample.image.shape[1]
    x0, x1 = sample.corners[:, 0].min(), sample.corners[:, 0].max()
    return np.array([x0, w - x1]) / (x1 - x0)


def test_a_tight_crop_share_cuts_crops_at_the_plates_edges():
    def margins(generator: PlateGenerator) -> np.ndarray:
        return np.array([_side_margins(s) for s in generator.samples(0, 60) if s.text])

    tight = margins(PlateGenerator(seed=5, tight_crop_share=1.0))
    assert len(tight) > 40
    assert (tight > -0.03).all() and (tight < 0.025).all()  # -2..1% drawn, plus a pixel of rounding
    loose = margins(PlateGenerator(seed=5))
    assert (loose > 0.05).any(axis=1).mean() > 0.5  # a loose box has room around the plate
    mixed = margins(PlateGenerator(seed=5, tight_crop_share=0.5))
    assert 0.2 < (mixed.max(axis=1) < 0.025).mean() < 0.8


def test_a_loose_crop_share_leaves_a_quarter_to_a_half_of_the_plate_around_it():
    def margins(generator: PlateGenerator) -> np.ndarray:
        return np.array([_side_margins(s) for s in generator.samples(0, 60) if s.text])

    loose = margins(PlateGenerator(seed=5, loose_crop_share=1.0))
    assert len(loose) > 40
    # 15-65% of the plate's box drawn per side; a turned plate's box is wider than the plate itself
    assert (loose > 0.1).all() and (loose < 0.7).all() and np.median(loose) > 0.3
    usual = margins(PlateGenerator(seed=5))
    assert np.median(usual) < 0.15
    # a tight crop stays tight whatever the loose share
    tight = margins(PlateGenerator(seed=5, tight_crop_share=1.0, loose_crop_share=1.0))
    assert (tight < 0.025).all()


def test_a_cut_out_share_cuts_plates_out_upright_by_corners_a_little_off():
    from platereader.detection.locate import tilt_degrees

    plain = PlateGenerator(seed=5).samples(0, 60)
    mixed = PlateGenerator(seed=5, cut_out_share=0.5).samples(0, 60)
    cut = [s for s in mixed if s.meta.get("cut_out")]
    assert 15 < len(cut) < 45
    for s, p in zip(mixed, plain, strict=True):  # the other crops are drawn as without the share
        assert s.meta.get("cut_out") or np.array_equal(s.image, p.image)
    margins = np.array([_side_margins(s) for s in cut if s.text])
    # the run time's 10% margin, give or take the corners' error (1.2% of the plate's width each)
    assert 0.06 < np.median(margins) < 0.14 and (margins > 0.0).mean() > 0.95
    assert np.median([abs(tilt_degrees(s.corners)) for s in cut]) < 2  # upright
    for s in cut:
        h, w = s.image.shape[:2]
        assert w >= 64 and (s.char_boxes[:, 2] <= w + 1).all() and (s.char_boxes[:, 3] <= h + 1).all()


def test_a_steep_roll_share_turns_plates_up_to_30_degrees():
    from platereader.detection.locate import tilt_degrees

    def slopes(generator: PlateGenerator) -> np.ndarray:
        return np.array([abs(tilt_degrees(s.corners)) for s in generator.samples(0, 90) if s.text])

    # Yaw and pitch slope a plate's edges too, so a few usual plates slope past their roll.
    usual = slopes(PlateGenerator(seed=5))
    assert len(usual) > 60 and np.median(usual) < 5 and (usual > 15).mean() < 0.05
    steep = slopes(PlateGenerator(seed=5, steep_roll_share=1.0))
    assert np.median(steep) > 10 and (steep > 20).mean() > 0.2 and steep.max() < 36  # uniform to 30
    mixed = slopes(PlateGenerator(seed=5, steep_roll_share=0.5))
    assert 0.1 < (mixed > 15).mean() < 0.4


def test_characters_keep_clear_of_a_bare_plate_edge():
    # Long registrations are squeezed to fit, not run to the edge: crops cut up to 2-3% of the
    # plate's width in at its edges, and a character cut there would still be in the label.
    generator = PlateGenerator(seed=5)
    ends = []
    for i in range(300):
        spec, flat = generator.flat_plate(i)
        (left, _), (right, _) = flat.quad[0], flat.quad[1]
        width = right - left
        if width < 100:  # a pixel of rounding is 1-2% of the smallest plates' width
            continue
        if spec.right_band == "none":
            ends.append((right - flat.char_boxes[:, 2].max()) / width)
        if not spec.band:
            ends.append((flat.char_boxes[:, 0].min() - left) / width)
    assert len(ends) > 150
    ends = np.array(ends)
    # At 5 mm from a bare edge, 8% of these ends lay within 1% of the width, and some touched it.
    assert ends.min() > 0.005 and (ends < 0.01).mean() < 0.01, (ends.min(), (ends < 0.01).mean())


def test_neighbouring_characters_never_touch_even_on_plates_drawn_a_few_dozen_pixels_wide():
    """Plates are drawn near camera size, where characters stand 1-2 px apart: glyphs placed on
    whole pixels touched or overlapped (16% of neighbours on 40-80 px plates), so an I vanished
    into the N beside it while its label kept it. Now at least one clear pixel parts them."""
    gen = PlateGenerator(seed=7)
    gaps, small_plates = [], 0
    for index in range(300):
        spec, flat = gen.flat_plate(index)
        small_plates += flat.quad[1, 0] - flat.quad[0, 0] < 80
        start = 0
        for row in spec.rows:
            boxes = flat.char_boxes[start : start + len(row)]
            gaps.extend((boxes[1:, 0] - boxes[:-1, 2]) / (boxes[:-1, 3] - boxes[:-1, 1]))
            start += len(row)
    assert small_plates > 30  # the test covers small plates
    assert min(gaps) > 0.02  # a clear gap, however small the plate
