"""Recognizer, detector and corner-finder architectures (torch) and their configs. ``build_model`` makes one by name."""

from platereader.models.config import AnyConfig, CornerConfig, CountryConfig, DetectorConfig, ModelConfig, load_model_config

__all__ = ["CornerConfig", "CountryConfig", "DetectorConfig", "ModelConfig", "build_model", "load_model_config", "registered"]

_REGISTRY: dict[str, type] = {}


def register(name: str):
    def wrap(cls: type) -> type:
        _REGISTRY[name] = cls
        return cls

    return wrap


def registered() -> list[str]:
    _import_architectures()
    return sorted(_REGISTRY)


def build_model(config: AnyConfig):
    _import_architectures()
    if config.arch not in _REGISTRY:
        raise ValueError(f"model config {config.name!r}: unknown arch {config.arch!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[config.arch](config)


def _import_architectures() -> None:
    from platereader.models import (
        corner_cnn,  # noqa: F401  (registers itself; needs torch)
        country_cnn,  # noqa: F401
        ctc_cnn,  # noqa: F401
        plate_det,  # noqa: F401
    )
