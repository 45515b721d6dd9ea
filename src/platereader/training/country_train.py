"""Train the country classifier on a CPU, from the recognizer's render cache: each cached plate
crop is labelled with the country the generator drew it for.

The crops are the shipped recognizer's (the same generator settings), so the classifier sees
plates as the reader hands them over: loose and tight boxes, damage, privacy masks, two-row plates
unfolded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from platereader.generation import PlateGenerator
from platereader.models import build_model
from platereader.models.config import CountryConfig
from platereader.runtime.country import CONFIDENT_COUNTRY
from platereader.runtime.preprocess import normalize, prepare_crop, to_grey
from platereader.training.cache import build_cache, cache_name, load_cache
from platereader.training.checkpoints import optimise_from, run_steps, start_run

# The shipped recognizer's generator settings (model card): the classifier's cache is the same kind.
CACHE_SETTINGS = {"mask_rate": 0.2, "photo_mask_share": 0.5, "tight_crop_share": 0.25}


@dataclass
class CountryTrainOptions:
    out: Path
    config: str = "country_tiny"
    steps: int = 4000
    batch_size: int = 128
    lr: float = 2e-3
    seed: int = 0  # the rendered plates' (validation: seed + 1) and the optimiser's batches
    train_count: int = 240000  # generated crops rendered into OUT's cache
    font_dirs: list[Path] = field(default_factory=list)
    workers: int = 2  # rendering processes
    threads: int = 2
    eval_every: int = 500
    resume: bool = False
    stop_after: int | None = None
    history: list[dict] = field(default_factory=list)


def rendered_caches(opts: CountryTrainOptions, config: CountryConfig) -> tuple[Path, Path]:
    """The training and validation caches in ``opts.out``, rendered unless there already (under the
    names ``platereader train`` gives caches of these settings, so a recognizer run's is shared)."""
    size = (config.input_width, config.input_height)
    caches = []
    for count, seed, validation in ((opts.train_count, opts.seed, False), (2000, opts.seed + 1, True)):
        path = opts.out / cache_name(seed, count, **CACHE_SETTINGS, validation=validation)
        caches.append(build_cache(path, count, size, seed, opts.font_dirs, None, workers=opts.workers, **CACHE_SETTINGS))
    return caches[0], caches[1]


def labelled_plates(cache: Path, config: CountryConfig) -> tuple[np.ndarray, np.ndarray]:
    """The cache's crops that hold a plate of one of the config's countries (readable or not),
    in memory, and each one's index into ``config.countries``."""
    images, labels = load_cache(cache, (config.input_height, config.input_width), config.name)
    index = {code: i for i, code in enumerate(config.countries)}
    keep = np.array([bool(row.get("text")) and row.get("country") in index for row in labels], bool)
    if not keep.any():
        raise ValueError(f"cache {cache} holds no plate of {config.name}'s countries")
    classes = np.array([index[row["country"]] for row, k in zip(labels, keep, strict=True) if k], np.int64)
    return np.ascontiguousarray(images[keep]), classes


@torch.no_grad()
def validate(model: torch.nn.Module, images: np.ndarray, classes: np.ndarray) -> dict:
    """Accuracy on held-out crops, and how many the reader would act on (top score at least
    CONFIDENT_COUNTRY) and how many of those are right."""
    model.eval()
    scores = np.concatenate(
        [model(torch.from_numpy(normalize(images[i : i + 256])[:, None])).softmax(1).numpy() for i in range(0, len(images), 256)]
    )
    model.train()
    top, sure = scores.argmax(1), scores.max(1) >= CONFIDENT_COUNTRY
    return {
        "country_accuracy": round(float(np.mean(top == classes)), 4),
        "confident_share": round(float(sure.mean()), 4),
        "confident_accuracy": round(float(np.mean(top[sure] == classes[sure])), 4) if sure.any() else None,
    }


def train_country(opts: CountryTrainOptions) -> dict:
    config = start_run(opts.threads, opts.seed, opts.config, CountryConfig, "country-classifier")
    opts.out.mkdir(parents=True, exist_ok=True)
    cache, val_cache = rendered_caches(opts, config)
    images, classes = labelled_plates(cache, config)
    val_images, val_classes = labelled_plates(val_cache, config)
    model = build_model(config)
    optimizer, scheduler, step, elapsed_before = optimise_from(opts, model, warmup=0.1)

    def batch_loss(rng: np.random.Generator) -> torch.Tensor:
        pick = rng.integers(0, len(images), opts.batch_size)
        logits = model(torch.from_numpy(normalize(images[pick])[:, None]))
        return torch.nn.functional.cross_entropy(logits, torch.from_numpy(classes[pick]))

    return run_steps(
        opts, model, optimizer, scheduler, config, kind="country", step=step, elapsed_before=elapsed_before,
        batch_loss=batch_loss, validate=lambda: validate(model, val_images, val_classes),
    )  # fmt: skip


def calibration_crops(config: CountryConfig, count: int = 512, seed: int = 1) -> np.ndarray:
    """Generated plate crops as the classifier sees them, for int8 calibration."""
    generator = PlateGenerator(seed=seed, negative_rate=0.0)
    return np.stack(
        [to_grey(prepare_crop(s.image, config.input_width, config.input_height, len(s.rows) == 2)) for s in generator.samples(0, count)]
    )
