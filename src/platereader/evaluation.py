"""Scoring plate reads: exact match, character error rate, per-country, confusions, worst misses.

O/0 and I/1 are scored strictly. Plates with masked characters (``text_masked`` with ``?``)
are scored on the visible characters only, position by position where the length matches.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from platereader.detection.evaluate import DetectionScore


@dataclass
class LabelledCrop:
    image: Path
    text: str | None  # full registration, or None when only a masked text exists
    masked: str | None = None  # e.g. "074?C?V": ? hides a character
    country: str | None = None
    subset: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def reference(self) -> str:
        return self.text if self.text is not None else (self.masked or "")


def load_manifest(path: Path) -> list[LabelledCrop]:
    """JSON lines with ``image`` (relative to the manifest) and ``text`` or ``text_masked``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: manifest not found")
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            image = path.parent / row["image"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: bad manifest line ({exc})") from None
        text, masked = row.get("text"), row.get("text_masked")
        if text is None and masked is None:
            raise ValueError(f"{path}:{n}: neither text nor text_masked")
        country = row.get("country") or row.get("country_guess")
        items.append(LabelledCrop(image, text, masked, country, row.get("subset"), row))
    return items


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _masked_hits(pred: str, masked: str) -> tuple[int, int]:
    visible = [i for i, c in enumerate(masked) if c != "?"]
    if len(pred) != len(masked):
        return 0, len(visible)
    return sum(pred[i] == masked[i] for i in visible), len(visible)


@dataclass
class Report:
    n: int
    exact: float  # share of plates read exactly (masked: all visible characters right)
    cer: float  # character error rate (edit distance / reference length), full-text plates
    visible_char_accuracy: float | None  # masked plates only
    per_country: dict[str, tuple[int, float]]
    confusions: list[tuple[str, str, int]]  # (truth, read, count), same-length reads only
    misses: list[tuple[str, str, str]]  # (image, truth, read)

    def table(self) -> str:
        lines = [f"plates: {self.n}", f"exact match: {self.exact:.1%}"]
        if self.cer == self.cer:  # not NaN
            lines.append(f"character error rate: {self.cer:.2%}")
        if self.visible_char_accuracy is not None:
            lines.append(f"visible characters right (masked plates): {self.visible_char_accuracy:.1%}")
        if self.per_country:
            lines.append("per country: " + ", ".join(f"{c} {acc:.0%} ({n})" for c, (n, acc) in sorted(self.per_country.items())))
        if self.confusions:
            lines.append("confusions (truth->read): " + ", ".join(f"{t}->{r} x{k}" for t, r, k in self.confusions[:12]))
        return "\n".join(lines)


def score(items: list[LabelledCrop], reads: list[str]) -> Report:
    if len(items) != len(reads):
        raise ValueError(f"{len(items)} plates but {len(reads)} reads")
    exact = 0
    edits = ref_len = 0
    vis_hit = vis_total = 0
    by_country: dict[str, list[int]] = defaultdict(list)
    confusions: Counter[tuple[str, str]] = Counter()
    misses = []
    for item, read in zip(items, reads, strict=False):
        if item.text is not None:
            ok = read == item.text
            edits += edit_distance(read, item.text)
            ref_len += len(item.text)
            if len(read) == len(item.text):
                confusions.update((t, r) for t, r in zip(item.text, read, strict=False) if t != r)
        else:
            hit, total = _masked_hits(read, item.masked or "")
            vis_hit, vis_total = vis_hit + hit, vis_total + total
            ok = hit == total
            if len(read) == len(item.masked or ""):
                confusions.update((t, r) for t, r in zip(item.masked or "", read, strict=False) if t != "?" and t != r)
        exact += ok
        by_country[item.country or "?"].append(ok)
        if not ok:
            misses.append((str(item.image), item.reference, read))
    n = len(items)
    return Report(
        n=n, exact=exact / n if n else 0.0, cer=edits / ref_len if ref_len else float("nan"),
        visible_char_accuracy=vis_hit / vis_total if vis_total else None,
        per_country={c: (len(v), sum(v) / len(v)) for c, v in by_country.items()},
        confusions=[(t, r, k) for (t, r), k in confusions.most_common()], misses=misses,
    )  # fmt: skip


@dataclass
class FullImageReport:
    """``eval --full``: detection at IoU 0.5 and end-to-end reads (found and read exactly)."""

    reads: Report  # one entry per true plate: the text read at its box ("" when not found)
    detection: DetectionScore | None  # the raw detector output (photos with boxes)
    filtered: DetectionScore | None  # after the reader dropped unreadable or implausible reads
    images: int
    failed_images: int = 0

    def table(self) -> str:
        lines = [f"images: {self.images}" + (f" ({self.failed_images} could not be read)" if self.failed_images else "")]
        for name, det in (("detector", self.detection), ("after reader filtering", self.filtered)):
            if det is not None:
                lines.append(
                    f"{name}: recall {det.recall:.1%} ({det.found}/{det.plates}), precision {det.precision:.1%}, "
                    f"false plates per image {det.false / max(det.images, 1):.3f}"
                )
        lines.append("end to end (plate found and read exactly):")
        lines.append(self.reads.table())
        return "\n".join(lines)


def end_to_end_reads(truth: list[LabelledCrop], found: list, iou: float = 0.5) -> list[str]:
    """For each true plate of one image, the text read where it is (PlateReads ``found``, best first).

    A true plate with a ``bbox`` takes the read matched to it at IoU >= ``iou``; one without a box
    (text-only manifests) takes a read with its exact text if there is one, else the best read.
    """
    from platereader.detection.geometry import match

    boxed = [i for i, t in enumerate(truth) if t.extra.get("bbox")]
    out = [""] * len(truth)
    if boxed:
        pairs = match([p.box for p in found], [truth[i].extra["bbox"] for i in boxed], iou)
        for p, j in pairs:
            out[boxed[j]] = found[p].text
    texts = [p.text for p in found]
    for i, item in enumerate(truth):
        if i not in boxed and texts:
            out[i] = item.reference if item.reference in texts else texts[0]
    return out


def evaluate_full_images(reader, items: list[LabelledCrop], progress: bool = False) -> tuple[FullImageReport, list[str]]:
    """Run ``reader`` (a ``platereader.Reader``) over the photos in ``items`` (one item per true
    plate; several may share a photo) and score detection and end-to-end reads.

    Returns the report and the errors of photos that could not be read (their plates count as misses).
    """
    from tqdm import tqdm

    from platereader.detection.evaluate import score_detections
    from platereader.pipeline import read_detections
    from platereader.runtime.images import ImageError, load_image

    by_image: dict[Path, list[LabelledCrop]] = {}
    for item in items:
        by_image.setdefault(item.image, []).append(item)
    ordered: list[LabelledCrop] = []
    reads: list[str] = []
    errors: list[str] = []
    raw_boxes, kept_boxes, true_boxes = [], [], []
    for image_path, truth in tqdm(by_image.items(), desc="eval", unit="img", disable=not progress):
        ordered.extend(truth)
        try:
            image = load_image(image_path)
        except ImageError as exc:
            errors.append(str(exc))
            reads.extend([""] * len(truth))
            continue
        detections = reader.detector.detect(image)
        found = read_detections(
            image,
            detections,
            reader.recognizer,
            reader.detector,
            reader.second_look,
            reader.corner_finder,
            reader.plate_filter.min_detection_confidence,
        )
        kept = reader.plate_filter.select(found)
        reads.extend(end_to_end_reads(truth, kept))
        if all(t.extra.get("bbox") for t in truth):
            raw_boxes.append([d.box for d in detections])  # the detector's own (a read may report the plate found around it)
            kept_boxes.append([p.box for p in kept])
            true_boxes.append([t.extra["bbox"] for t in truth])
    detection = score_detections(raw_boxes, true_boxes) if true_boxes else None
    filtered = score_detections(kept_boxes, true_boxes) if true_boxes else None
    return FullImageReport(score(ordered, reads), detection, filtered, len(by_image), len(errors)), errors
