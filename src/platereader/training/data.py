"""Training batches: the rendered cache, user-labelled crops for fine-tuning, cheap augmentation."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from platereader.alphabet import ALPHABET, MASK, normalize_label
from platereader.runtime.images import ImageError, load_image
from platereader.runtime.preprocess import prepare_crop, to_grey

# Without a "rows" label a crop this narrow (width / height) is taken as a two-row plate.
TWO_ROW_GUESS_ASPECT = 1.7


def _rows(value, where: str) -> int | None:
    if value in (None, ""):
        return None
    if str(value) not in ("1", "2"):
        raise ValueError(f"{where}: rows must be 1 or 2, not {value!r}")
    return int(value)


def load_labelled_folder(folder: Path, width: int, height: int, alphabet: str = ALPHABET) -> tuple[np.ndarray, list[str]]:
    """A folder of crops with ``labels.jsonl`` ({"image": ..., "text": ..., "rows": 1 or 2}) or
    ``labels.csv`` (columns image,text and optionally rows). Returns model-size grey images and
    normalised labels; bad rows raise. Without ``rows``, crops narrower than 1.7:1 count as two-row.
    A label may use MASK ("?") for a hidden character when the model's alphabet has it."""
    folder = Path(folder)
    rows: list[tuple[str, str, int | None]] = []
    if (folder / "labels.jsonl").is_file():
        for n, line in enumerate((folder / "labels.jsonl").read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                where = f"{folder / 'labels.jsonl'}:{n}"
                try:
                    row = json.loads(line)
                    rows.append((row["image"], row["text"], _rows(row.get("rows"), where)))
                except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                    raise ValueError(f"{where}: bad line ({exc})") from None
    elif (folder / "labels.csv").is_file():
        with open(folder / "labels.csv", newline="", encoding="utf-8") as f:
            for n, row in enumerate(csv.DictReader(f), 2):
                if "image" not in row or "text" not in row:
                    raise ValueError(f"{folder / 'labels.csv'}:{n}: needs columns image,text")
                rows.append((row["image"], row["text"], _rows(row.get("rows"), f"{folder / 'labels.csv'}:{n}")))
    else:
        raise FileNotFoundError(f"{folder}: no labels.jsonl or labels.csv")
    if not rows:
        raise ValueError(f"{folder}: no labelled crops")
    images = np.empty((len(rows), height, width), np.uint8)
    labels = []
    for i, (name, text, n_rows) in enumerate(tqdm(rows, desc=f"load {folder.name}", unit="img", leave=False)):
        try:
            image = load_image(folder / name)
        except ImageError as exc:
            raise ValueError(f"{folder}: {exc}") from None
        if n_rows is None:
            n_rows = 2 if image.shape[1] < TWO_ROW_GUESS_ASPECT * image.shape[0] else 1
        images[i] = to_grey(prepare_crop(image, width, height, two_rows=n_rows == 2))
        try:
            labels.append(normalize_label(text, keep=MASK if MASK in alphabet else ""))
        except ValueError as exc:
            raise ValueError(f"{folder}: {name}: {exc}") from None
    return images, labels


def augment(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Cheap per-sample photometric jitter on uint8 N x H x W (geometry was randomised at render)."""
    x = batch.astype(np.float32)
    n = len(x)
    mean = x.mean(axis=(1, 2), keepdims=True)
    contrast = rng.uniform(0.7, 1.3, (n, 1, 1)).astype(np.float32)
    shift = rng.uniform(-25, 25, (n, 1, 1)).astype(np.float32)
    x = (x - mean) * contrast + mean + shift
    noisy = rng.random(n) < 0.3
    if noisy.any():
        x[noisy] += rng.normal(0, rng.uniform(2, 8), x[noisy].shape).astype(np.float32)
    return np.clip(x, 0, 255)


def encode_targets(texts: list[str], alphabet: str) -> tuple[np.ndarray, np.ndarray]:
    index = {c: i + 1 for i, c in enumerate(alphabet)}
    flat = [index[c] for t in texts for c in t]
    return np.array(flat, np.int64), np.array([len(t) for t in texts], np.int64)
