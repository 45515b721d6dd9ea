"""Train the plate detector on a CPU: real boxed photos plus generated plates composed into them.

Loss: CenterNet's penalty-reduced focal loss on the centre heat map, L1 on offset and log size at
plate centres, L1 on corners only where they are known (generated plates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from platereader.detection.evaluate import DetectionScore, score_detections
from platereader.detection.geometry import decode, encode_targets, letterbox, nms, to_input
from platereader.models import build_model
from platereader.models.config import DetectorConfig
from platereader.models.plate_det import DetectorExport
from platereader.training.checkpoints import optimise_from, run_steps, start_run
from platereader.training.detect_data import BoxedImage, WindowSampler, load_boxed_dev, load_detect_photos, render_plate_pool


@dataclass
class DetectorTrainOptions:
    out: Path
    detect_root: Path
    config: str = "det_tiny"
    steps: int = 3000
    batch_size: int = 16
    lr: float = 3e-3
    seed: int = 0
    threads: int = 2
    eval_every: int = 500
    dev_root: Path | None = None
    font_dirs: list[Path] = field(default_factory=list)
    plate_pool: int = 3000
    synth_rate: float = 0.5
    tilt_share: float = 0.0  # share of training windows turned up to 30 degrees
    paste_roll_share: float = 0.0  # share of pasted generated plates turned up to 30 degrees
    paste_yaw_share: float = 0.0  # share of pasted generated plates seen from the side (40-70 degrees)
    zoom_share: float = 0.0  # share of windows zoomed in up to 2.7x (close-up plates)
    two_row_share: float = 0.0  # share of the generated plates drawn in a two-row layout
    resume: bool = False
    init: Path | None = None  # start from these weights (fine-tuning on your own boxed photos)
    stop_after: int | None = None
    history: list[dict] = field(default_factory=list)


def focal_loss(logits: torch.Tensor, heat: torch.Tensor) -> torch.Tensor:
    p = logits.sigmoid().clamp(1e-4, 1 - 1e-4)
    pos = heat.eq(1).float()
    pos_loss = torch.log(p) * (1 - p) ** 2 * pos
    neg_loss = torch.log(1 - p) * p**2 * (1 - heat) ** 4 * (1 - pos)
    return -(pos_loss.sum() + neg_loss.sum()) / pos.sum().clamp(min=1)


def detector_loss(out: torch.Tensor, heat: torch.Tensor, reg: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    n_pos = weight[:, 0].sum().clamp(min=1)
    l1 = (out[:, 1:] - reg).abs() * weight
    return focal_loss(out[:, 0], heat) + l1[:, :2].sum() / n_pos + l1[:, 2:4].sum() / n_pos + 0.5 * l1[:, 4:].sum() / n_pos


def make_batch(sampler: WindowSampler, size: int, rng: np.random.Generator) -> tuple[torch.Tensor, ...]:
    windows = [sampler.sample(rng) for _ in range(size)]
    crop = sampler.crop
    targets = [encode_targets(w.boxes, w.corners, w.has_corners, crop, crop) for w in windows]
    x = torch.from_numpy(to_input(np.stack([w.image for w in windows])))
    heat, reg, weight = (torch.from_numpy(np.stack(t)) for t in zip(*targets, strict=True))
    return x, heat, reg, weight


@torch.no_grad()
def predict(model: torch.nn.Module, config: DetectorConfig, image: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Boxes (x, y, w, h) and scores for one image, in its own pixels (training-time evaluation)."""
    padded, lb = letterbox(image, config.input_size, config.max_upscale)
    out = DetectorExport(model)(torch.from_numpy(to_input(padded[None])))[0].numpy()
    boxes, _, scores = decode(out, threshold)
    keep = nms(boxes, scores)
    return boxes[keep] / lb.scale, scores[keep]


def evaluate_detector(model: torch.nn.Module, config: DetectorConfig, dev: list[BoxedImage], threshold: float = 0.3) -> DetectionScore:
    model.eval()
    preds = [predict(model, config, photo.image, threshold) for photo in dev]
    model.train()
    return score_detections([p[0] for p in preds], [photo.boxes for photo in dev])


def train_detector(opts: DetectorTrainOptions) -> dict:
    config = start_run(opts.threads, opts.seed, opts.config, DetectorConfig, "detector")
    model = build_model(config)
    photos = load_detect_photos(opts.detect_root)
    if not photos:
        raise ValueError(f"{opts.detect_root}: no usable photos")
    dev = load_boxed_dev(opts.dev_root) if opts.dev_root else []
    plates = render_plate_pool(opts.plate_pool, opts.seed, opts.font_dirs, opts.two_row_share) if opts.synth_rate > 0 else []
    sampler = WindowSampler(
        photos, config.train_crop, config.input_size, config.max_upscale, plates, opts.synth_rate,
        opts.tilt_share, opts.paste_roll_share, opts.paste_yaw_share, opts.zoom_share,
    )  # fmt: skip

    opts.out.mkdir(parents=True, exist_ok=True)
    optimizer, scheduler, step, elapsed_before = optimise_from(opts, model, warmup=0.05, init=opts.init)

    def batch_loss(rng: np.random.Generator) -> torch.Tensor:
        x, heat, reg, weight = make_batch(sampler, opts.batch_size, rng)
        return detector_loss(model(x), heat, reg, weight)

    def validation() -> dict:
        return evaluate_detector(model, config, dev).as_dict() if dev else {}

    return run_steps(
        opts, model, optimizer, scheduler, config, kind="detector", step=step, elapsed_before=elapsed_before,
        batch_loss=batch_loss, validate=validation,
    )  # fmt: skip
