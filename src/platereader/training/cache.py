"""Render generated plates once into a cache on disk, so training spends the cores on the optimiser.

A cache is a folder with ``images.npy`` (N x H x W uint8 grey, the model's input size) and
``labels.jsonl`` (one line per image: target text, country, readable).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from platereader.generation import PlateGenerator
from platereader.generation.generator import SHOTS_PER_PLATE
from platereader.runtime.preprocess import prepare_crop, to_grey


class CacheMismatch(ValueError):
    """An existing cache rendered with other settings than a run asks for."""


# Settings added after caches were first rendered: a cache whose meta.json lacks one was rendered
# with its default.
LATER_SETTINGS = {"steep_roll_share": 0.0, "cut_out_share": 0.0}


def build_cache(
    out: Path,
    count: int,
    size: tuple[int, int],
    seed: int,
    font_dirs: list[Path] | None = None,
    countries: list[str] | None = None,
    workers: int = 2,
    batch: int = 512,
    mask_rate: float = 0.0,
    shots_per_plate: int = SHOTS_PER_PLATE,
    photo_mask_share: float = 0.0,
    tight_crop_share: float = 0.0,
    steep_roll_share: float = 0.0,
    cut_out_share: float = 0.0,
) -> Path:
    """Render ``count`` crops into ``out``; a cache already there is reused if it was rendered with
    the same settings, and refused (CacheMismatch naming the differences) if not: a cache is found by
    a folder name that does not name every setting (countries, fonts)."""
    width, height = size
    settings = {
        "count": count,
        "width": width,
        "height": height,
        "seed": seed,
        "font_dirs": [str(d) for d in font_dirs or []],
        "countries": [c.upper() for c in countries] if countries else None,
        "mask_rate": mask_rate,
        "shots_per_plate": shots_per_plate,
        "photo_mask_share": photo_mask_share,
        "tight_crop_share": tight_crop_share,
        "steep_roll_share": steep_roll_share,
        "cut_out_share": cut_out_share,
    }
    if (out / "images.npy").exists():
        if mismatches := _mismatches(out, settings):
            raise CacheMismatch(f"cache {out} was rendered with other settings: {'; '.join(mismatches)}")
        return out
    out.mkdir(parents=True, exist_ok=True)
    generator = PlateGenerator(
        countries=countries,
        font_dirs=font_dirs,
        seed=seed,
        mask_rate=mask_rate,
        max_shot_width=1.25 * width,
        shots_per_plate=shots_per_plate,
        photo_mask_share=photo_mask_share,
        tight_crop_share=tight_crop_share,
        steep_roll_share=steep_roll_share,
        cut_out_share=cut_out_share,
    )
    images = np.lib.format.open_memmap(out / "images.tmp.npy", mode="w+", dtype=np.uint8, shape=(count, height, width))
    with open(out / "labels.jsonl", "w", encoding="utf-8") as labels, tqdm(total=count, desc=f"render {out.name}", unit="img") as bar:
        i = 0
        for samples in generator.stream(batch, count=count, workers=workers):
            for s in samples:
                images[i] = to_grey(prepare_crop(s.image, width, height, two_rows=len(s.rows) == 2))
                labels.write(
                    json.dumps({"target": s.target, "text": s.text, "country": s.country, "readable": s.readable, "rows": len(s.rows)})
                    + "\n"
                )
                i += 1
            bar.update(len(samples))
    images.flush()
    del images
    (out / "images.tmp.npy").rename(out / "images.npy")
    (out / "meta.json").write_text(json.dumps(settings))
    return out


def _mismatches(path: Path, wanted: dict) -> list[str]:
    """How an existing cache's recorded settings (meta.json) differ from ``wanted``."""
    meta_file = path / "meta.json"
    if not meta_file.exists():
        return ["no meta.json (an interrupted render?)"]
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    meta = {**LATER_SETTINGS, **meta}
    return [f"{key} {meta.get(key)!r} (this run: {value!r})" for key, value in wanted.items() if meta.get(key) != value]


def cache_name(
    seed: int,
    count: int,
    mask_rate: float = 0.0,
    photo_mask_share: float = 0.0,
    tight_crop_share: float = 0.0,
    steep_roll_share: float = 0.0,
    cut_out_share: float = 0.0,
    shots_per_plate: int = SHOTS_PER_PLATE,
    validation: bool = False,
) -> str:
    """The folder a training run keeps a cache with these settings in, under its ``--out``
    (settings at their defaults keep the names older caches have)."""
    photo = f"-photo{photo_mask_share:g}" if photo_mask_share and mask_rate else ""
    tight = f"-tight{tight_crop_share:g}" if tight_crop_share else ""
    roll = f"-roll{steep_roll_share:g}" if steep_roll_share else ""
    cut = f"-cut{cut_out_share:g}" if cut_out_share else ""
    shots = "" if shots_per_plate == SHOTS_PER_PLATE else f"-shots{shots_per_plate}"
    return f"cache-{'val-' if validation else ''}seed{seed}-{count}-mask{mask_rate:g}{photo}{tight}{roll}{cut}{shots}"


def load_cache(path: Path, size: tuple[int, int] | None = None, model: str = "") -> tuple[np.ndarray, list[dict]]:
    """A cache's images (memory-mapped) and labels; with ``size`` (height, width), refused unless
    its images are that size (``model`` names the model that wants it)."""
    images = np.load(path / "images.npy", mmap_mode="r")
    labels = [json.loads(line) for line in (path / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    if len(labels) != len(images):
        raise ValueError(f"{path}: {len(images)} images but {len(labels)} labels")
    if size is not None and images.shape[1:] != size:
        raise ValueError(f"cache {path} holds {images.shape[1:]} images, model {model} wants {size}")
    return images, labels


def sample_kinds(labels: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Masks over cache labels: readable plates (a target), and crops with no plate (no text).
    The rest are plates the generator judged illegible (text, but an empty target)."""
    readable = np.array([bool(row["target"]) for row in labels], bool)
    no_plate = np.array([not row.get("text") for row in labels], bool)
    return readable, no_plate
