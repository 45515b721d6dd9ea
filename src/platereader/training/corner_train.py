"""Train the corner finder on a CPU: generated crops (whose plate corners the generator knows),
rendered once into a cache, flipped and inverted at random while training.

Loss: smooth L1 on the corners as shares of the crop (scaled by 10, so a tenth of the crop is 1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from platereader.generation import PlateGenerator
from platereader.models import build_model
from platereader.models.config import CornerConfig
from platereader.runtime.corners import corner_input
from platereader.runtime.preprocess import normalize
from platereader.training.checkpoints import optimise_from, run_steps, start_run

FLIPPED_ORDER = [1, 0, 3, 2]  # TL, TR, BR, BL of a mirrored crop


@dataclass
class CornerTrainOptions:
    out: Path
    config: str = "corners_tiny"
    count: int = 80000  # generated crops rendered into the cache
    steps: int = 2400
    batch_size: int = 128
    lr: float = 2e-3
    seed: int = 0  # the optimiser's batches and augmentation
    render_seed: int = 100  # the generator's (the benchmark's generated plates use seed 12345)
    threads: int = 2
    workers: int = 2
    font_dirs: list[Path] = field(default_factory=list)
    steep_roll_share: float = 0.0  # share of plates turned up to 30 degrees
    loose_crop_share: float = 0.0  # share of crops with a quarter to a half of the plate as margin per side
    cache: Path | None = None  # default: OUT/corners-cache-seedS-N.npz
    eval_every: int = 400
    resume: bool = False
    stop_after: int | None = None
    history: list[dict] = field(default_factory=list)


def render_corner_cache(opts: CornerTrainOptions, config: CornerConfig) -> tuple[np.ndarray, np.ndarray]:
    """The cache's crops (N x H x W grey, ``corner_input``) and corners (N x 8 shares), rendered
    first if the cache file is missing; a cache of other settings is an error, not reused."""
    path = opts.cache or opts.out / f"corners-cache-seed{opts.render_seed}-{opts.count}.npz"
    settings = {
        "count": opts.count, "seed": opts.render_seed, "size": [config.input_width, config.input_height],
        "steep_roll_share": opts.steep_roll_share, "loose_crop_share": opts.loose_crop_share,
        "font_dirs": sorted(str(d) for d in opts.font_dirs),
    }  # fmt: skip
    if path.exists():
        cached = np.load(path)
        if json.loads(str(cached["settings"])) != settings:
            raise ValueError(f"{path}: a corner cache rendered with other settings ({cached['settings']}); pick another --cache")
        return cached["images"], cached["corners"]
    generator = PlateGenerator(
        font_dirs=opts.font_dirs, seed=opts.render_seed, negative_rate=0.0,
        steep_roll_share=opts.steep_roll_share, loose_crop_share=opts.loose_crop_share,
    )  # fmt: skip
    images = np.zeros((opts.count, config.input_height, config.input_width), np.uint8)
    corners = np.zeros((opts.count, 8), np.float32)
    done = 0
    stream = generator.stream(256, count=opts.count, workers=opts.workers)
    for batch in tqdm(stream, total=-(-opts.count // 256), desc="render corners", unit="batch"):
        for sample in batch:
            h, w = sample.image.shape[:2]
            images[done] = corner_input(sample.image, config.input_width, config.input_height)
            corners[done] = (sample.corners / [w, h]).reshape(-1)
            done += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, images=images, corners=corners, settings=json.dumps(settings))
    return images, corners


def held_out_count(count: int) -> int:
    """How many of the cache's first crops are validated on and never trained on."""
    return min(2000, count // 10)


def augmented_batch(images: np.ndarray, corners: np.ndarray, rows: np.ndarray, size: int, rng: np.random.Generator):
    """A batch of cached crops, half mirrored (corners swapped to match) and a fifth inverted
    (light characters on dark plates)."""
    pick = rng.choice(rows, size)
    x, y = images[pick].copy(), corners[pick].copy().reshape(-1, 4, 2)
    flip = rng.random(size) < 0.5
    x[flip] = x[flip, :, ::-1]
    y[flip, :, 0] = 1 - y[flip, :, 0]
    y[flip] = y[flip][:, FLIPPED_ORDER]
    invert = rng.random(size) < 0.2
    x[invert] = 255 - x[invert]
    return torch.from_numpy(normalize(x)[:, None]), torch.from_numpy(y.reshape(-1, 8))


def corner_loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.smooth_l1_loss(predicted * 10, target * 10)


@torch.no_grad()
def validate(model: torch.nn.Module, images: np.ndarray, corners: np.ndarray) -> dict:
    """Mean and 90th-percentile corner error on held-out crops, in shares of the crop's size."""
    model.eval()
    predicted = np.concatenate(
        [model(torch.from_numpy(normalize(images[i : i + 256])[:, None])).numpy() for i in range(0, len(images), 256)]
    )
    model.train()
    worst = np.abs(predicted - corners).max(1)
    return {
        "corner_error": round(float(np.abs(predicted - corners).mean()), 4),
        "worst_corner_p90": round(float(np.percentile(worst, 90)), 4),
    }


def train_corners(opts: CornerTrainOptions) -> dict:
    config = start_run(opts.threads, opts.seed, opts.config, CornerConfig, "corner-finder")
    if opts.count < 20:
        raise ValueError(f"--count {opts.count}: at least 20 crops are needed (a tenth is held out)")
    opts.out.mkdir(parents=True, exist_ok=True)
    images, corners = render_corner_cache(opts, config)
    held_out = held_out_count(len(images))
    rows = np.arange(held_out, len(images))
    model = build_model(config)
    optimizer, scheduler, step, elapsed_before = optimise_from(opts, model, warmup=0.1)

    def batch_loss(rng: np.random.Generator) -> torch.Tensor:
        x, y = augmented_batch(images, corners, rows, opts.batch_size, rng)
        return corner_loss(model(x), y)

    return run_steps(
        opts, model, optimizer, scheduler, config, kind="corners", step=step, elapsed_before=elapsed_before,
        batch_loss=batch_loss, validate=lambda: validate(model, images[:held_out], corners[:held_out]), loss_digits=4,
    )  # fmt: skip


def calibration_crops(config: CornerConfig, count: int = 512, seed: int = 1) -> np.ndarray:
    """Generated crops at the corner finder's input size, for int8 calibration."""
    generator = PlateGenerator(seed=seed, negative_rate=0.0)
    return np.stack([corner_input(s.image, config.input_width, config.input_height) for s in generator.samples(0, count)])
