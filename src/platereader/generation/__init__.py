"""Synthetic plate generation: country formats -> flat plate -> camera shot."""

from platereader.generation.generator import PlateGenerator, Sample

__all__ = ["PlateGenerator", "Sample"]
