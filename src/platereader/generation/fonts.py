"""Font pool for rendering: fonts from installed ``fontpkg-*`` packages plus user directories.

Glyphs are rasterised once per font into a cache of cap-height-normalised masks, so rendering a
plate is only resizing and pasting small arrays.

Umlauts stay within the cap height. Plate lettering draws them so (German FE-Schrift shortens the
letter under the dots; so does the bundled digitisation in ``../shared/fonts``), while text fonts
put the dots a quarter of the cap height above it: on a German plate (characters 75 mm high on
110 mm) that is at or past the plate's top edge, where a crop cut at the plate's edges loses them
while the label keeps the umlaut. Such a glyph, dots and letter, is scaled into the cap height.
"""

from __future__ import annotations

import importlib.util
import pkgutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from platereader.alphabet import ALPHABET, UMLAUTS

CACHE_CAP_PX = 64  # cap height of cached glyphs; plates are drawn at or below this
FONT_SUFFIXES = {".ttf", ".otf"}
# Plate lettering is medium to bold upright; thin, light and italic cuts would teach the wrong look.
SKIPPED_WEIGHTS = {"thin", "extralight", "light", "black", "hairline"}
REQUIRED = ALPHABET.replace(UMLAUTS, "")


class FontError(ValueError):
    """A font file or directory that cannot be used; the message names it."""


@dataclass(frozen=True)
class Glyph:
    mask: np.ndarray  # uint8 ink mask, rows from `top` (relative to cap top) downwards
    top: int  # negative for ink above the cap line


@dataclass
class Font:
    name: str
    path: Path
    glyphs: dict[str, Glyph]
    width_ratio: float  # median glyph width / cap height, to normalise condensed vs wide cuts

    def glyph(self, ch: str) -> Glyph:
        return self.glyphs.get(ch) or self.glyphs[ch.translate(str.maketrans("ÄÖÜ", "AOU"))]


def package_font_dirs() -> list[Path]:
    """Directories of installed ``fontpkg_*`` packages (the project's default font pool)."""
    dirs = []
    for module in sorted(pkgutil.iter_modules(), key=lambda m: m.name):
        if module.name.startswith("fontpkg_"):
            spec = importlib.util.find_spec(module.name)
            if spec and spec.submodule_search_locations:
                dirs.extend(Path(p) for p in spec.submodule_search_locations)
    return dirs


def _usable_style(path: Path) -> bool:
    name = path.stem.lower().split("[")[0]
    if "italic" in name or "oblique" in name:
        return False
    weight = name.rsplit("-", 1)[-1] if "-" in name else "regular"
    return weight not in SKIPPED_WEIGHTS


def find_font_files(directory: Path, strict: bool) -> list[Path]:
    if not directory.exists():
        raise FontError(f"font directory {directory} does not exist")
    if not directory.is_dir():
        raise FontError(f"font directory {directory} is not a directory")
    files = sorted(p for p in directory.rglob("*") if p.suffix.lower() in FONT_SUFFIXES and _usable_style(p))
    if strict and not files:
        raise FontError(f"font directory {directory} holds no usable .ttf/.otf fonts")
    return files


def _render(font: ImageFont.FreeTypeFont, ch: str) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    size = CACHE_CAP_PX * 3
    img = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(img).text((size // 2, size // 2), ch, font=font, fill=255)
    arr = np.asarray(img)
    ys, xs = np.nonzero(arr > 40)
    if len(xs) == 0:
        raise FontError(f"draws nothing for {ch!r}")
    return arr, (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)


def load_font(path: Path) -> Font:
    try:
        # Render large so the cache is sharp; cap height of "H" sets the scale.
        font = ImageFont.truetype(str(path), CACHE_CAP_PX * 2)
        _, (_, h_top, _, h_bottom) = _render(font, "H")
        scale = CACHE_CAP_PX / (h_bottom - h_top)
        glyphs: dict[str, Glyph] = {}
        widths = []
        for ch in ALPHABET:
            try:
                arr, (x0, y0, x1, y1) = _render(font, ch)
            except FontError:
                if ch in UMLAUTS:
                    continue  # drawn as the base letter plus dots would mislead; fall back to base glyph
                raise
            crop = arr[y0:y1, x0:x1]
            w = max(1, round((x1 - x0) * scale))
            h = max(1, round((y1 - y0) * scale))
            top = round((y0 - h_top) * scale)
            if ch in UMLAUTS and top < 0:
                h, top = h + top, 0  # dots and letter fitted into the cap height, as plates draw them
            mask = cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA)
            glyphs[ch] = Glyph(mask=mask, top=top)
            if ch in REQUIRED:
                widths.append(w / CACHE_CAP_PX)
    except FontError as exc:
        raise FontError(f"font {path}: {exc}") from None
    except (OSError, ValueError) as exc:
        raise FontError(f"font {path} cannot be read: {exc}") from None
    return Font(name=path.stem, path=path, glyphs=glyphs, width_ratio=float(np.median(widths)))


class FontPool:
    """Every usable font: packaged ones plus ``extra_dirs`` (whose fonts must all load)."""

    def __init__(self, extra_dirs: list[Path] | None = None, include_packages: bool = True):
        self.fonts: list[Font] = []
        if include_packages:
            for directory in package_font_dirs():
                self.fonts.extend(load_font(p) for p in find_font_files(directory, strict=False))
        for directory in extra_dirs or []:
            self.fonts.extend(load_font(p) for p in find_font_files(Path(directory), strict=True))
        if not self.fonts:
            raise FontError("no fonts found: install the fontpkg-* packages or pass a font directory")

    def preferred(self, fragments: list[str]) -> list[Font]:
        """Fonts whose file name contains one of the fragments, in the order of the fragments."""

        def key(s: str) -> str:
            return s.lower().replace(" ", "").replace("-", "").replace("_", "")

        found: list[Font] = []
        for fragment in fragments:
            found.extend(f for f in self.fonts if key(fragment) in key(f.name) and f not in found)
        return found
