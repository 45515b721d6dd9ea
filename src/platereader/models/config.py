"""Model settings as validated data (YAML files in ``models/configs``); no torch needed to read them."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
    head_channels: int = 96

    @property
    def num_classes(self) -> int:
        return len(self.alphabet) + 1  # + CTC blank at index 0


def load_model_config(name_or_path: str | Path) -> ModelConfig:
    path = Path(name_or_path)
    if not path.suffix:
        path = CONFIG_DIR / f"{name_or_path}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return ModelConfig.model_validate(data)
    except FileNotFoundError:
        known = ", ".join(p.stem for p in CONFIG_DIR.glob("*.yaml"))
        raise ValueError(f"{path}: no such model config (bundled: {known})") from None
    except (yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{path}: invalid model config: {exc}") from None
