"""Generated plates placed into larger images with a 3-D pose: detector training windows, and
full-scene test fixtures and examples with exact plate corners."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from platereader.generation.render import FlatPlate
from platereader.generation.scene import CAR_PAINTS, _pose_homography, noise_field


def quad_bounds(quad: np.ndarray) -> np.ndarray:
    """4 x 2 corners -> (x, y, w, h) bounding box."""
    lo, hi = quad.min(0), quad.max(0)
    return np.array([lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]], np.float32)


def boxes_overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def paste_plate(
    image: np.ndarray,
    flat: FlatPlate,
    plate_w: float,
    rng: np.random.Generator,
    avoid: list,
    light: float = 1.0,
    center: tuple[float, float] | None = None,
    roll_degrees: float = 0.0,
    yaw_degrees: float | None = None,
) -> np.ndarray | None:
    """Warp ``flat`` into ``image`` (in place) in a random pose, ``plate_w`` px wide, centred at
    ``center`` or anywhere it fits, turned a further ``roll_degrees`` in the image plane
    (OpenCV's sense: positive is anticlockwise on screen), and seen ``yaw_degrees`` from the side
    (random when None).

    Returns the plate's corners (TL, TR, BR, BL), or None when it would not fit or would cover a
    box in ``avoid`` (then the image is unchanged).
    """
    h, w = image.shape[:2]
    homography = _pose_homography(flat.quad, plate_w, rng, yaw_degrees)
    quad = cv2.perspectiveTransform(flat.quad[None].astype(np.float32), homography)[0]
    if roll_degrees:  # a steeper turn than the pose's own (tilted cameras, mounts); corners stay exact
        centre = quad.mean(0)
        turn = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), roll_degrees, 1.0)
        homography = np.vstack([turn, [0, 0, 1]]) @ homography
        quad = cv2.transform(quad[None], turn)[0]
    lo, hi = quad.min(0), quad.max(0)
    if hi[0] - lo[0] > w or hi[1] - lo[1] > h:
        return None
    offset = rng.uniform(0, 1, 2) * ([w, h] - (hi - lo)) - lo if center is None else np.asarray(center) - (lo + hi) / 2
    quad = (quad + offset).astype(np.float32)
    if quad.min() < 0 or quad[:, 0].max() > w or quad[:, 1].max() > h:
        return None
    if any(boxes_overlap(quad_bounds(quad), b) for b in avoid):
        return None
    homography = np.array([[1, 0, offset[0]], [0, 1, offset[1]], [0, 0, 1]]) @ homography
    warped = cv2.warpPerspective(flat.rgba, homography, (w, h), flags=cv2.INTER_AREA)
    alpha = warped[..., 3:4].astype(np.float32) / 255
    plate = warped[..., :3].astype(np.float32) * light
    image[:] = np.clip(image * (1 - alpha) + plate * alpha, 0, 255).astype(np.uint8)
    return quad


@dataclass
class ScenePlate:
    text: str
    corners: np.ndarray  # 4 x 2

    @property
    def box(self) -> np.ndarray:
        return quad_bounds(self.corners)


def street_background(width: int, height: int, rng: np.random.Generator, cars: int = 3) -> tuple[np.ndarray, list[tuple]]:
    """A plain procedural street (sky, road, car-coloured bodies seen from behind) for fixtures and
    examples; also each car's plate mount as (centre x, centre y, plate width)."""
    img = np.empty((height, width, 3), np.float32)
    horizon = int(height * rng.uniform(0.3, 0.45))
    img[:horizon] = np.linspace(rng.uniform(150, 220), rng.uniform(90, 160), horizon)[:, None, None]
    img[horizon:] = np.linspace(rng.uniform(70, 110), rng.uniform(40, 80), height - horizon)[:, None, None]
    mounts = []
    slots = rng.permutation(3)[:cars]
    for slot in slots:  # side by side, so the cars do not hide each other's plates
        cw = int(width * rng.uniform(0.2, 0.28))
        ch = int(cw * rng.uniform(0.7, 0.9))
        x = int(width * (0.04 + 0.32 * slot) + rng.uniform(0, width * 0.3 - cw))
        y = int(rng.uniform(horizon, height - ch))
        paint = np.array(CAR_PAINTS[rng.integers(len(CAR_PAINTS))], np.float32)
        cv2.rectangle(img, (x, y), (x + cw, y + ch), paint.tolist(), -1)
        cv2.rectangle(img, (x + cw // 8, y + ch // 10), (x + cw - cw // 8, y + ch // 3), (paint * 0.35 + 20).tolist(), -1)  # rear window
        for lamp_x in (x + cw // 20, x + cw - cw // 20 - cw // 8):
            cv2.rectangle(img, (lamp_x, y + ch // 2), (lamp_x + cw // 8, y + ch // 2 + ch // 10), (190, 30, 35), -1)  # RGB: red tail lamps
        mounts.append((x + cw / 2, y + ch * 0.72, cw * 0.42))
    img += (noise_field(height, width, rng) * 4)[..., None]
    return np.clip(img, 0, 255).astype(np.uint8), mounts


def compose_scene(
    background: np.ndarray, plates: list[tuple[str, FlatPlate]], rng: np.random.Generator, mounts: list[tuple] | None = None
) -> tuple[np.ndarray, list[ScenePlate]]:
    """Place each (text, flat plate) into a copy of ``background``: plate i on ``mounts[i]``
    (centre x, centre y, width) when given, else wherever it fits without overlap."""
    image = background.copy()
    placed: list[ScenePlate] = []
    for i, (text, flat) in enumerate(plates):
        for _ in range(20):  # a few poses or places until one fits
            if mounts and i < len(mounts):
                cx, cy, width = mounts[i]
                quad = paste_plate(image, flat, width, rng, [p.box for p in placed], center=(cx, cy))
            else:
                quad = paste_plate(image, flat, float(rng.uniform(60, 200)), rng, [p.box for p in placed])
            if quad is not None:
                placed.append(ScenePlate(text, quad))
                break
    return image, placed
