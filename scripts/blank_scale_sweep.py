"""Choose the CTC blank scale of an exported recognizer on generated validation plates only.

    .venv/bin/python scripts/blank_scale_sweep.py runs/RUN/model.onnx runs/RUN/cache-val-seed1-2000-mask0.1

Decodes the cached validation crops (greedy path, no grammar, one layout: the cache folds
two-row plates by their known rows) at several blank scales and prints, per scale: exact match
on all crops, on readable plates, the share of illegible plates and of plate-free crops answered
empty, and how many reads of readable plates are too short. The real dev sets are never looked at
here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from platereader.runtime.decode import decode_batch
from platereader.runtime.preprocess import normalize
from platereader.runtime.recognizer import Recognizer
from platereader.training.cache import load_cache, sample_kinds

SCALES = (1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path, help="exported recognizer ONNX")
    parser.add_argument("val_cache", type=Path, help="validation cache folder (images.npy, labels.jsonl)")
    args = parser.parse_args()
    recognizer = Recognizer(args.model, threads=2, grammar=False)
    images, labels = load_cache(args.val_cache)
    probs = np.concatenate(
        [recognizer.session.run(None, {"image": normalize(images[i : i + 256])[:, None]})[0] for i in range(0, len(images), 256)]
    )
    targets = [row["target"] for row in labels]
    readable, no_plate = sample_kinds(labels)
    illegible = ~readable & ~no_plate
    print(f"{len(targets)} validation crops: {readable.sum()} readable, {illegible.sum()} illegible, {no_plate.sum()} without a plate")
    print("| blank scale | all val exact | readable plates exact | illegible answered empty | no plate answered empty | reads too short |")
    print("|---|---|---|---|---|---|")
    for scale in SCALES:
        reads = [d.text for d in decode_batch(probs, recognizer.alphabet, scale)]
        exact = np.array([r == t for r, t in zip(reads, targets, strict=True)])
        short = sum(len(r) < len(t) for r, t, ok in zip(reads, targets, readable, strict=True) if ok)
        print(
            f"| {scale} | {exact.mean():.1%} | {exact[readable].mean():.1%} | {exact[illegible].mean():.1%} "
            f"| {exact[no_plate].mean():.1%} | {short} |"
        )


if __name__ == "__main__":
    main()
