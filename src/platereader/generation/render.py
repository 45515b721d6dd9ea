"""Draw a flat (front-on) plate at true geometry: bands, furniture, characters, material.

Everything is laid out in millimetres from the country's format file and rasterised at a
caller-chosen scale. Marks that are never part of the registration (bands, seals, arms,
stickers, dealer text, screws, frames) are drawn into the image but not into the text mask.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from platereader.formats import Country, PlateFormat
from platereader.formats.schema import ColorScheme, Layout
from platereader.generation.fonts import CACHE_CAP_PX, Font
from platereader.generation.scene import noise_field

EU_BLUE = (0, 51, 153)
EU_YELLOW = (255, 204, 0)
EMBLEM_WIDTH = {"seal": 0.78, "arms": 0.62, "sticker": 0.62, "dot": 0.3, "none": 0.45}
GAP_WIDTH = {" ": 0.42, "-": 0.5}
RANDOM_TEXT = "ABCDEFGHIJKLMNOPRSTUVWXYZ0123456789"
# Characters keep clear of a plate's bare edge (the UK standard's 11 mm margin; 2% of a 520 mm
# plate) and sit closer to a band. With 5 mm at a bare edge, long registrations squeezed to fit ran
# to the edge, and crops cut at the plate's edges (or loose crops cutting up to 3% in) cut off their
# last character while the label kept it: a tenth of v16's misses on generated plates.
EDGE_MARGIN_MM = 11.0
BAND_GAP_MM = 5.0


def hex_rgb(value: str) -> tuple[int, int, int]:
    return tuple(int(value[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


@dataclass
class PlateSpec:
    """Everything chosen about one plate before drawing it."""

    country: Country
    fmt: PlateFormat
    layout: Layout
    groups: list[str]
    colors: ColorScheme
    font: Font
    band: bool
    right_band: str
    rear: bool
    drawn_as: dict[str, str] = field(default_factory=dict)  # the country's glyph shapes on this plate

    @property
    def text(self) -> str:
        return "".join(self.groups)

    @property
    def rows(self) -> list[str]:
        counts = self.layout.rows or [len(self.groups)]
        rows, start = [], 0
        for n in counts:
            rows.append("".join(self.groups[start : start + n]))
            start += n
        return rows


@dataclass
class FlatPlate:
    rgba: np.ndarray  # H x W x 4 uint8; alpha 0 outside plate and frame
    text_mask: np.ndarray  # H x W uint8, 255 on the registration characters only
    quad: np.ndarray  # 4 x 2 plate corners (TL, TR, BR, BL) in pixels
    char_boxes: np.ndarray  # N x 4 (x0, y0, x1, y1) per registration character, reading order
    cap_px: float  # character height in pixels


class _Canvas:
    """A plate image plus its text mask, with drawing helpers in millimetres."""

    def __init__(self, width_mm: float, height_mm: float, scale: float, margin_px: tuple[int, int, int, int]):
        self.s = scale
        self.left, self.top, self.right, self.bottom = margin_px
        self.w = round(width_mm * scale)
        self.h = round(height_mm * scale)
        shape = (self.h + self.top + self.bottom, self.w + self.left + self.right)
        self.rgb = np.zeros((*shape, 3), np.float32)
        self.alpha = np.zeros(shape, np.uint8)
        self.text = np.zeros(shape, np.float32)
        self.furniture = np.zeros(shape, np.float32)  # coloured marks drawn over the plate, not text

    def px(self, x_mm: float, y_mm: float) -> tuple[int, int]:
        return round(x_mm * self.s) + self.left, round(y_mm * self.s) + self.top

    def rect(self, x0: float, y0: float, x1: float, y1: float, color) -> None:
        a, b = self.px(x0, y0)
        c, d = self.px(x1, y1)
        self.rgb[b:d, a:c] = color

    def circle(self, x: float, y: float, r: float, color, thickness: int = -1) -> None:
        cv2.circle(self.rgb, self.px(x, y), max(1, round(r * self.s)), color, thickness, cv2.LINE_AA)

    def glyph(self, font: Font, ch: str, x: float, y: float, w: float, h: float, color=None) -> tuple[int, int, int, int]:
        """Paste a glyph scaled to cap height h (mm) and width w (mm) at top-left (x, y).

        With color None it goes to the text mask (a registration character); otherwise it is
        painted straight onto the plate as furniture.
        """
        g = font.glyph(ch)
        k = h * self.s / CACHE_CAP_PX
        gw = max(1, round(w * self.s))
        gh = max(1, round(g.mask.shape[0] * k))
        mask = cv2.resize(g.mask, (gw, gh), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
        x0, y0 = self.px(x, y)
        y0 += round(g.top * k)
        H, W = self.text.shape
        xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + gw, W), min(y0 + gh, H)
        if xa >= xb or ya >= yb:
            return (x0, y0, x0 + gw, y0 + gh)
        patch = mask[ya - y0 : yb - y0, xa - x0 : xb - x0].astype(np.float32) / 255
        if color is None:
            np.maximum(self.text[ya:yb, xa:xb], patch, out=self.text[ya:yb, xa:xb])
        else:
            region = self.rgb[ya:yb, xa:xb]
            region += (np.asarray(color, np.float32) - region) * patch[..., None]
        return (x0, y0, x0 + gw, y0 + gh)


def _small_text(c: _Canvas, font: Font, text: str, x: float, y: float, h: float, color, max_w: float) -> None:
    w = h * 0.6
    step = min(w * 1.12, max_w / max(len(text), 1))
    for i, ch in enumerate(text):
        if ch == " ":
            continue
        c.glyph(font, ch, x + i * step, y, min(w, step * 0.9), h, color)


def _shield(c: _Canvas, x: float, y: float, w: float, h: float, rng: np.random.Generator, style: str) -> None:
    pts = np.array([[x, y], [x + w, y], [x + w, y + h * 0.6], [x + w / 2, y + h], [x, y + h * 0.6]])
    poly = np.array([c.px(*p) for p in pts], np.int32)
    colors = [(200, 16, 46), (245, 245, 245), (20, 60, 160), (250, 200, 30), (30, 120, 60)]
    base = colors[rng.integers(len(colors))]
    cv2.fillPoly(c.rgb, [poly], base, cv2.LINE_AA)
    if style == "checker":
        n = 5
        for i in range(n):
            for j in range(n):
                if (i + j) % 2:
                    c.rect(x + w * i / n, y + h * j / n * 0.8, x + w * (i + 1) / n, y + h * (j + 1) / n * 0.8, (245, 245, 245))
    else:
        c.rect(x, y + h * 0.3, x + w, y + h * 0.45, colors[rng.integers(len(colors))])
    cv2.polylines(c.rgb, [poly], True, (40, 40, 40), 1, cv2.LINE_AA)


def _emblem(c: _Canvas, kind: str, spec: PlateSpec, x: float, y_top: float, w: float, cap: float, rng: np.random.Generator) -> None:
    cx = x + w / 2
    if kind == "seal":  # DE: state seal, with the round HU inspection sticker above it on rear plates
        r = w * 0.42
        seal_y = y_top + cap * (0.72 if spec.rear else 0.5)
        c.circle(cx, seal_y, r, (190, 195, 200))
        c.circle(cx, seal_y, r * 0.7, tuple(int(v) for v in rng.integers(60, 220, 3)))
        c.circle(cx, seal_y, r, (90, 90, 90), 1)
        if spec.rear:
            sticker = [(230, 120, 170), (80, 170, 90), (240, 150, 40), (70, 130, 210), (240, 220, 60), (150, 100, 60)]
            hy = y_top + cap * 0.25
            c.circle(cx, hy, r, sticker[rng.integers(len(sticker))])
            cv2.ellipse(
                c.rgb,
                c.px(cx, hy),
                (max(1, round(r * c.s)),) * 2,
                0,
                -90,
                -90 + 30 * int(rng.integers(1, 12)),
                (20, 20, 20),
                -1,
                cv2.LINE_AA,
            )
    elif kind == "arms":
        style = "checker" if spec.country.code == "HR" else "plain"
        _shield(c, x + w * 0.1, y_top + cap * 0.15, w * 0.8, cap * 0.7, rng, style)
    elif kind == "sticker":
        a, b = c.px(x + w * 0.1, y_top + cap * 0.2)
        d, e = c.px(x + w * 0.9, y_top + cap * 0.75)
        hue = np.linspace(0, 179, max(d - a, 1), dtype=np.float32)[None, :].repeat(max(e - b, 1), 0)
        hsv = np.stack([hue, np.full_like(hue, 90), np.full_like(hue, 230)], -1).astype(np.uint8)
        c.rgb[b:e, a:d] = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[: c.rgb[b:e, a:d].shape[0], : c.rgb[b:e, a:d].shape[1]]
    elif kind == "dot":
        c.circle(cx, y_top + cap / 2, w * 0.2, spec_text_rgb(spec))


def spec_text_rgb(spec: PlateSpec) -> tuple[int, int, int]:
    return hex_rgb(spec.colors.text)


def _left_band(c: _Canvas, spec: PlateSpec, band_w: float, H: float, font: Font, rng: np.random.Generator) -> None:
    band = spec.country.band
    c.rect(0, 0, band_w, H, hex_rgb(band.background))
    code_h = min(band_w * 0.5, H * 0.28)
    if band.style == "eu":
        r = min(band_w, H * 0.5) * 0.33
        cy = H * 0.3
        for k in range(12):
            a = 2 * np.pi * k / 12
            c.circle(band_w / 2 + r * np.cos(a), cy + r * np.sin(a), max(r * 0.14, 0.6), EU_YELLOW)
    else:
        stripes = band.flag or [band.background]
        top, fh = H * 0.12, H * 0.3
        for i, color in enumerate(stripes):
            c.rect(band_w * 0.15, top + fh * i / len(stripes), band_w * 0.85, top + fh * (i + 1) / len(stripes), hex_rgb(color))
    code = band.code
    cw = min(code_h * 0.62, band_w * 0.8 / max(len(code), 1))
    x0 = band_w / 2 - cw * len(code) * 1.08 / 2
    _small_text(c, font, code, x0, H * 0.9 - code_h, code_h, (250, 250, 250), band_w * 0.85)


def _right_band(c: _Canvas, kind: str, x0: float, W: float, H: float, font: Font, rng: np.random.Generator) -> None:
    bw = W - x0
    if kind == "pt_date":
        c.rect(x0, 0, W, H, (250, 200, 20))
        for row, digits in enumerate((f"{rng.integers(98, 120) % 100:02d}", f"{rng.integers(1, 13):02d}")):
            _small_text(c, font, digits, x0 + bw * 0.15, H * (0.1 + 0.45 * row), H * 0.32, (20, 20, 20), bw * 0.7)
        return
    c.rect(x0, 0, W, H, EU_BLUE)
    if kind == "fr_region":
        c.circle(x0 + bw / 2, H * 0.3, bw * 0.3, tuple(int(v) for v in rng.integers(0, 255, 3)))
        dept = rng.choice(["75", "13", "69", "33", "59", "2A", "974", "44", "31", "67", "92", "06"])
        _small_text(c, font, str(dept), x0 + bw * 0.12, H * 0.58, H * 0.3, (250, 250, 250), bw * 0.76)
    elif kind == "it_year":
        c.circle(x0 + bw / 2, H * 0.3, bw * 0.32, EU_YELLOW)
        _small_text(c, font, f"{rng.integers(0, 100):02d}", x0 + bw * 0.3, H * 0.2, H * 0.18, (0, 40, 140), bw * 0.4)
        prov = "".join(rng.choice(list("ABCDEFGMNPRSTV"), 2))
        _small_text(c, font, prov, x0 + bw * 0.14, H * 0.6, H * 0.28, (250, 250, 250), bw * 0.72)


def _char_width(font: Font, ch: str, spec: PlateSpec, rng: np.random.Generator) -> float:
    """Glyph width in cap heights: the font's own proportions, normalised to the country's width."""
    native = font.glyph(ch).mask.shape[1] / CACHE_CAP_PX
    return native * spec.country.char_width_ratio / font.width_ratio * rng.uniform(0.95, 1.05)


def _row_items(spec: PlateSpec) -> list[list[tuple[str, str]]]:
    """Per row: ('char', c), ('sep', ' '|'-') or ('emblem', kind) items in drawing order."""
    counts = spec.layout.rows or [len(spec.groups)]
    rows, g = [], 0
    for n in counts:
        items: list[tuple[str, str]] = []
        for k in range(n):
            items.extend(("char", ch) for ch in spec.groups[g])
            sep = spec.fmt.groups[g].separator_after
            if k < n - 1 and sep:
                items.append(("emblem", spec.country.emblem) if sep == "*" else ("sep", sep))
            g += 1
        rows.append(items)
    return rows


def render_plate(
    spec: PlateSpec, scale: float, rng: np.random.Generator, band_font: Font, frame: bool, masked: frozenset[int] = frozenset()
) -> FlatPlate:
    """Draw the plate; characters at ``masked`` positions are hidden under grey boxes (privacy masking)."""
    W, H = spec.layout.size_mm
    furniture = {k: rng.random() < p for k, p in spec.country.furniture.items()}
    frame_mm = (rng.uniform(3, 10), rng.uniform(3, 10), rng.uniform(3, 10), rng.uniform(8, 28)) if frame else (0, 0, 0, 0)
    c = _Canvas(W, H, scale, tuple(round(m * scale) for m in frame_mm))  # type: ignore[arg-type]
    bg = np.array(hex_rgb(spec.colors.background), np.float32) * rng.uniform(0.9, 1.04)
    text_rgb = np.array(hex_rgb(spec.colors.text), np.float32)
    c.rgb[c.top : c.top + c.h, c.left : c.left + c.w] = bg
    c.alpha[c.top : c.top + c.h, c.left : c.left + c.w] = 255

    two_row = spec.layout.n_rows > 1
    band_w = (40 if two_row else 45) * rng.uniform(0.9, 1.1) if spec.band else 0.0
    right_w = 45 * rng.uniform(0.9, 1.1) if spec.right_band != "none" and not two_row else 0.0
    if band_w:
        _left_band(c, spec, band_w, H, band_font, rng)
    if right_w:
        _right_band(c, spec.right_band, W - right_w, W, H, band_font, rng)
    x_lo = band_w + (BAND_GAP_MM if band_w else EDGE_MARGIN_MM)
    x_hi = W - right_w - (BAND_GAP_MM if right_w else EDGE_MARGIN_MM)
    if furniture.get("green_flash"):
        c.rect(band_w, 0, band_w + 0.04 * W, H, (0, 150, 70))
        x_lo += 0.04 * W
    if furniture.get("shields"):
        for sx in (x_lo, x_hi - 0.07 * W):
            _shield(c, sx, H * 0.3, 0.06 * W, H * 0.4, rng, "plain")
        x_lo, x_hi = x_lo + 0.08 * W, x_hi - 0.08 * W
    if furniture.get("inspection_sticker") or furniture.get("month_tab"):
        x_hi -= 0.09 * W
        if furniture.get("inspection_sticker"):
            c.circle(x_hi + 0.045 * W, H * 0.5, 0.035 * W, tuple(int(v) for v in rng.integers(40, 240, 3)))
        else:
            _small_text(c, band_font, f"{rng.integers(1, 13):02d}", x_hi + 0.02 * W, H * 0.15, H * 0.25, text_rgb, 0.06 * W)
            _small_text(c, band_font, f"{rng.integers(1, 13):02d}", x_hi + 0.02 * W, H * 0.6, H * 0.25, text_rgb, 0.06 * W)

    top_reserved = 0.16 * H if furniture.get("county_name") else 0.0
    bottom_reserved = 0.13 * H if furniture.get("dealer_strip") else 0.0
    avail_h = H - top_reserved - bottom_reserved
    rows = _row_items(spec)
    n = len(rows)
    ratio = spec.country.char_height_ratio
    cap = ratio * avail_h if n == 1 else min(ratio * 110, (avail_h - 24) / n * 0.9)
    cap *= rng.uniform(0.95, 1.03)
    v_gap = (avail_h - n * cap) / (n + 1)
    spacing = 0.1 * cap * rng.uniform(0.7, 1.3)

    boxes: list[tuple[int, int, int, int]] = []
    for r, items in enumerate(rows):
        widths = []
        for kind, value in items:
            if kind == "char":
                widths.append(_char_width(spec.font, value, spec, rng) * cap)
            elif kind == "sep":
                widths.append(GAP_WIDTH[value] * cap)
            else:
                widths.append(EMBLEM_WIDTH[value] * cap)
        total = sum(widths) + spacing * (len(items) - 1)
        squeeze = min(1.0, (x_hi - x_lo) / total)
        x = x_lo + (x_hi - x_lo - total * squeeze) / 2 + rng.uniform(-0.03, 0.03) * cap
        y_top = top_reserved + v_gap + r * (cap + v_gap) + rng.uniform(-0.04, 0.04) * cap
        first_hyphen = True
        last_char_end: int | None = None  # right edge (px) of the row's previous character
        for (kind, value), w in zip(items, widths, strict=False):
            w *= squeeze
            if kind == "char":
                jx, jy = rng.uniform(-0.02, 0.02) * w, rng.uniform(-0.01, 0.01) * cap
                # Plates are drawn near camera size, where characters stand 1-2 px apart, and glyphs
                # land on whole pixels: unchecked, 16% of neighbours on plates drawn 40-80 px wide
                # touched or overlapped (an I merged into the N beside it while its label kept it).
                # So a character that would touch the one before moves right just enough to leave a
                # clear pixel; the characters after it keep their places unless they touch in turn.
                left_mm = x + jx
                left = c.px(left_mm, 0)[0]
                if last_char_end is not None and left <= last_char_end:
                    left_mm += (last_char_end + 1 - left) / c.s
                box = c.glyph(spec.font, spec.drawn_as.get(value, value), left_mm, y_top + jy, w, cap)
                boxes.append(box)
                last_char_end = box[2]
            elif kind == "sep" and value == "-":
                t = cap * 0.09
                a, b = c.px(x + w * 0.2, y_top + cap / 2 - t / 2)
                d, e = c.px(x + w * 0.8, y_top + cap / 2 + t / 2)
                cv2.rectangle(c.furniture, (a, b), (d, max(e, b + 1)), 1.0, -1)
                if first_hyphen and furniture.get("duplicate_digit"):
                    _small_text(c, band_font, str(rng.integers(1, 4)), x + w * 0.3, y_top, cap * 0.25, text_rgb, w)
                first_hyphen = False
            elif kind == "emblem":
                _emblem(c, value, spec, x, y_top, w, cap, rng)
            x += w + spacing * squeeze

    if furniture.get("county_name"):
        name = "".join(rng.choice(list("ABCDEFGHILMNORSTU"), int(rng.integers(5, 12))))
        _small_text(c, band_font, name, x_lo + 0.1 * W, 0.03 * H, 0.1 * H, text_rgb, x_hi - x_lo - 0.2 * W)
    if furniture.get("dealer_strip"):
        strip = "".join(rng.choice(list(RANDOM_TEXT + "  "), int(rng.integers(8, 20))))
        _small_text(
            c, band_font, strip, x_lo + 0.15 * W, H - bottom_reserved * 0.95, bottom_reserved * 0.7, text_rgb, x_hi - x_lo - 0.3 * W
        )
    if furniture.get("small_print"):
        _small_text(c, band_font, "".join(rng.choice(list(RANDOM_TEXT), 6)), x_hi - 0.2 * W, 0.02 * H, 0.07 * H, text_rgb, 0.2 * W)

    _finish_material(c, spec, bg, text_rgb, rng, furniture)
    if rng.random() < 0.5:
        _screws(c, W, H, rng)
    mask_grey = rng.uniform(110, 180)  # one flat grey per plate, darker than the paper
    for i in masked:
        _mask_character(c, boxes[i], rng, mask_grey)
    if frame:
        _dealer_frame(c, band_font, rng)
    quad = np.array([[c.left, c.top], [c.left + c.w, c.top], [c.left + c.w, c.top + c.h], [c.left, c.top + c.h]], np.float32)
    rgba = np.empty((*c.alpha.shape, 4), np.uint8)
    np.clip(c.rgb, 0, 255, out=c.rgb)
    rgba[..., :3] = c.rgb
    rgba[..., 3] = c.alpha
    return FlatPlate(rgba, (c.text * 255).astype(np.uint8), quad, np.array(boxes, np.float32).reshape(-1, 4), cap * scale)


def _finish_material(
    c: _Canvas, spec: PlateSpec, bg: np.ndarray, text_rgb: np.ndarray, rng: np.random.Generator, furniture: dict[str, bool]
) -> None:
    plate = (slice(c.top, c.top + c.h), slice(c.left, c.left + c.w))
    # Marks every plate carries: border line, AT edge stripes, DK red frame.
    t = max(1, round(rng.uniform(0.8, 2.5) * c.s))
    if furniture.get("edge_stripes"):
        s = max(1, round(0.05 * c.h))
        c.rgb[c.top : c.top + s, c.left : c.left + c.w] = (200, 16, 46)
        c.rgb[c.top + c.h - s : c.top + c.h, c.left : c.left + c.w] = (200, 16, 46)
    elif furniture.get("red_border"):
        cv2.rectangle(c.rgb, (c.left, c.top), (c.left + c.w - 1, c.top + c.h - 1), (200, 16, 46), max(2, 2 * t))
    elif rng.random() < 0.6:
        cv2.rectangle(c.rgb, (c.left, c.top), (c.left + c.w - 1, c.top + c.h - 1), tuple(float(v) for v in text_rgb), t)
    m = c.text
    hyphen = c.furniture
    ink = np.maximum(m, hyphen)
    c.rgb += (text_rgb - c.rgb) * ink[..., None]
    if rng.random() < 0.7:  # embossed: lit edge on one side, shadow on the other
        d = max(1, round(rng.uniform(0.4, 1.2) * c.s))
        dx, dy = (d, d) if rng.random() < 0.5 else (-d, d)
        light = np.clip(np.roll(ink, (-dy, -dx), (0, 1)) - ink, 0, 1)
        shade = np.clip(np.roll(ink, (dy, dx), (0, 1)) - ink, 0, 1)
        c.rgb += (light * rng.uniform(20, 60) - shade * rng.uniform(20, 70))[..., None]
    region = c.rgb[plate]
    if rng.random() < 0.2:  # aged, yellowed sheeting
        region *= np.array([1.0, 0.97, 0.86], np.float32)
    region += (noise_field(*region.shape[:2], rng) * rng.uniform(1, 5))[..., None]  # retro-reflective sheeting grain
    if rng.random() < 0.3:
        _stains(region, rng, color=(90, 70, 45), strength=rng.uniform(0.2, 0.6))  # mud / dirt
    if rng.random() < 0.04:
        _stains(region, rng, color=(160, 80, 30), strength=0.7, coverage=0.08)  # rust spots
    if rng.random() < 0.03:
        _stains(region, rng, color=(245, 245, 250), strength=0.9, coverage=0.1)  # snow


def _mask_character(c: _Canvas, box: tuple[int, int, int, int], rng: np.random.Generator, grey: float) -> None:
    """A flat grey box over one character, as data sets that hide part of the registration use."""
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) * rng.uniform(0.0, 0.25), (y1 - y0) * rng.uniform(-0.05, 0.1)
    a, b, d, e = int(x0 - dx), int(y0 - dy), int(np.ceil(x1 + dx)), int(np.ceil(y1 + dy))
    c.rgb[max(b, 0) : e, max(a, 0) : d] = grey
    c.text[max(b, 0) : e, max(a, 0) : d] = 0


def _stains(region: np.ndarray, rng: np.random.Generator, color, strength: float, coverage: float | None = None) -> None:
    h, w = region.shape[:2]
    small = rng.random((max(2, h // 12), max(2, w // 12))).astype(np.float32)
    field = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    cut = np.quantile(field, 1 - (coverage if coverage is not None else rng.uniform(0.1, 0.6)))
    alpha = np.clip((field - cut) * 4, 0, 1) * strength
    region += (np.asarray(color, np.float32) - region) * alpha[..., None]


def _screws(c: _Canvas, W: float, H: float, rng: np.random.Generator) -> None:
    y = H * rng.uniform(0.12, 0.25) if rng.random() < 0.5 else H * 0.5
    for x in (W * rng.uniform(0.18, 0.3), W * rng.uniform(0.7, 0.82)):
        r = rng.uniform(4, 7)
        shade = float(rng.uniform(110, 220))
        c.circle(x, y, r, (shade, shade, shade * 0.97))
        cv2.line(c.rgb, c.px(x - r * 0.6, y), c.px(x + r * 0.6, y), (60, 60, 60), max(1, round(c.s)), cv2.LINE_AA)


def _dealer_frame(c: _Canvas, font: Font, rng: np.random.Generator) -> None:
    color = (20, 20, 22) if rng.random() < 0.7 else (170, 172, 178)
    mask = c.alpha == 0
    c.rgb[mask] = color
    c.alpha[:] = 255
    if c.bottom > 6 and rng.random() < 0.7:
        text = "".join(rng.choice(list(RANDOM_TEXT + "   "), int(rng.integers(6, 16))))
        ink = (235, 235, 235) if color[0] < 100 else (20, 20, 20)
        h_mm = c.bottom / c.s * 0.6
        _small_text(c, font, text, c.w / c.s * 0.2, c.h / c.s + c.bottom / c.s * 0.2, h_mm, ink, c.w / c.s * 0.6)
