"""Which shipped recognizer reads: the general one, or a regional one fine-tuned for the countries
a reader is restricted to (``weights/recognizers.yaml``, validated here). A regional model may also
read beside the general one in an unrestricted reader, taking over the plates whose read fits one of
its ``routes`` formats (``runtime/recognizer.py``, ``RegionalRoute``), and may leave steeply
tilted crops to a ``steep`` companion trained on such plates."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
MANIFEST = WEIGHTS_DIR / "recognizers.yaml"


class ModelFiles(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key fails rather than being ignored

    fp32: str = Field(min_length=1)  # file names in WEIGHTS_DIR
    int8: str = Field(min_length=1)

    def file(self, int8: bool, manifest: Path = MANIFEST) -> Path:
        return manifest.parent / (self.int8 if int8 else self.fp32)


class SteepCompanion(ModelFiles):
    """A model trained on steeply turned plates that reads, in its model's place, the crops whose
    edges slope at least ``min_tilt_degrees`` (``runtime/preprocess.py:edge_tilt_degrees``)."""

    min_tilt_degrees: float = Field(gt=0, lt=45)


class RecognizerFiles(ModelFiles):
    steep: SteepCompanion | None = None


class Routing(BaseModel):
    """When an unrestricted reader takes a regional model's read over the general model's."""

    model_config = ConfigDict(extra="forbid")

    formats: list[str] = Field(min_length=1)  # names of its countries' formats; its read must fit one as read
    # ... and be at least this share of the general read's confidence
    min_confidence_ratio: float = Field(ge=0.0, le=1.0)


class RegionalRecognizer(RecognizerFiles):
    countries: list[str] = Field(min_length=1)  # the country codes it was fine-tuned for
    routes: Routing | None = None  # None: it reads only for readers restricted to its countries

    @field_validator("countries")
    @classmethod
    def _upper(cls, codes: list[str]) -> list[str]:
        return [c.upper() for c in codes]

    @model_validator(mode="after")
    def _routes_for_one_country(self) -> RegionalRecognizer:
        if self.routes is not None and len(self.countries) != 1:  # its formats are one country's
            raise ValueError(f"routes need a model for one country, not {self.countries}")
        return self


class ShippedRecognizers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    general: RecognizerFiles
    regional: list[RegionalRecognizer] = Field(default_factory=list)

    def choose(self, countries: Sequence[str] | None) -> RecognizerFiles:
        """The regional model whose countries cover all of ``countries`` (the narrowest such), else
        the general one: a model fine-tuned for Spain knows no other country's plates."""
        wanted = {c.upper() for c in countries or ()}
        covering = [r for r in self.regional if wanted and wanted <= set(r.countries)]
        return min(covering, key=lambda r: len(r.countries)) if covering else self.general


@cache
def load_manifest(path: Path = MANIFEST) -> ShippedRecognizers:
    try:
        return ShippedRecognizers.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise ValueError(f"{path}: bad recognizer manifest: {exc}") from exc


def routed_recognizers(manifest: Path = MANIFEST) -> list[RegionalRecognizer]:
    """The regional models that read beside the general one in an unrestricted reader."""
    return [r for r in load_manifest(manifest).regional if r.routes is not None]


def shipped_recognizer(int8: bool = False, countries: Sequence[str] | None = None, manifest: Path = MANIFEST) -> Path:
    """The shipped recognizer file for a reader restricted to ``countries`` (None: all)."""
    return load_manifest(manifest).choose(countries).file(int8, manifest)
