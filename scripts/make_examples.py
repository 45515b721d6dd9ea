"""Regenerate the bundled examples (made by our own generator, seeds 2026+):

- ``examples/crops/``: one legible plate crop per country, ``labels.jsonl`` with the texts;
- ``examples/scenes/``: 1280x720 street scenes with 0-3 plates placed in perspective,
  ``labels.jsonl`` with one line per plate (text, bbox, corners), for ``read`` and ``eval --full``.

.venv/bin/python scripts/make_examples.py
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from platereader.generation import PlateGenerator
from platereader.generation.compose import compose_scene, street_background

COUNTRIES = ["DE", "FR", "ES", "GB", "NL", "IT", "PL", "HR", "UA", "AT", "BE", "CH"]
SCENES = [["DE"], ["FR", "ES"], ["GB", "NL", "IT"], ["PL"], [], ["HR", "AT"]]  # [] = a street with no plate
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def write_rgb(path: Path, image: np.ndarray) -> None:
    params = [cv2.IMWRITE_JPEG_QUALITY, 90] if path.suffix == ".jpg" else []
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR), params)


def make_crops(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, code in enumerate(COUNTRIES):
        generator = PlateGenerator(countries=[code], seed=2026 + i, negative_rate=0.0)
        index = 0
        while True:  # the first clearly legible plate of each country
            sample = generator.sample(index)
            index += 1
            if sample.readable and sample.plate_width_px >= 100 and sample.meta["cnr"] >= 6:
                break
        name = f"{code.lower()}.png"
        write_rgb(out / name, sample.image)
        rows.append({"image": name, "text": sample.text, "country": code})
    (out / "labels.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return len(rows)


def make_scenes(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, countries in enumerate(SCENES):
        rng = np.random.default_rng([2026, i])
        plates = []
        for j, code in enumerate(countries):
            spec, flat = PlateGenerator(countries=[code], seed=3000 + 10 * i + j).flat_plate(0)
            plates.append((spec.text, flat))
        background, mounts = street_background(1280, 720, rng, cars=max(1, len(plates)))
        image, placed = compose_scene(background, plates, rng, mounts)
        name = f"street_{i + 1}.jpg"
        write_rgb(out / name, image)
        country_of = {text: code for (text, _), code in zip(plates, countries, strict=True)}
        for plate in placed:
            code = country_of[plate.text]
            bbox = [round(float(v), 1) for v in plate.box]
            corners = [[round(float(x), 1), round(float(y), 1)] for x, y in plate.corners]
            rows.append({"image": name, "text": plate.text, "country": code, "bbox": bbox, "corners": corners})
    (out / "labels.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return len(SCENES)


def main() -> None:
    crops = make_crops(EXAMPLES / "crops")
    scenes = make_scenes(EXAMPLES / "scenes")
    print(f"wrote {crops} example crops and {scenes} street scenes under {EXAMPLES}")


if __name__ == "__main__":
    main()
