"""Detector training data: real photos with plate boxes, and generated plates composed into them.

Photos are decoded once into memory (scaled to at most ``MAX_SIDE``); every training window is cut
with one affine warp (scale jitter, a little rotation, flip) and, half the time, gets generated
plates pasted in with a 3-D pose, which are the only source of exact corners.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from platereader.detection.geometry import box_corners
from platereader.generation import PlateGenerator
from platereader.generation.compose import paste_plate, quad_bounds
from platereader.runtime.images import ImageError, load_image

MAX_SIDE = 800  # stored size; the detector sees at most 640 px on the long side


@dataclass
class BoxedImage:
    image: np.ndarray  # RGB, scaled by ``scale`` from the original
    boxes: np.ndarray  # N x 4 (x, y, w, h) in the stored image's pixels
    scale: float  # stored / original
    original_size: tuple[int, int]  # width, height
    name: str
    texts: list[str | None] | None = None


def _load_boxed(path: Path, boxes: list, name: str, texts: list | None = None) -> BoxedImage:
    image = load_image(path)
    h, w = image.shape[:2]
    scale = min(1.0, MAX_SIDE / max(h, w))
    if scale < 1:
        image = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    arr = np.array(boxes, np.float32).reshape(-1, 4) * scale
    return BoxedImage(image, arr, scale, (w, h), name, texts)


def load_detect_photos(root: Path, subsets: list[str] | None = None) -> list[BoxedImage]:
    """``root/manifest.jsonl`` of the detect data (see its README); unreadable photos are reported and skipped."""
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if subsets is None or r["subset"] in subsets]
    out, failed = [], []
    for row in tqdm(rows, desc="load photos", unit="img"):
        try:
            out.append(_load_boxed(root / row["image"], row["boxes"], row["image"]))
        except ImageError as exc:
            failed.append(str(exc))
    if failed:
        print(f"skipped {len(failed)} unreadable photos: " + "; ".join(failed[:5]))
    return out


def load_boxed_dev(dev_root: Path, subsets: tuple[str, ...] = ("roboflow_us_eu_test6", "fer_hr_test")) -> list[BoxedImage]:
    """The dev photos that have plate boxes, grouped by photo, with their texts."""
    by_image: dict[str, tuple[list, list]] = {}
    for line in (dev_root / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("subset") in subsets and row.get("bbox") and Path(row["image"]).parent.name == "images":
            boxes, texts = by_image.setdefault(row["image"], ([], []))
            boxes.append(row["bbox"])
            texts.append(row.get("text"))
    return [_load_boxed(dev_root / name, boxes, name, texts) for name, (boxes, texts) in sorted(by_image.items())]


MAX_TILT_DEGREES = 30.0  # the steepest turn a tilted window gets (a real plate's box becomes the box around it)
SIDE_YAW_DEGREES = (40.0, 70.0)  # plates seen from the side (a car parked along the street, a side mirror camera)
ZOOM_RANGE = (0.35, 1.0)  # log scale of zoomed windows: plates up to 2.7x the run-time size (close-ups)


def _steep_turn(rng: np.random.Generator, share: float) -> float | None:
    """A turn of up to MAX_TILT_DEGREES for a ``share`` of calls, else None. No draw at share 0, so
    runs made before the share existed stay repeatable."""
    if share and rng.random() < share:
        return float(rng.uniform(-MAX_TILT_DEGREES, MAX_TILT_DEGREES))
    return None


def _side_yaw(rng: np.random.Generator, share: float) -> float | None:
    """A side-on yaw (either side) for a ``share`` of calls, else None; no draw at share 0."""
    if share and rng.random() < share:
        return float(rng.uniform(*SIDE_YAW_DEGREES) * rng.choice([-1, 1]))
    return None


@dataclass
class Window:
    image: np.ndarray  # crop x crop x 3 uint8
    boxes: np.ndarray  # N x 4
    corners: np.ndarray  # N x 4 x 2
    has_corners: np.ndarray  # N bool


class WindowSampler:
    """Random training windows at the scale the detector will see each photo at run time."""

    def __init__(
        self,
        photos: list[BoxedImage],
        crop: int,
        input_size: int,
        max_upscale: float,
        plates: list | None,
        synth_rate: float,
        tilt_share: float = 0.0,
        paste_roll_share: float = 0.0,
        paste_yaw_share: float = 0.0,
        zoom_share: float = 0.0,
    ):
        self.photos, self.crop, self.input_size, self.max_upscale = photos, crop, input_size, max_upscale
        self.plates = plates or []
        self.synth_rate = synth_rate if self.plates else 0.0
        self.tilt_share = tilt_share  # windows turned up to MAX_TILT_DEGREES: plates on a tilted camera or mount
        # Pasted plates turned up to MAX_TILT_DEGREES: steep plates with exact corners, the real boxes untouched.
        self.paste_roll_share = paste_roll_share
        self.paste_yaw_share = paste_yaw_share  # pasted plates seen from the side, SIDE_YAW_DEGREES
        self.zoom_share = zoom_share  # windows zoomed in past the usual jitter: close-up plates

    def sample(self, rng: np.random.Generator) -> Window:
        photo = self.photos[rng.integers(len(self.photos))]
        run_scale = min(self.input_size / max(photo.original_size), self.max_upscale) / photo.scale
        # The zoom draw happens only with a zoom share, so runs made before it stay repeatable.
        zoomed = bool(self.zoom_share) and rng.random() < self.zoom_share
        scale = run_scale * float(np.exp(rng.uniform(*ZOOM_RANGE) if zoomed else rng.uniform(-0.6, 0.35)))
        angle = rng.normal(0, 3)
        steep = _steep_turn(rng, self.tilt_share)
        angle = angle if steep is None else steep
        if len(photo.boxes) and rng.random() < 0.75:  # centre the window near a plate
            x, y, w, h = photo.boxes[rng.integers(len(photo.boxes))]
            focus = np.array([x + w / 2, y + h / 2])
            where = rng.uniform(0.15, 0.85, 2) * self.crop
        else:
            focus = rng.uniform(0, 1, 2) * photo.image.shape[1::-1]
            where = np.array([self.crop / 2, self.crop / 2])
        matrix = cv2.getRotationMatrix2D((float(focus[0]), float(focus[1])), angle, scale)
        matrix[:, 2] += where - focus
        if rng.random() < 0.5:  # mirror: a plate seen in a mirror is still a plate to a detector
            matrix = np.array([[-1, 0, self.crop], [0, 1, 0]]) @ np.vstack([matrix, [0, 0, 1]])
        image = cv2.warpAffine(photo.image, matrix, (self.crop, self.crop), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
        quads = [cv2.transform(box_corners(b)[None], matrix)[0] for b in photo.boxes]
        boxes = [quad_bounds(q) for q in quads]
        corners = [box_corners(b) for b in boxes]  # real photos: boxes only, corners unknown
        known = [False] * len(boxes)
        if rng.random() < self.synth_rate:
            for _ in range(int(rng.integers(1, 4))):
                pasted = self._paste(image, boxes, rng)
                if pasted is not None:
                    boxes.append(quad_bounds(pasted))
                    corners.append(pasted)
                    known.append(True)
        _photometric(image, rng)
        return _visible(Window(image, np.array(boxes, np.float32).reshape(-1, 4), np.array(corners, np.float32).reshape(-1, 4, 2),
                               np.array(known, bool)), self.crop)  # fmt: skip

    def _paste(self, image: np.ndarray, boxes: list, rng: np.random.Generator) -> np.ndarray | None:
        flat = self.plates[rng.integers(len(self.plates))]
        plate_w = float(np.exp(rng.uniform(np.log(14), np.log(0.6 * self.crop))))
        light = rng.uniform(0.35, 1.1)
        roll = _steep_turn(rng, self.paste_roll_share)
        yaw = _side_yaw(rng, self.paste_yaw_share)
        return paste_plate(image, flat, plate_w, rng, boxes, light=light, roll_degrees=roll or 0.0, yaw_degrees=yaw)


def render_plate_pool(count: int, seed: int, font_dirs: list[Path] | None, two_row_share: float = 0.0) -> list:
    """Flat generated plates (RGBA with corners) to paste into photos, ``two_row_share`` of them two-row."""
    generator = PlateGenerator(font_dirs=font_dirs, seed=seed, two_row_share=two_row_share)
    return [generator.flat_plate(i)[1] for i in tqdm(range(count), desc="render plates", unit="plate")]


def _photometric(image: np.ndarray, rng: np.random.Generator) -> None:
    out = image.astype(np.float32)
    out = out * rng.uniform(0.6, 1.3) + rng.uniform(-25, 25)
    if rng.random() < 0.15:
        out[:] = out.mean(axis=2, keepdims=True)
    if rng.random() < 0.25:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.5, 1.3))
    if rng.random() < 0.3:
        out += rng.normal(0, rng.uniform(2, 8), out.shape).astype(np.float32)
    image[:] = np.clip(out, 0, 255).astype(np.uint8)


def _visible(window: Window, crop: int) -> Window:
    """Keep plates at least 60% inside the window, clipped to it; drop the rest and tiny ones."""
    keep = []
    for i, (x, y, w, h) in enumerate(window.boxes):
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, crop), min(y + h, crop)
        inside = max(0, x1 - x0) * max(0, y1 - y0) / max(w * h, 1e-6)
        if inside >= 0.6 and w >= 4 and h >= 2:
            window.boxes[i] = (x0, y0, x1 - x0, y1 - y0)
            keep.append(i)
    return Window(window.image, window.boxes[keep], window.corners[keep], window.has_corners[keep])
