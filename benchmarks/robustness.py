"""Robustness benchmark: how reads hold up under what a detector hands over, on real boxed plates.

    .venv/bin/python benchmarks/robustness.py [--dev ../shared/data/dev] [--model PATH] [--turns=-20,20] [--photos-only] [--no-country-fit]

Takes the dev photos with a true plate box (roboflow_us_eu_test6 and fer_hr_test) and cuts each
plate out the way a detector's box would be read (``--boxes``: the box plus a 10% margin), after
one change at a time to the box or the photo:
- loose boxes: the box grown on every side by a share of its width and height (bumper, frame);
- shifted boxes: the box moved sideways or up and down by a share of its size;
- tilt: the photo turned about the plate's centre, and the plate cut by the upright box around
  the turned one (what an axis-aligned detector reports);
- plate width: the photo scaled so that the plate is that many pixels wide (roboflow's plates are
  80-160 px wide, so 200 and 300 px are upscaled).
Prints exact-match accuracy per condition for the European plates (roboflow ES+GB and fer) and for
all of them (roboflow holds US vanity plates the formats do not know), read as given (no
cut-out or search, ``--no-locate``) and as ``Reader`` reads crops and boxes by default (each also
cut out by its corners, and a crop not read confidently also searched for its plate with the
detector, ``detection/locate.py``); in both, reads are fitted to their plate's country unless
``--no-country-fit``.

Then the same photos whole, turned about their centre, through the full pipeline (``Reader.read``):
a plate counts when a kept read lies on its turned box (IoU 0.3: the upright box around a turned
plate is loose) and reads exactly; reads on no plate are counted as false. ``--turns`` adds columns
for ``Reader(turns=...)``, which also looks for plates in copies of each photo turned back.

``--uc3m-train`` checks the rule for which crops are searched instead, on a quarter of uc3m's train
split (a split no table reports; visible characters, privacy masks on; each crop in a border of its
own edge pixels): read as given, searched when unsure (the default), and always searched.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from platereader import Reader
from platereader.detection import Detector
from platereader.detection.geometry import match, turned, upright_box_around
from platereader.detection.rectify import crop_box
from platereader.evaluation import LabelledCrop, load_manifest, score
from platereader.pipeline import CONFIDENT_CROP_READ, parse_turns, read_crops
from platereader.runtime.images import load_image
from platereader.runtime.recognizer import Recognizer

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
Box = tuple[float, float, float, float]
Cut = Callable[[np.ndarray, Box], np.ndarray]


def grown(share: float) -> Cut:
    def cut(image: np.ndarray, box: Box) -> np.ndarray:
        x, y, w, h = box
        return crop_box(image, (x - share * w, y - share * h, w * (1 + 2 * share), h * (1 + 2 * share)))

    return cut


def shifted(dx: float, dy: float) -> Cut:
    def cut(image: np.ndarray, box: Box) -> np.ndarray:
        x, y, w, h = box
        return crop_box(image, (x + dx * w, y + dy * h, w, h))

    return cut


def tilted(degrees: float) -> Cut:
    def cut(image: np.ndarray, box: Box) -> np.ndarray:
        x, y, w, h = box
        turned_image, matrix = turned(image, degrees, (x + w / 2, y + h / 2))
        return crop_box(turned_image, upright_box_around(box, matrix))

    return cut


def plate_width(pixels: int) -> Cut:
    def cut(image: np.ndarray, box: Box) -> np.ndarray:
        scale = pixels / box[2]
        size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
        scaled = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        return crop_box(scaled, tuple(v * scale for v in box))

    return cut


CONDITIONS: dict[str, Cut] = {
    "box as given": grown(0.0),
    "loose box, +25% each side": grown(0.25),
    "loose box, +50% each side": grown(0.5),
    "shifted 10% left": shifted(-0.1, 0),
    "shifted 10% right": shifted(0.1, 0),
    "shifted 20% up": shifted(0, -0.2),
    "shifted 20% down": shifted(0, 0.2),
    **{f"tilted {d:+d} deg": tilted(d) for d in (-30, -20, -10, 10, 20, 30)},
    **{f"plate {w} px wide": plate_width(w) for w in (20, 30, 40, 60, 100, 200, 300)},
}


def boxed_plates(dev: Path) -> list[LabelledCrop]:
    subsets = ("roboflow_us_eu_test6", "fer_hr_test")
    items = load_manifest(dev / "manifest.jsonl")
    return [i for i in items if i.subset in subsets and "/images/" in str(i.image) and i.extra.get("bbox")]


def european(item: LabelledCrop) -> bool:
    return item.subset == "fer_hr_test" or item.country in ("ES", "GB")


def turned_photos(items: list[LabelledCrop], photos: dict, readers: dict[str, Reader], eu: np.ndarray) -> None:
    """One column group per reader (e.g. without and with ``turns``): reads right, false plates."""
    by_photo: dict[Path, list[int]] = {}
    for k, item in enumerate(items):
        by_photo.setdefault(item.image, []).append(k)
    head = [f"{name}: European (n={eu.sum()}) | all (n={len(items)}) | false plates (in {len(by_photo)} photos)" for name in readers]
    print("| photo turned | " + " | ".join(head) + " |")
    print("|---|" + "---|---|---|" * len(readers))
    for degrees in (0, -10, 10, -20, 20, -30, 30):
        cells = []
        for reader in readers.values():
            right, false = np.zeros(len(items), bool), 0
            for path, plates in by_photo.items():
                turned_image, matrix = turned(photos[path], degrees)
                boxes = [upright_box_around(items[k].extra["bbox"], matrix) for k in plates]
                reads = reader.read(turned_image)
                pairs = match([r.box for r in reads], boxes, 0.3)
                for a, b in pairs:
                    right[plates[b]] = reads[a].text == items[plates[b]].text
                false += len(reads) - len(pairs)
            cells.append(f"{right[eu].mean():.1%} | {right.mean():.1%} | {false}")
        print(f"| {degrees:+d} deg | " + " | ".join(cells) + " |")


def uc3m_train_check(dev: Path, model: Path | None) -> None:
    items = [i for i in load_manifest(dev / "crops_manifest.jsonl") if i.subset == "uc3m_lp" and i.extra.get("split") == "train"][::4]
    photos, boxes = [], []
    for item in items:
        crop = load_image(item.image)
        h, w = crop.shape[:2]
        photos.append(cv2.copyMakeBorder(crop, h // 2, h // 2, w // 2, w // 2, cv2.BORDER_REPLICATE))
        boxes.append((w // 2 + w / 12, h // 2 + h / 12, w / 1.2, h / 1.2))  # the crop less its 10% margin
    recognizer, detector = Recognizer(model, threads=2, privacy_masks=True), Detector(threads=2)
    searches = {  # (detector, the read confidence that skips the search)
        "as given": (None, CONFIDENT_CROP_READ),
        "searched when unsure": (detector, CONFIDENT_CROP_READ),
        "always searched": (detector, float("inf")),
    }
    print(f"| condition (uc3m train, n={len(items)}, visible characters) | " + " | ".join(searches) + " |")
    print("|---|" + "---|" * len(searches))
    for name in ("box as given", "loose box, +25% each side", *(f"tilted {d:+d} deg" for d in (-30, -20, 20, 30))):
        crops = [CONDITIONS[name](p, b) for p, b in zip(photos, boxes, strict=True)]
        reads = [read_crops(crops, recognizer, d, confident=c) for d, c in searches.values()]
        accuracy = [score(items, [r.text for r in one]).visible_char_accuracy for one in reads]
        print(f"| {name} | " + " | ".join(f"{a:.1%}" for a in accuracy) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dev", type=Path, default=SHARED / "dev")
    parser.add_argument(
        "--model", type=Path, default=None, help="recognizer ONNX (default: the shipped ones, regional models beside the general one)"
    )
    parser.add_argument("--uc3m-train", action="store_true", help="check which crops to search, on uc3m's train split")
    parser.add_argument("--turns", default="", help="whole photos also read with Reader(turns=...), e.g. -20,20")
    parser.add_argument("--photos-only", action="store_true", help="only the whole turned photos")
    parser.add_argument("--no-country-fit", action="store_true", help="crops and boxes: reads not fitted to their plate's country")
    args = parser.parse_args()
    if not (args.dev / "manifest.jsonl").is_file():
        raise SystemExit(f"{args.dev}: no dev manifest (the real dev photos are not available here)")
    if args.uc3m_train:
        uc3m_train_check(args.dev, args.model)
        return
    items = boxed_plates(args.dev)
    photos = {i.image: load_image(i.image) for i in items}
    eu = np.array([european(i) for i in items])
    fit = not args.no_country_fit
    readers = [Reader(args.model, threads=2, locate_in_crops=locate, fit_to_country=fit) for locate in (False, True)]
    if not args.photos_only:
        print(f"| condition | European (n={eu.sum()}): as given | located | all (n={len(items)}): as given | located |")
        print("|---|---|---|---|---|")
        for name, cut in CONDITIONS.items():
            crops = [cut(photos[i.image], tuple(float(v) for v in i.extra["bbox"])) for i in items]
            right = [np.array([r.text == i.text for r, i in zip(reader.read_crops(crops), items, strict=True)]) for reader in readers]
            print(f"| {name} | {right[0][eu].mean():.1%} | {right[1][eu].mean():.1%} | {right[0].mean():.1%} | {right[1].mean():.1%} |")
        print()
    whole = {"Reader()": readers[1]}
    if args.turns:
        turns = parse_turns(args.turns)
        whole[f"turns {args.turns}"] = Reader(args.model, threads=2, turns=turns)
    turned_photos(items, photos, whole, eu)


if __name__ == "__main__":
    main()
