"""A blind eye test of the generator's legibility judge (generation/scene.py).

    .venv/bin/python scripts/legibility_sheets.py make DIR [--by weakest_cnr] [--edges 1.0,1.25,1.5,2.0] [--seed 4242] [--per-bin 16]
    (look at DIR/sheet*.png and write DIR/reads.txt: one transcription per plate in sheet order,
     separated by spaces or new lines, "?" for a plate you cannot read)
    .venv/bin/python scripts/legibility_sheets.py misses DIR [--seed 4242] [--count 4000]
    .venv/bin/python scripts/legibility_sheets.py score DIR

`make` draws generated plates the judge would call readable if its limit on the measure binned
(--by: the weakest character's contrast-to-noise, the mean one, or blur over character height)
were the outermost edge, one shot per registration (a second shot of the same text would give it
away), and bins them by that measure. The plates are shuffled across bins and shown enlarged,
numbered, with no text or bin, so the reader cannot know which bin a plate is in.
The bins and true texts go to DIR/key.json; `score` prints how many plates of each bin were read.
`misses` asks how many of the shipped reader's misses a person reads: it reads --count readable
plates as `Reader` reads crops, and shows every registration it missed (bin "missed", one shot
each) shuffled among as many it read (bin "read").
Session 26 set MIN_CHAR_CNR and MAX_BLUR_RATIO from this test (model card, "Session 26").
"""

from __future__ import annotations

import argparse
import json
import random
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np

from platereader.generation import PlateGenerator, Sample, scene

TILE_W, TILE_H, COLUMNS, PER_SHEET = 480, 100, 2, 12
# Each measure that can be binned: the judge's limit on it, and whether that limit is a floor.
JUDGE_LIMITS = {"weakest_cnr": ("MIN_CHAR_CNR", True), "cnr": ("MIN_CNR", True), "blur_ratio": ("MAX_BLUR_RATIO", False)}
MAX_DRAWS = 200_000  # bins that stay short after this many plates are out of the generator's range


def tile(image: np.ndarray, number: int) -> np.ndarray:
    """The crop enlarged to TILE_H rows (as a person would zoom in), its number in the corner."""
    h, w = image.shape[:2]
    width = min(int(w * TILE_H / h), TILE_W - 40)
    out = cv2.resize(image, (width, TILE_H), interpolation=cv2.INTER_CUBIC)
    out = cv2.copyMakeBorder(out, 0, 4, 0, TILE_W - width, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    cv2.putText(out, str(number), (TILE_W - 36, TILE_H - 10), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 0, 0), 2)
    return out


def draw_binned(seed: int, measure: str, edges: list[float], per_bin: int) -> list[tuple[int, Sample]]:
    """(bin, sample) pairs, ``per_bin`` in each bin, distinct registrations."""
    limit, is_floor = JUDGE_LIMITS[measure]
    setattr(scene, limit, edges[0] if is_floor else edges[-1])  # the judge's other limits stay
    generator = PlateGenerator(seed=seed, negative_rate=0.0)
    binned: list[list] = [[] for _ in edges[:-1]]
    seen: set[str] = set()
    i = 0
    while min(len(b) for b in binned) < per_bin:
        if i == MAX_DRAWS:
            counts = ", ".join(f"{low:g}-{high:g}: {len(b)}" for (low, high), b in zip(pairwise(edges), binned, strict=True))
            raise SystemExit(f"{measure}: {MAX_DRAWS} plates drawn and some bins are still short ({counts}); widen --edges")
        sample = generator.sample(i)
        i += 1
        if not sample.readable or sample.text in seen:
            continue
        k = int(np.searchsorted(edges, sample.meta[measure], side="right")) - 1
        if 0 <= k < len(binned) and len(binned[k]) < per_bin:
            binned[k].append(sample)
            seen.add(sample.text)
    return [(k, s) for k, samples in enumerate(binned) for s in samples]


def draw_reader_misses(seed: int, count: int) -> tuple[list[tuple[int, Sample]], dict[str, str]]:
    """(bin, sample) pairs: every registration the shipped reader misses among ``count`` readable
    plates (bin 0, its first missed shot) and as many others it reads (bin 1); and its reads."""
    from platereader import Reader  # the runtime, only for this action

    samples = PlateGenerator(seed=seed, negative_rate=0.0).readable_samples(count)
    reads = Reader().read_crops([s.image for s in samples])
    missed: dict[str, Sample] = {}
    read_texts: dict[str, str] = {}  # the reader's read of each missed registration's shown shot
    for sample, read in zip(samples, reads, strict=True):
        if read.text != sample.text and sample.text not in missed:
            missed[sample.text], read_texts[sample.text] = sample, read.text
    if not missed:
        raise SystemExit(f"the reader read all {count} plates of seed {seed}: nothing to show")
    hits = [s for s in samples if s.text not in missed]
    chosen: dict[str, Sample] = {}
    for sample in random.Random(seed).sample(hits, len(hits)):
        if len(chosen) == len(missed):
            break
        chosen.setdefault(sample.text, sample)
    return [(0, s) for s in missed.values()] + [(1, s) for s in chosen.values()], read_texts


def make(out: Path, seed: int, measure: str, edges: list[float], per_bin: int) -> None:
    items = draw_binned(seed, measure, edges, per_bin)
    bins = [f"{low:g}-{high:g}" for low, high in pairwise(edges)]
    write_sheets(out, seed, items, lambda k, s: {"measure": measure, "bin": bins[k], "value": s.meta[measure]})


def make_misses(out: Path, seed: int, count: int) -> None:
    items, read_texts = draw_reader_misses(seed, count)
    bins = ("missed", "read")
    write_sheets(out, seed, items, lambda k, s: {"measure": "reader", "bin": bins[k], "value": read_texts.get(s.text, s.text)})


def write_sheets(out: Path, seed: int, items: list[tuple[int, Sample]], describe) -> None:
    """Shuffle the plates, write DIR/key.json (each plate's number, bin and text, plus ``describe(bin, sample)``) and the sheets."""
    random.Random(seed).shuffle(items)
    out.mkdir(parents=True, exist_ok=True)
    key = [{"n": n, "text": s.text, "country": s.country, **describe(k, s)} for n, (k, s) in enumerate(items)]
    (out / "key.json").write_text(json.dumps(key, indent=1))
    for first in range(0, len(items), PER_SHEET):
        tiles = [tile(s.image, n) for n, (_, s) in enumerate(items[first : first + PER_SHEET], start=first)]
        tiles += [np.full_like(tiles[0], 255)] * (-len(tiles) % COLUMNS)
        rows = [np.hstack(tiles[j : j + COLUMNS]) for j in range(0, len(tiles), COLUMNS)]
        cv2.imwrite(str(out / f"sheet{first // PER_SHEET}.png"), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))
    print(f"{len(items)} plates on {-(-len(items) // PER_SHEET)} sheets in {out}; write {out / 'reads.txt'}, then run score")


def score(out: Path) -> None:
    key = json.loads((out / "key.json").read_text())
    reads = (out / "reads.txt").read_text().split()
    if len(reads) != len(key):
        raise SystemExit(f"{out / 'reads.txt'}: {len(reads)} transcriptions for {len(key)} plates")
    per_bin: dict[str, list[bool]] = {}
    for row, read in zip(key, reads, strict=True):
        per_bin.setdefault(row["bin"], []).append(read == row["text"])
        if read != row["text"]:
            print(f"  plate {row['n']} ({row['measure']} {row['value']}): {row['text']} read as {read}")
    for name in sorted(per_bin, key=_bin_order):
        right = per_bin[name]
        print(f"{key[0]['measure']} {name}: {sum(right)}/{len(right)} read ({sum(right) / len(right):.0%})")


def _bin_order(name: str) -> tuple:
    """Measure bins by their lower edge; named bins (the reader's "missed", "read") after, by name."""
    try:
        return (0, float(name.split("-")[0]))
    except ValueError:
        return (1, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("make", "misses", "score"))
    parser.add_argument("dir", type=Path)
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--per-bin", type=int, default=16)
    parser.add_argument("--by", choices=sorted(JUDGE_LIMITS), default="weakest_cnr", help="the measure to bin by")
    parser.add_argument("--edges", default="1.0,1.25,1.5,2.0", help="bin edges of that measure")
    parser.add_argument("--count", type=int, default=4000, help="misses: readable plates to read")
    args = parser.parse_args()
    if args.action == "make":
        make(args.dir, args.seed, args.by, sorted(float(e) for e in args.edges.split(",")), args.per_bin)
    elif args.action == "misses":
        make_misses(args.dir, args.seed, args.count)
    else:
        score(args.dir)


if __name__ == "__main__":
    main()
