"""Plate formats as validated data: one YAML file per country.

A format's ``pattern`` is a small language that both samples registrations and matches them:
class letters (``L`` any letter, ``D`` digit, ``N`` digit 1-9, or classes the format defines)
with an optional ``{m}`` / ``{m,n}`` count; groups are split by separators that are drawn but
never read: space (gap), ``-`` (hyphen) and ``*`` (the country's emblem: seal, arms, sticker).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from platereader.alphabet import ALPHABET, DIGITS, LATIN, normalize_label

SEPARATORS = " -*"
BUILTIN_CLASSES: dict[str, str] = {"L": LATIN, "D": DIGITS, "N": DIGITS[1:]}
_TOKEN = re.compile(r"([A-Z])(?:\{(\d+)(?:,(\d+))?\})?")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class FormatError(ValueError):
    """A format file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Token:
    options: tuple[str, ...]  # each option is one or more alphabet characters
    min_count: int
    max_count: int

    def regex(self) -> str:
        alternatives = "|".join(re.escape(o) for o in sorted(self.options, key=len, reverse=True))
        count = f"{{{self.min_count}}}" if self.min_count == self.max_count else f"{{{self.min_count},{self.max_count}}}"
        return f"(?:{alternatives}){count}"


@dataclass(frozen=True)
class Group:
    tokens: tuple[Token, ...]
    separator_after: str  # "" for the last group


BandStyle = Literal["eu", "national", "none"]
EmblemKind = Literal["seal", "arms", "sticker", "dot", "none"]
RightBand = Literal["none", "fr_region", "it_year", "pt_date", "ru_region"]
Furniture = Literal[
    "inspection_sticker", "duplicate_digit", "dealer_strip", "green_flash", "edge_stripes",
    "red_border", "county_name", "shields", "month_tab", "small_print", "hologram",
]  # fmt: skip


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColorScheme(Strict):
    name: str
    background: str
    text: str
    weight: float = Field(1.0, gt=0)

    @field_validator("background", "text")
    @classmethod
    def _hex(cls, v: str) -> str:
        if not _HEX.match(v):
            raise ValueError(f"colour {v!r} is not #rrggbb")
        return v


class Layout(Strict):
    name: str
    size_mm: tuple[float, float]
    rows: list[int] | None = None  # groups per row, top first; None = one row
    weight: float = Field(1.0, gt=0)

    @field_validator("size_mm")
    @classmethod
    def _size(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not (50 <= v[0] <= 700 and 50 <= v[1] <= 300):
            raise ValueError(f"plate size {v} mm is outside 50-700 x 50-300")
        return v

    @property
    def n_rows(self) -> int:
        return len(self.rows) if self.rows else 1


class PlateFormat(Strict):
    name: str
    pattern: str
    classes: dict[str, str | list[str]] = Field(default_factory=dict)
    max_len: int | None = None
    weight: float = Field(1.0, gt=0)
    note: str = ""
    layouts: list[Layout] = Field(min_length=1)
    colors: list[ColorScheme] | None = None  # overrides the country's colours
    right_band: RightBand | None = None  # overrides the country's right band
    band_weight: float | None = Field(None, ge=0, le=1)  # overrides how often the left band shows

    @field_validator("classes")
    @classmethod
    def _classes(cls, v: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for name, members in v.items():
            if not re.fullmatch(r"[A-Z]", name):
                raise ValueError(f"class name {name!r} must be one capital letter")
            options = list(members) if isinstance(members, str) else members
            if not options:
                raise ValueError(f"class {name!r} is empty")
            for option in options:
                if not option or normalize_label(option) != option:
                    raise ValueError(f"class {name!r} holds {option!r}, which is not in the alphabet {ALPHABET}")
        return v

    @model_validator(mode="after")
    def _pattern_and_rows(self) -> PlateFormat:
        groups = self.groups  # parses, raising ValueError on a bad pattern
        for layout in self.layouts:
            if layout.rows and (sum(layout.rows) != len(groups) or min(layout.rows) < 1):
                raise ValueError(f"layout {layout.name!r}: rows {layout.rows} must split the {len(groups)} groups of {self.pattern!r}")
        return self

    def class_options(self, name: str) -> tuple[str, ...]:
        members = self.classes.get(name, BUILTIN_CLASSES.get(name))
        if members is None:
            raise ValueError(f"pattern {self.pattern!r} uses class {name!r}, which is neither defined nor built in (L, D, N)")
        return tuple(members)

    @cached_property
    def groups(self) -> tuple[Group, ...]:
        groups: list[Group] = []
        tokens: list[Token] = []
        pos = 0
        text = self.pattern.strip()
        while pos < len(text):
            ch = text[pos]
            if ch in SEPARATORS:
                if not tokens:
                    raise ValueError(f"pattern {self.pattern!r}: separator at {pos} has no group before it")
                groups.append(Group(tuple(tokens), ch))
                tokens = []
                pos += 1
                continue
            m = _TOKEN.match(text, pos)
            if not m:
                raise ValueError(f"pattern {self.pattern!r}: cannot parse at position {pos} ({text[pos:]!r})")
            lo = int(m.group(2) or 1)
            hi = int(m.group(3) or lo)
            if hi < lo:
                raise ValueError(f"pattern {self.pattern!r}: count {{{lo},{hi}}} runs backwards")
            tokens.append(Token(self.class_options(m.group(1)), lo, hi))
            pos = m.end()
        if not tokens:
            raise ValueError(f"pattern {self.pattern!r} ends with a separator or is empty")
        groups.append(Group(tuple(tokens), ""))
        return tuple(groups)

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile("".join(t.regex() for g in self.groups for t in g.tokens))

    def matches(self, label: str) -> bool:
        return bool(self.regex.fullmatch(label)) and (self.max_len is None or len(label) <= self.max_len)

    def sample_groups(self, rng: random.Random) -> list[str]:
        """A registration as its groups (reading order), within max_len."""
        for _ in range(100):
            groups = []
            for group in self.groups:
                parts = []
                for token in group.tokens:
                    for _ in range(rng.randint(token.min_count, token.max_count)):
                        parts.append(rng.choice(token.options))
                groups.append("".join(parts))
            if self.max_len is None or sum(map(len, groups)) <= self.max_len:
                # Optional tokens can leave a group empty; drop it rather than draw a lone separator.
                return groups
        raise FormatError(f"format {self.name!r}: no sample within max_len {self.max_len} after 100 tries")


class Band(Strict):
    style: BandStyle = "eu"
    code: str = ""
    flag: list[str] = Field(default_factory=list)  # national band: horizontal stripes, top first
    background: str = "#003399"
    weight: float = Field(1.0, ge=0, le=1)  # how often the band is present

    @field_validator("flag")
    @classmethod
    def _flag(cls, v: list[str]) -> list[str]:
        for c in v:
            if not _HEX.match(c):
                raise ValueError(f"flag colour {c!r} is not #rrggbb")
        return v


class GlyphShape(Strict):
    """A character the country's plate alphabet draws in another character's shape, at its own
    width: for an alphabet whose 0 is an oval, the font's O squeezed to a 0's width (the label
    stays 0)."""

    char: str = Field(min_length=1, max_length=1)
    drawn_as: str = Field(min_length=1, max_length=1)
    share: float = Field(1.0, ge=0, le=1)  # of the country's plates: plate makers differ

    @field_validator("char", "drawn_as")
    @classmethod
    def _in_alphabet(cls, v: str) -> str:
        if v not in ALPHABET:
            raise ValueError(f"{v!r} is not in the alphabet {ALPHABET}")
        return v


class Country(Strict):
    code: str = Field(pattern=r"^[A-Z]{2}$")
    name: str
    sources: list[str] = Field(min_length=1)
    weight: float = Field(1.0, gt=0)
    band: Band = Band()
    right_band: RightBand = "none"
    emblem: EmblemKind = "none"
    furniture: dict[Furniture, float] = Field(default_factory=dict)
    fonts: list[str] = Field(default_factory=list)  # preferred font name fragments, best first
    char_height_ratio: float = Field(0.68, gt=0.3, lt=0.9)  # cap height / one-row plate height
    char_width_ratio: float = Field(0.62, gt=0.3, lt=1.0)  # glyph cell width / cap height
    glyph_shapes: list[GlyphShape] = Field(default_factory=list)
    colors: list[ColorScheme] = Field(default_factory=lambda: [ColorScheme(name="standard", background="#f4f4f0", text="#111111")])
    formats: list[PlateFormat] = Field(min_length=1)

    @field_validator("furniture")
    @classmethod
    def _probabilities(cls, v: dict[str, float]) -> dict[str, float]:
        for name, p in v.items():
            if not 0 <= p <= 1:
                raise ValueError(f"furniture {name!r}: probability {p} is outside 0-1")
        return v

    def format_named(self, name: str) -> PlateFormat:
        for fmt in self.formats:
            if fmt.name == name:
                return fmt
        raise KeyError(f"{self.code} has no format {name!r}")


def _describe(error: ValidationError) -> str:
    lines = []
    for err in error.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"{where}: {err['msg']}")
    return "; ".join(lines)


def load_country(path: str | Path) -> Country:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError(f"{path}: format file not found") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FormatError(f"{path}: cannot read format file: {exc}") from None
    if not isinstance(data, dict):
        raise FormatError(f"{path}: a format file must hold a mapping (code, name, formats, ...)")
    try:
        return Country.model_validate(data)
    except ValidationError as exc:
        raise FormatError(f"{path}: {_describe(exc)}") from None
