"""End-to-end reads on generated street scenes: a selection set for full-image changes with known text.

    .venv/bin/python scripts/scene_check.py [--scenes 300] [--seed 777] [--turn 25] [--model M.onnx] [--no-second-look]

The dev photos are reported, so a change to the full-image path is chosen here (and on the detect
photos, ``scripts/filter_calibration.py``) instead. Each scene is a procedural street
(``generation.compose``) with one to three generated plates of random countries on its cars, scaled
to 35-100% (plates about 20-200 px wide), optionally turned by ``--turn`` degrees, and saved as JPEG
(quality 50-90). A plate counts when a kept read lies on it (IoU 0.5 with its upright box; 0.3 when
turned, as that box is loose) and reads exactly; a kept read on no plate is a false plate.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from platereader import Reader
from platereader.detection.geometry import match, turned, upright_box_around
from platereader.generation import PlateGenerator
from platereader.generation.compose import compose_scene, quad_bounds, street_background


@dataclass
class Scene:
    image: np.ndarray
    texts: list[str]
    boxes: list[np.ndarray]  # x, y, w, h of each plate, in the scene's pixels


def make_scene(index: int, seed: int, turn: float, generator: PlateGenerator | None = None) -> Scene:
    """Scene ``index``; pass one ``generator`` for all scenes, so its fonts are loaded once."""
    rng = np.random.default_rng([seed, index])
    count = int(rng.integers(1, 4))
    generator = generator or PlateGenerator()
    plates = []
    for k in range(count):
        generator.seed = seed * 1000 + index * 3 + k  # each plate under its own seed
        plates.append(generator.flat_plate(0))
    background, mounts = street_background(1280, 720, rng, cars=count)
    image, placed = compose_scene(background, [(spec.text, flat) for spec, flat in plates], rng, mounts)
    scale = float(rng.uniform(0.35, 1.0))
    image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    corners = [p.corners * scale for p in placed]
    boxes = [quad_bounds(c) for c in corners]
    if turn:
        image, matrix = turned(image, turn)
        boxes = [upright_box_around(b, matrix) for b in boxes]
    _, jpeg = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(50, 91))])
    return Scene(cv2.cvtColor(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB), [p.text for p in placed], boxes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=300)
    parser.add_argument("--seed", type=int, default=777)
    parser.add_argument("--turn", type=float, default=0.0, help="turn every scene by this many degrees")
    parser.add_argument(
        "--model", type=Path, default=None, help="recognizer ONNX (default: the shipped ones, regional models beside the general one)"
    )
    parser.add_argument("--no-second-look", action="store_true", help="read each detection once")
    parser.add_argument(
        "--no-country-fit", action="store_true", help="reads not fitted to their plate's country (Reader(fit_to_country=False))"
    )
    args = parser.parse_args()
    reader = Reader(args.model, second_look=not args.no_second_look, fit_to_country=not args.no_country_fit)
    iou = 0.3 if args.turn else 0.5
    generator = PlateGenerator()
    plates = right = false = 0
    for index in tqdm(range(args.scenes), desc="scenes", unit="scene"):
        scene = make_scene(index, args.seed, args.turn, generator)
        kept = reader.read(scene.image)
        pairs = match(np.array([r.box for r in kept]).reshape(-1, 4), np.array(scene.boxes).reshape(-1, 4), iou)
        right += sum(kept[i].text == scene.texts[j] for i, j in pairs)
        false += len(kept) - len(pairs)
        plates += len(scene.texts)
    models = f"{reader.recognizer.described}{reader.recognizer.routes_described}"
    fit = "off" if args.no_country_fit else "on"
    print(f"{models} turn {args.turn:g}, second look {'off' if args.no_second_look else 'on'}, country fit {fit}: "
          f"{plates} plates in {args.scenes} scenes, end to end exact {right / plates:.1%} ({right}), false plates {false}")  # fmt: skip


if __name__ == "__main__":
    main()
