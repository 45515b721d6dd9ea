"""Model settings as validated data (YAML files in ``models/configs``); no torch needed to read them."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from platereader.alphabet import ALPHABET

CONFIG_DIR = Path(__file__).parent / "configs"


class ModelConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    arch: str  # key in the model registry
    input_width: int = Field(128, ge=32, le=512)
    input_height: int = Field(32, ge=16, le=128)
    alphabet: str = ALPHABET
    channels: list[int] = Field(min_length=3)  # one conv stage each
    pools: list[tuple[int, int]]  # (h, w) pooling after each stage; (1, 1) = none
    # (h, w) conv stride of each stage (None: all 1). A strided first stage in place of conv +
    # max-pool at full resolution: that stage's batch norm and ReLU backward passes take about a
    # seventh of a training step on a CPU, for 1% of the multiply-adds.
    strides: list[tuple[int, int]] | None = None
    head_channels: int = 96
    # How the last feature rows become one sequence: "max" keeps each column's strongest response,
    # "flatten" stacks the rows as channels (keeps where in the column a stroke is).
    row_reduce: Literal["max", "flatten"] = "max"
    # Residual 1-D conv blocks over the column sequence: context across neighbouring characters
    # for little compute, since the sequence is short (input_width / 4 columns).
    context_blocks: int = Field(0, ge=0, le=6)
    context_kernel: int = Field(5, ge=3, le=9)
    # CTC steps per feature column: the classifier reads each column as this many consecutive
    # steps. CTC needs a step per character and a blank between a repeated pair, and 32 columns
    # leave a ten-character plate about 2.5 steps per character. Two steps (ctc_ctx_s2_x2) did not
    # stop v16's dropped characters, though (model card, "Session 25").
    steps_per_column: int = Field(1, ge=1, le=4)

    @model_validator(mode="after")
    def _one_entry_per_stage(self) -> ModelConfig:
        for field_name in ("pools", "strides"):
            value = getattr(self, field_name)
            if value is not None and len(value) != len(self.channels):
                raise ValueError(f"{field_name}: {len(value)} entries for {len(self.channels)} conv stages")
        return self

    @property
    def stage_strides(self) -> list[tuple[int, int]]:
        return list(self.strides) if self.strides is not None else [(1, 1)] * len(self.channels)

    @property
    def num_classes(self) -> int:
        return len(self.alphabet) + 1  # + CTC blank at index 0


class DetectorConfig(BaseModel):
    """A plate detector: a small FPN CNN with a CenterNet-style head at stride 4."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    arch: str
    input_size: int = Field(640, ge=128, le=2048)  # long side of the image the detector sees at run time
    max_upscale: float = Field(1.5, ge=1.0, le=4.0)  # small photos are enlarged at most this much
    channels: list[int] = Field(min_length=5, max_length=5)  # at strides 2, 4, 8, 16, 32
    neck_channels: int = 24
    train_crop: int = Field(320, ge=64, le=1024)  # square training windows (the network is fully convolutional)

    @property
    def stride(self) -> int:
        return 4


class CornerConfig(BaseModel):
    """A corner finder: a small CNN that regresses a plate crop's four corners (as shares of the
    crop's width and height), so the plate can be cut out upright before it is read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    arch: str
    input_width: int = Field(128, ge=32, le=512)
    input_height: int = Field(32, ge=16, le=128)
    stem_channels: int = Field(16, ge=4)  # a strided 3x3 conv: half the resolution at once
    # Conv stages (3x3 conv, batch norm, ReLU each), each stage followed by a 2x2 max-pool.
    stages: list[list[int]] = Field(min_length=1)
    hidden: int = Field(256, ge=8)  # the fully connected layer before the eight outputs

    @model_validator(mode="after")
    def _pools_fit_the_input(self) -> CornerConfig:
        factor = 2 ** (len(self.stages) + 1)  # the strided stem and one pool per stage
        if self.input_height % factor or self.input_width % factor:
            raise ValueError(
                f"input {self.input_width}x{self.input_height} must be a multiple of {factor} (stem + {len(self.stages)} pools)"
            )
        if any(not stage for stage in self.stages):
            raise ValueError("every stage needs at least one conv")
        return self


class CountryConfig(CornerConfig):
    """A country classifier: the corner finder's kind of small CNN, whose head says which
    country's plate a crop holds (the reader then fits an unsure read to that country's formats)."""

    countries: list[str] = Field(min_length=2)  # output order: bundled country codes
    dropout: float = Field(0.1, ge=0.0, lt=1.0)  # before the last layer, in training

    @model_validator(mode="after")
    def _bundled_countries(self) -> CountryConfig:
        from platereader.formats import bundled_countries

        known = bundled_countries()
        if unknown := sorted(set(self.countries) - set(known)):
            raise ValueError(f"countries {', '.join(unknown)} are not bundled (bundled: {', '.join(sorted(known))})")
        if len(set(self.countries)) != len(self.countries):
            raise ValueError("countries: each code once")
        return self


AnyConfig = ModelConfig | DetectorConfig | CornerConfig | CountryConfig
KINDS: dict[str, type[BaseModel]] = {
    "recognizer": ModelConfig,
    "detector": DetectorConfig,
    "corners": CornerConfig,
    "country": CountryConfig,
}


def load_model_config(name_or_path: str | Path) -> AnyConfig:
    """A recognizer, detector, corner-finder or country-classifier config by bundled name or YAML
    path (``kind:`` detector, corners or country marks the last three)."""
    path = Path(name_or_path)
    if not path.suffix:
        path = CONFIG_DIR / f"{name_or_path}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a model config must be a YAML mapping")
        kind = data.pop("kind", "recognizer")
        if kind not in KINDS:
            raise ValueError(f"{path}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
        return KINDS[kind].model_validate(data)
    except FileNotFoundError:
        known = ", ".join(p.stem for p in CONFIG_DIR.glob("*.yaml"))
        raise ValueError(f"{path}: no such model config (bundled: {known})") from None
    except (yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{path}: invalid model config: {exc}") from None
