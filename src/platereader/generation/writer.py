"""Write generated plates to disk: images plus labels.jsonl, with a progress bar."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
from tqdm import tqdm

from platereader.generation.generator import PlateGenerator, Sample


def write_dataset(
    generator: PlateGenerator,
    out: Path,
    count: int,
    workers: int = 0,
    batch: int = 256,
    preview: Path | None = None,
    preview_count: int = 48,
) -> list[Sample]:
    """Render ``count`` samples into ``out``; returns the first ``preview_count`` for a sheet."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "images").mkdir(exist_ok=True)
    kept: list[Sample] = []
    digits = max(6, len(str(count)))
    with open(out / "labels.jsonl", "w", encoding="utf-8") as labels, tqdm(total=count, desc="synth", unit="img") as bar:
        i = 0
        for samples in generator.stream(batch, count=count, workers=workers):
            for s in samples:
                name = f"images/{i:0{digits}d}.png"
                if not cv2.imwrite(str(out / name), cv2.cvtColor(s.image, cv2.COLOR_RGB2BGR)):
                    raise OSError(f"cannot write {out / name}")
                labels.write(json.dumps({"image": name, **s.label()}, ensure_ascii=False) + "\n")
                if len(kept) < preview_count:
                    kept.append(s)
                i += 1
            bar.update(len(samples))
    if preview:
        from platereader.generation.preview import contact_sheet, save_rgb

        captions = [f"{s.country} {s.text}" + ("" if s.readable else " (unreadable)") for s in kept]
        save_rgb(preview, contact_sheet([s.image for s in kept], captions, flags=[not s.readable for s in kept]))
    return kept
