"""The Python API: ``Reader`` loads the shipped model once and reads plates."""

from __future__ import annotations

from pathlib import Path

from platereader.runtime.images import load_image
from platereader.runtime.recognizer import PlateRead, Recognizer


class Reader:
    """Reads number plates. ``read`` takes a path, a numpy array (RGB) or a PIL image.

    Until the plate detector ships, every image is treated as a plate crop (a box cut out by the
    caller's own detector, ideally with a little margin).
    """

    def __init__(self, model: str | Path | None = None, int8: bool = False, grammar: bool = True, threads: int | None = None):
        self.recognizer = Recognizer(model, int8=int8, threads=threads, grammar=grammar)

    def read_crop(self, image) -> PlateRead:
        return self.recognizer.read_crops([load_image(image)])[0]

    def read_crops(self, images: list) -> list[PlateRead]:
        return self.recognizer.read_crops([load_image(i) for i in images])

    def read(self, image) -> list[PlateRead]:
        """All readable plates in ``image`` (an empty list when there is none)."""
        read = self.read_crop(image)
        return [read] if read.readable else []
