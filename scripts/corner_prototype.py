"""Experiment (session 26): find a crop's plate corners with a small CNN, cut the plate out
upright by them and read it, beside the read of the crop as given. Session 27 made it part of the
reader (models/corner_cnn.py, `platereader train-corners`, runtime/corners.py; CORNERS_CARD.md);
this script stays as the record of the experiment. It now builds the product's network and
trains with its augmentation and loss (the same layers and steps), so weights it saved before
session 27 (other layer names) no longer load.

    .venv/bin/python scripts/corner_prototype.py render runs/corners/train.npz --count 80000 --seed 100
    .venv/bin/python scripts/corner_prototype.py train runs/corners/train.npz runs/corners/model.pt --steps 2400
    .venv/bin/python scripts/corner_prototype.py eval runs/corners/model.pt --synthetic 1000 --seed 12345 [--dev ../shared/data/dev]

Why: the shipped reader reads 96.9% of the benchmark's generated plates as given, but 98.7% of
the same plates cut out by their true corners (the generator knows them); the detector's corners
inside a crop are off by a median 8% of the plate's width, too far to help. `render` writes
generated crops (PlateGenerator defaults, no plate-free crops) as 64 x 128 grey with their four
corners as shares of the crop's width and height; `train` fits a 491k-parameter CNN to them
(smooth L1, AdamW, one-cycle, batch 128, flipped and inverted copies); `eval` reads each crop as
the benchmark does (the shipped reader, second look) as given, cut out by the predicted corners
(`detection.rectify.rectify`), and the more confident of the two; then as `Reader` reads crops
(unsure ones searched for their plate by the detector), alone and beside the cut-out. Results:
model card, "Session 26".
Needs torch (`pip install -e .[train]`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

from platereader.detection import Detector
from platereader.detection.rectify import rectify
from platereader.evaluation import LabelledCrop, score
from platereader.generation import PlateGenerator
from platereader.models import build_model, load_model_config
from platereader.pipeline import read_crops
from platereader.runtime.images import load_image
from platereader.runtime.preprocess import normalize, resize_crop
from platereader.runtime.recognizer import PlateRead, Recognizer
from platereader.training.checkpoints import optimiser_and_schedule
from platereader.training.corner_train import augmented_batch, corner_loss, held_out_count

WIDTH, HEIGHT = 128, 64  # as rendered; `train --height 32` halves it for a network at the recognizer's input size


def corner_net(height: int = HEIGHT) -> torch.nn.Module:
    """The corner finder's network (``corners_tiny``, the product version of this experiment's
    CNN, the same layers) at ``height`` x 128 input (64 or 32)."""
    return build_model(load_model_config("corners_tiny").model_copy(update={"input_height": height}))


def grey(crop: np.ndarray, height: int) -> np.ndarray:
    return resize_crop(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY), WIDTH, height)


def as_tensor(images: np.ndarray) -> torch.Tensor:
    """N x H x W uint8 -> N x 1 x H x W in [-1, 1], as the recognizer's input."""
    return torch.from_numpy(normalize(images)[:, None])


def render(out: Path, count: int, seed: int, steep_roll_share: float = 0.0) -> None:
    generator = PlateGenerator(seed=seed, negative_rate=0.0, steep_roll_share=steep_roll_share)
    images, corners = np.zeros((count, HEIGHT, WIDTH), np.uint8), np.zeros((count, 8), np.float32)
    done = 0
    for batch in tqdm(generator.stream(256, count=count, workers=2), total=-(-count // 256), desc="render"):
        for s in batch:
            h, w = s.image.shape[:2]
            images[done] = grey(s.image, HEIGHT)
            corners[done] = (s.corners / [w, h]).reshape(-1)
            done += 1
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, images=images, corners=corners)


def train(data: Path, out: Path, steps: int, seed: int, height: int = HEIGHT, batch: int = 128) -> None:
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    arrays = np.load(data)
    images, corners = arrays["images"], arrays["corners"]
    if height != HEIGHT:
        images = np.stack([cv2.resize(image, (WIDTH, height), interpolation=cv2.INTER_AREA) for image in images])
    held = held_out_count(len(images))  # the first crops, never trained on
    held_out, rows = np.arange(held), np.arange(held, len(images))
    model = corner_net(height)
    optimizer, schedule = optimiser_and_schedule(model, 2e-3, steps, warmup=0.1)
    rng = np.random.default_rng(seed)
    start = time.time()
    for _ in (bar := tqdm(range(steps), desc="train")):
        x, y = augmented_batch(images, corners, rows, batch, rng)  # the product's augmentation and loss
        model.train()
        loss = corner_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        bar.set_postfix(loss=f"{loss.item():.4f}")
    model.eval()
    with torch.no_grad():
        predicted = model(as_tensor(images[held_out])).numpy()
    error = np.abs(predicted - corners[held_out]).mean()
    print(f"{steps} steps in {(time.time() - start) / 60:.1f} min; held-out mean corner error {error:.4f} of the crop's size")
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"height": height, "state": model.state_dict()}, out)


def predicted_quads(model: torch.nn.Module, crops: list[np.ndarray]) -> list[np.ndarray]:
    with torch.no_grad():
        shares = model(as_tensor(np.stack([grey(c, model.config.input_height) for c in crops]))).numpy().reshape(-1, 4, 2)
    return [q * [c.shape[1], c.shape[0]] for q, c in zip(shares, crops, strict=True)]


def more_confident(reads: list[PlateRead], others: list[PlateRead]) -> list[PlateRead]:
    return [o if o.confidence > r.confidence else r for r, o in zip(reads, others, strict=True)]


def compare(
    name: str, model: torch.nn.Module, recognizer: Recognizer, detector: Detector, crops: list[np.ndarray], items: list[LabelledCrop]
) -> None:
    recognizer.privacy_masks = any(i.masked for i in items)
    given = read_crops(crops, recognizer)
    cut = read_crops([rectify(c, q) for c, q in zip(crops, predicted_quads(model, crops), strict=True)], recognizer)
    located = read_crops(crops, recognizer, detector)  # as Reader reads crops: unsure ones searched for their plate

    def shown(reads: list[PlateRead]) -> str:
        report = score(items, [r.text for r in reads])
        return f"{report.visible_char_accuracy:.2%} chars" if report.visible_char_accuracy is not None else f"{report.exact:.1%}"

    columns = [given, cut, more_confident(given, cut), located, more_confident(located, cut)]
    print(f"| {name} (n={len(items)}) | " + " | ".join(shown(reads) for reads in columns) + " |", flush=True)


def evaluate(weights: Path, synthetic: int, seed: int, dev: Path | None) -> None:
    saved = torch.load(weights)
    model = corner_net(saved["height"])
    model.load_state_dict(saved["state"])
    model.eval()
    samples = PlateGenerator(seed=seed, negative_rate=0.0).readable_samples(synthetic)
    quads = predicted_quads(model, [s.image for s in samples])
    errors = [np.abs(q - s.corners).max() / np.linalg.norm(s.corners[1] - s.corners[0]) for q, s in zip(quads, samples, strict=True)]
    median, p90 = np.median(errors), np.percentile(errors, 90)
    print(f"generated plates (seed {seed}): worst corner off by a median {median:.1%} of the plate's width (90th percentile {p90:.1%})")
    recognizer, detector = Recognizer(threads=2), Detector(threads=2)
    print("| crops | as given | cut out by the corners | the more confident | as Reader reads crops | that or the cut-out |")
    print("|---|---|---|---|---|---|")
    items = [LabelledCrop(Path(f"synthetic/{k}"), s.text) for k, s in enumerate(samples)]
    compare(f"generated, seed {seed}", model, recognizer, detector, [s.image for s in samples], items)
    if dev is not None:
        from platereader.training.devsets import dev_subsets

        for name, subset in dev_subsets(dev).items():
            if name != "openalpr_br":
                compare(name, model, recognizer, detector, [load_image(i.image) for i in subset], subset)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("render")
    p.add_argument("out", type=Path)
    p.add_argument("--count", type=int, default=80000)
    p.add_argument("--seed", type=int, default=100)
    p.add_argument("--steep-roll-share", type=float, default=0.0, help="share of plates turned up to 30 degrees (generator option)")
    p = commands.add_parser("train")
    p.add_argument("data", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--steps", type=int, default=2400)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--height", type=int, choices=(64, 32), default=64, help="network input height (width 128)")
    p = commands.add_parser("eval")
    p.add_argument("weights", type=Path)
    p.add_argument("--synthetic", type=int, default=1000)
    p.add_argument("--seed", type=int, default=12345)
    p.add_argument("--dev", type=Path, default=None, help="also the real dev subsets (../shared/data/dev)")
    args = parser.parse_args()
    if args.command == "render":
        render(args.out, args.count, args.seed, args.steep_roll_share)
    elif args.command == "train":
        train(args.data, args.out, args.steps, args.seed, args.height)
    else:
        evaluate(args.weights, args.synthetic, args.seed, args.dev)


if __name__ == "__main__":
    sys.exit(main())
