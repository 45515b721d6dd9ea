"""Scoring plate reads: exact match, character error rate, per-country, confusions, worst misses.

O/0 and I/1 are scored strictly. Plates with masked characters (``text_masked`` with ``?``)
are scored on the visible characters only, position by position where the length matches.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path


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
