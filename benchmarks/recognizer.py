"""Recognizer benchmark: accuracy per dev subset, latency, throughput and size, fp32 and int8.

    .venv/bin/python benchmarks/recognizer.py [--dev ../shared/data/dev] [--synthetic 2000] [--countries ES]
    .venv/bin/python benchmarks/recognizer.py --synthetic 1000 --uc3m-train --model M.onnx --int8-model M.int8.onnx

Accuracy: exact plate match (uc3m: visible characters right, its test split, read with privacy
masks on since its plates have characters greyed out; the other sets as camera images). Latency: batch 1,
one onnxruntime thread, median of many runs. Throughput: batches of 64, two threads. Crops are
read as given (the recognizer alone, with its second look at unsure crops unless
``--no-second-look``); with ``--located`` as ``Reader`` reads them by default: each crop also cut
out by the corners the corner finder finds (fp32 beside the fp32 recognizer, int8 beside int8),
an unsure one searched for its plate by the detector, and (without ``--countries``) a read that
spells none of the formats of the country the country classifier is sure of fitted to them
(``--no-country-fit``: not) (latency and throughput stay the
recognizer's own: one read of one confident crop; the corner finder's and the mean read as
``Reader`` reads crops get rows of their own). ``--uc3m-train`` reads uc3m's train split
instead of the reported subsets: the set a new recognizer's shipping rule is judged on. With
``--countries`` the shipped model for those countries reads (a regional one where one covers them,
``weights/recognizers.yaml``) unless ``--model`` names one. Without ``--countries`` and ``--model``
the shipped regional models with routes read beside the general one, as in ``Reader()``
(``--no-regional``: the general model alone); the network row times the general network alone,
the read row both, and throughput the general network without grammar.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from platereader.detection import Detector
from platereader.evaluation import score
from platereader.generation import PlateGenerator
from platereader.pipeline import read_crops
from platereader.runtime.corners import DEFAULT_CORNERS, CornerFinder
from platereader.runtime.country import DEFAULT_COUNTRY, CountryClassifier
from platereader.runtime.images import load_image
from platereader.runtime.recognizer import Recognizer
from platereader.runtime.shipped import shipped_recognizer
from platereader.training.devsets import dev_subsets

SUBSETS = ("roboflow_es_gb", "roboflow_all", "fer_hr_test", "uc3m_test", "openalpr_br")


def synthetic_set(count: int, seed: int = 12345) -> tuple[list[np.ndarray], list[str]]:
    """Readable generated plates from a seed never used in training."""
    samples = PlateGenerator(seed=seed, negative_rate=0.0).readable_samples(count)
    return [s.image for s in samples], [s.text for s in samples]


def accuracy(
    recognizer: Recognizer,
    crops: list[np.ndarray],
    items,
    detector: Detector | None = None,
    second_look: bool = True,
    corner_finder: CornerFinder | None = None,
    country_classifier: CountryClassifier | None = None,
) -> str:
    # Sets whose plates have characters greyed out (uc3m) are read as such; the others as camera images.
    recognizer.privacy_masks = any(i.masked for i in items)
    reads = read_crops(
        crops, recognizer, detector, second_look=second_look, corner_finder=corner_finder, country_classifier=country_classifier
    )
    report = score(items, [r.text for r in reads])
    if report.visible_char_accuracy is not None:
        return f"{report.visible_char_accuracy:.1%} chars"
    return f"{report.exact:.1%}"


RecognizerFactory = Callable[..., Recognizer]  # threads=..., grammar=... -> Recognizer


def median_ms(call: Callable[[], object], runs: int) -> float:
    """Median wall time of ``call`` in ms over ``runs`` calls, after one call to warm up."""
    call()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return float(np.median(times) * 1000)


def latency_ms(make: RecognizerFactory, crop: np.ndarray, runs: int = 300) -> float:
    """One read of one crop, no second look, with the regional models that read beside the general one."""
    rec = make(threads=1)
    return median_ms(lambda: read_crops([crop], rec, second_look=False), runs)


def mean_read_ms(
    make: RecognizerFactory,
    crops: list[np.ndarray],
    second_look: bool,
    detector: Detector | None = None,
    corners: Path | None = None,
    country: Path | None = None,
) -> float:
    """Mean time to read each crop on its own (batch 1, one thread), second looks included; with a
    ``detector``, ``corners`` (the corner finder's file) and ``country`` (the country classifier's)
    as ``Reader`` reads crops."""
    rec = make(threads=1)
    how = {
        "second_look": second_look,
        "corner_finder": CornerFinder(corners, threads=1) if corners else None,
        "country_classifier": CountryClassifier(country, threads=1) if country else None,
    }
    # Warm with one pass over all of them: what a reader builds on first use (each country's
    # grammar, held to by the country fit) is not a per-read cost.
    read_crops(crops, rec, detector, **how)
    t = time.perf_counter()
    for crop in crops:
        read_crops([crop], rec, detector, **how)
    return (time.perf_counter() - t) / len(crops) * 1000


def corner_finder_ms(path: Path, crop: np.ndarray, runs: int = 300) -> float:
    """The corner finder's network on one crop (batch 1, one thread)."""
    finder = CornerFinder(path, threads=1)
    return median_ms(lambda: finder.find([crop]), runs)


def country_classifier_ms(path: Path, crop: np.ndarray, runs: int = 300) -> float:
    """The country classifier's network on one crop (batch 1, one thread)."""
    classifier = CountryClassifier(path, threads=1)
    return median_ms(lambda: classifier.scores([crop]), runs)


def network_latency_ms(make: RecognizerFactory, crop: np.ndarray, runs: int = 300) -> float:
    """The general network alone (no regional model beside it)."""
    from platereader.runtime.preprocess import crops_to_tensor

    rec = make(threads=1, regional=False)
    tensor, _ = crops_to_tensor([crop], rec.width, rec.height)
    return median_ms(lambda: rec.session.run(None, {"image": tensor}), runs)


def throughput(make: RecognizerFactory, crops: list[np.ndarray]) -> float:
    rec = make(threads=2, grammar=False)
    rec.read_crops(crops[:64])
    t = time.perf_counter()
    rec.read_crops(crops, batch_size=64)
    return len(crops) / (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dev", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "dev")
    parser.add_argument("--synthetic", type=int, default=2000)
    parser.add_argument("--model", type=Path, default=None, help="recognizer ONNX (default: the shipped one for --countries)")
    parser.add_argument("--int8-model", type=Path, default=None, help="int8 recognizer ONNX (default: the shipped one for --countries)")
    parser.add_argument("--countries", default="", help="fit reads to these countries' formats only (e.g. ES)")
    parser.add_argument(
        "--located",
        action="store_true",
        help="read crops as Reader does by default: each also cut out by its corners, one not read confidently searched for its plate",
    )
    parser.add_argument("--corners", type=Path, default=DEFAULT_CORNERS, help="corner finder ONNX for --located (int8: its .int8.onnx)")
    parser.add_argument("--no-corners", action="store_true", help="with --located: no corner cut-out (the detector's search alone)")
    parser.add_argument(
        "--no-country-fit", action="store_true", help="with --located: reads not fitted to the country the country classifier sees"
    )
    parser.add_argument("--uc3m-train", action="store_true", help="read uc3m's train split instead of the reported subsets")
    parser.add_argument("--no-second-look", action="store_true", help="read each crop once (no re-framed reads of unsure crops)")
    parser.add_argument("--no-regional", action="store_true", help="no regional model beside the general one (Recognizer(regional=False))")
    args = parser.parse_args()
    subsets = ("uc3m_train",) if args.uc3m_train else SUBSETS
    countries = [c for c in args.countries.split(",") if c] or None

    syn_crops, syn_texts = synthetic_set(args.synthetic)
    from platereader.evaluation import LabelledCrop

    syn_items = [LabelledCrop(Path(f"synthetic/{i}"), t) for i, t in enumerate(syn_texts)]
    sets: dict[str, tuple[list[np.ndarray], list]] = {"synthetic (held-out seed)": (syn_crops, syn_items)}
    if (args.dev / "crops_manifest.jsonl").is_file():
        for name, items in dev_subsets(args.dev).items():
            if name in subsets:
                sets[name] = ([load_image(i.image) for i in items], items)
    else:
        print(f"(dev set {args.dev} absent: synthetic accuracy only)")

    models = {"fp32": args.model or shipped_recognizer(False, countries), "int8": args.int8_model or shipped_recognizer(True, countries)}
    models = {k: v for k, v in models.items() if v.is_file()}
    # The shipped files are opened as shipped (model_path None), so that an unrestricted reader
    # gets the regional models that read beside the general one (weights/recognizers.yaml).
    given = {"fp32": args.model, "int8": args.int8_model}
    rows = {}
    detector = Detector(threads=2) if args.located else None
    cutting = args.located and not args.no_corners
    # As Reader: an unrestricted reader with the grammar fits crops' reads to their plate's country.
    fitting = args.located and not args.no_country_fit and not countries
    corner_files = {"fp32": args.corners, "int8": args.corners.with_suffix(".int8.onnx")}
    for kind, path in models.items():
        make = partial(Recognizer, given[kind], int8=kind == "int8", countries=countries, regional=not args.no_regional)
        rec = make(threads=2)
        print(f"{kind}: {rec.described}{rec.routes_described}")
        finder = CornerFinder(corner_files[kind], threads=2) if cutting else None
        classifier = CountryClassifier(threads=2) if fitting else None
        rows[kind] = {
            name: accuracy(rec, crops, items, detector, not args.no_second_look, finder, classifier)
            for name, (crops, items) in sets.items()
        }
        crop = syn_crops[0]
        rows[kind]["network ms (batch 1, 1 thread; the general network)"] = f"{network_latency_ms(make, crop):.3f}"
        rows[kind]["read ms incl. pre/post and regional models, no second look (batch 1, 1 thread)"] = f"{latency_ms(make, crop):.3f}"
        label = "mean read ms over 300 generated crops, second looks incl. (batch 1, 1 thread)"
        rows[kind][label] = f"{mean_read_ms(make, syn_crops[:300], not args.no_second_look):.3f}"
        if args.located:
            extra = ("corner cut-out and search" if cutting else "search, no corner cut-out") + (", country fit" if fitting else "")
            label = f"mean read ms as Reader reads crops: + {extra} (batch 1, 1 thread)"
            corners = corner_files[kind] if cutting else None
            country = DEFAULT_COUNTRY if fitting else None
            ms = mean_read_ms(make, syn_crops[:300], not args.no_second_look, Detector(threads=1), corners, country)
            rows[kind][label] = f"{ms:.3f}"
        if cutting:
            rows[kind]["corner finder ms (batch 1, 1 thread)"] = f"{corner_finder_ms(corner_files[kind], crop):.3f}"
            rows[kind]["corner finder size MB"] = f"{corner_files[kind].stat().st_size / 1e6:.2f}"
        if fitting:
            rows[kind]["country classifier ms (batch 1, 1 thread; int8 for both)"] = f"{country_classifier_ms(DEFAULT_COUNTRY, crop):.3f}"
            rows[kind]["country classifier size MB"] = f"{DEFAULT_COUNTRY.stat().st_size / 1e6:.2f}"
        rows[kind]["plates/s (batch 64, 2 threads; general network, no grammar)"] = f"{throughput(make, syn_crops):.0f}"
        rows[kind]["size MB"] = f"{path.stat().st_size / 1e6:.2f}"
    counts = {name: len(items) for name, (_, items) in sets.items()}
    keys = list(next(iter(rows.values())))
    print("| metric | " + " | ".join(models) + " |")
    print("|---|" + "---|" * len(models))
    for key in keys:
        label = f"{key} (n={counts[key]})" if key in counts else key
        print(f"| {label} | " + " | ".join(rows[k][key] for k in models) + " |")


if __name__ == "__main__":
    main()
