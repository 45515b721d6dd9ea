"""Country plate formats: bundled YAML files plus any the user points at."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from platereader.formats.schema import Country, FormatError, PlateFormat, load_country

BUNDLED_DIR = Path(__file__).parent / "countries"

__all__ = ["Country", "FormatError", "PlateFormat", "bundled_countries", "load_countries", "load_country"]


@lru_cache(maxsize=1)
def bundled_countries() -> dict[str, Country]:
    return _load_dir(BUNDLED_DIR)


def _load_dir(directory: Path) -> dict[str, Country]:
    countries: dict[str, Country] = {}
    for path in sorted(directory.glob("*.yaml")):
        country = load_country(path)
        if country.code in countries:
            raise FormatError(f"{path}: country {country.code} is defined twice in {directory}")
        countries[country.code] = country
    return countries


def load_countries(codes: list[str] | None = None, extra_files: list[Path] | None = None) -> dict[str, Country]:
    """Bundled countries (all, or the given codes) plus user format files, which win on a clash."""
    available = dict(bundled_countries())
    for path in extra_files or []:
        path = Path(path)
        loaded = _load_dir(path) if path.is_dir() else {(c := load_country(path)).code: c}
        available.update(loaded)
    if not codes:
        return available
    wanted = [c.strip().upper() for c in codes if c.strip()]
    wanted = ["GB" if c == "UK" else c for c in wanted]
    missing = [c for c in wanted if c not in available]
    if missing:
        raise FormatError(f"unknown country code(s) {', '.join(missing)}; known: {', '.join(sorted(available))}")
    return {c: available[c] for c in wanted}
