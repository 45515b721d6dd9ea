"""Regenerate the bundled example crops in examples/ (made by our own generator, seeds 2026+).

.venv/bin/python scripts/make_examples.py
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2

from platereader.generation import PlateGenerator

COUNTRIES = ["DE", "FR", "ES", "GB", "NL", "IT", "PL", "HR", "UA", "AT", "BE", "CH"]


def main() -> None:
    out = Path(__file__).resolve().parent.parent / "examples"
    out.mkdir(exist_ok=True)
    rows = []
    for i, code in enumerate(COUNTRIES):
        generator = PlateGenerator(countries=[code], seed=2026 + i, negative_rate=0.0)
        index = 0
        while True:  # the first clearly legible plate of each country
            sample = generator.sample(index)
            index += 1
            if sample.readable and sample.plate_width_px >= 100 and sample.meta["cnr"] >= 6:
                break
        name = f"{code.lower()}.png"
        cv2.imwrite(str(out / name), cv2.cvtColor(sample.image, cv2.COLOR_RGB2BGR))
        rows.append({"image": name, "text": sample.text, "country": code})
    (out / "labels.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} example crops to {out}")


if __name__ == "__main__":
    main()
