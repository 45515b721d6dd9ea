"""Put a flat plate in front of a camera: pose, background, detector crop, light, optics, codec.

Works at the *source* resolution (the plate 20-300 px wide, as a camera would see it) so that
down-sampling, blur, noise and JPEG act at the scale they do in real photos.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

_NOISE_BANK = np.random.default_rng(12345).standard_normal((512, 512)).astype(np.float32)


# Margins per side (shares of the plate's box width, height) of a loose crop: a detector's box
# grown by a quarter to a half on each side, with bumper, frame and lights around the plate.
LOOSE_MARGINS = ((0.15, 0.65), (0.2, 0.9))


def noise_field(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Unit Gaussian noise, cut from a fixed bank at a random offset (much cheaper than drawing it)."""
    if h > 512 or w > 512:
        return rng.standard_normal((h, w)).astype(np.float32)
    y, x = int(rng.integers(0, 513 - h)), int(rng.integers(0, 513 - w))
    return _NOISE_BANK[y : y + h, x : x + w]


# Below this the characters drown in noise. Re-calibrated by eye on contact sheets binned by CNR:
# at 1.5-2 about half the plates were illegible, at 2-3 nearly all legible, at 3+ all legible.
MIN_CNR = 2.0
# The weakest character: a glare blob, a shadow edge or the crop border can wipe out one character
# of an otherwise clear plate. Set by a blind eye test (scripts/legibility_sheets.py, session 26):
# plates whose weakest character scored 1-1.5 were read exactly 30 times in 48, at 1.5-2 31 in 32,
# at 2-3 16 in 16 (synth.md asks for a per-character limit of about 1.5-2; 1.0 before).
MIN_CHAR_CNR = 1.5
# Blur sigma over character height. Set by the same blind eye test: plates blurred 0.05-0.10 were
# read exactly 44 times in 47, at 0.10-0.12 21 in 33, at 0.12-0.15 8 in 16 (0.15 before).
MAX_BLUR_RATIO = 0.10
MIN_CAP_PX = 6.0  # characters shorter than this are not legible (synth.md: ~28 px plates unreadable)

CAR_PAINTS = [(235, 235, 235), (25, 25, 28), (120, 122, 128), (180, 182, 186), (30, 50, 110), (140, 20, 25), (60, 70, 60), (200, 190, 170)]


@dataclass
class Shot:
    image: np.ndarray  # RGB uint8 crop as a detector would hand it over
    corners: np.ndarray  # 4 x 2 plate corners (TL, TR, BR, BL) in crop pixels
    char_boxes: np.ndarray  # N x 4 axis-aligned character boxes in crop pixels
    readable: bool
    plate_width_px: float
    cnr: float  # contrast-to-noise of the characters, mean over them (the legibility measure)
    weakest_cnr: float = 0.0  # the least legible character's contrast-to-noise
    blur_ratio: float = 0.0  # blur sigma over character height


def sample_plate_width(rng: np.random.Generator) -> float:
    """Source plate width: most mass 60-160 px, tails down to 20 and up to 300 (synth.md §3.9)."""
    return float(np.clip(np.exp(rng.normal(np.log(105), 0.5)), 20, 300))


# Roll of a steeply turned plate (tilted cameras and mounts, uc3m's close-ups), either way.
STEEP_ROLL_DEGREES = 30.0


def _pose_homography(
    src_quad: np.ndarray, plate_w: float, rng: np.random.Generator, yaw_degrees: float | None = None, steep_roll: bool = False
) -> np.ndarray:
    """Homography from the flat plate to an image where the plate is plate_w pixels wide, turned
    about the vertical axis by ``yaw_degrees`` (seen from the side) or a random yaw when None, and
    in the image plane by a few degrees, or by up to STEEP_ROLL_DEGREES with ``steep_roll``."""
    if yaw_degrees is None:
        yaw_degrees = rng.normal(0, 14) if rng.random() < 0.8 else rng.uniform(-40, 40)
    yaw = np.radians(yaw_degrees)
    pitch = np.radians(rng.uniform(-8, 22))
    if steep_roll:
        roll = np.radians(rng.uniform(-STEEP_ROLL_DEGREES, STEEP_ROLL_DEGREES))
    else:
        roll = np.radians(rng.normal(0, 3) if rng.random() < 0.85 else rng.uniform(-10, 10))
    w = src_quad[1, 0] - src_quad[0, 0]
    h = src_quad[3, 1] - src_quad[0, 1]
    pts = np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0], [-w / 2, h / 2, 0]], np.float64)
    cy, sy, cp, sp, cr, sr = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    rot = (
        np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
        @ np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
        @ np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    )
    focal = w * rng.uniform(0.8, 3.0)
    cam = pts @ rot.T + np.array([0, 0, focal * rng.uniform(1.0, 1.6)])
    proj = cam[:, :2] / cam[:, 2:3] * focal
    proj *= plate_w / (proj[:, 0].max() - proj[:, 0].min())
    proj += rng.normal(0, 0.012 * plate_w, proj.shape)  # the small shape errors of real mounting
    return cv2.getPerspectiveTransform(src_quad.astype(np.float32), proj.astype(np.float32))


def _background(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    if rng.random() < 0.6:  # car body: paint with a vertical gradient, sometimes grille bars
        paint = np.array(CAR_PAINTS[rng.integers(len(CAR_PAINTS))], np.float32) * rng.uniform(0.6, 1.1)
        grad = np.linspace(rng.uniform(0.6, 1.2), rng.uniform(0.6, 1.2), h, dtype=np.float32)[:, None, None]
        img = cv2.resize(paint * grad, (w, h), interpolation=cv2.INTER_NEAREST)
        if rng.random() < 0.3:
            period = max(3, int(h * rng.uniform(0.08, 0.2)))
            img[(np.arange(h) // period) % 2 == 0] *= 0.35
    else:  # random texture: coarse coloured noise
        small = rng.uniform(0, 255, (int(rng.integers(2, 8)), int(rng.integers(2, 12)), 3)).astype(np.float32)
        small = small * 0.35 + small.mean(axis=2, keepdims=True) * 0.65  # real scenes are not rainbow-coloured
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    img += (noise_field(h, w, rng) * 6)[..., None]
    return img


def _light(img: np.ndarray, plate_mask: np.ndarray, rng: np.random.Generator) -> None:
    h, w = img.shape[:2]
    if rng.random() < 0.5:  # soft light gradient across the crop
        gx = np.linspace(rng.uniform(0.6, 1.4), rng.uniform(0.6, 1.4), w, dtype=np.float32)
        gy = np.linspace(rng.uniform(0.7, 1.3), rng.uniform(0.7, 1.3), h, dtype=np.float32)
        img *= (gy[:, None] * gx[None, :])[..., None]
    if rng.random() < 0.25:  # hard cast shadow: a polygon edge across the plate
        pts = np.array(
            [
                [rng.uniform(-0.2, 1.2) * w, -1],
                [rng.uniform(-0.2, 1.2) * w, h + 1],
                [w * 2 * rng.choice([-1, 1]) + w / 2, h + 1],
                [w * 2 * rng.choice([-1, 1]) + w / 2, -1],
            ],
            np.int32,
        )
        shadow = np.zeros((h, w), np.float32)
        cv2.fillPoly(shadow, [pts], 1.0)
        shadow = cv2.GaussianBlur(shadow, (0, 0), max(0.5, rng.uniform(0.2, 1.5)))
        img *= (1 - shadow * rng.uniform(0.3, 0.7))[..., None]
    if rng.random() < 0.1:  # specular glare blob
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.1, 0.4) * w
        yy, xx = np.ogrid[:h, :w]
        blob = np.exp(-((xx - cx) ** 2 + ((yy - cy) * 2) ** 2) / (2 * r * r)).astype(np.float32)
        img += (blob * rng.uniform(80, 250))[..., None]


def _night(img: np.ndarray, plate_mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Night / infrared look: grey, retro-reflective plate bright against a dark scene."""
    grey = img.mean(axis=2, keepdims=True)
    gain = np.where(plate_mask[..., None] > 0.5, rng.uniform(0.9, 1.5), rng.uniform(0.1, 0.4)).astype(np.float32)
    out = np.repeat(grey * gain, 3, axis=2)
    if rng.random() < 0.5:  # infrared cameras also bloom around bright plates
        out = np.maximum(out, cv2.GaussianBlur(out, (0, 0), rng.uniform(1, 3)) * 0.9)
    return out


def _optics(img: np.ndarray, rng: np.random.Generator, cap_px: float) -> tuple[np.ndarray, float]:
    blur = 0.0
    if rng.random() < 0.6:
        blur = rng.uniform(0.2, 1.5)
        img = cv2.GaussianBlur(img, (0, 0), blur)
    if rng.random() < 0.3:
        n = int(rng.integers(2, 8))
        kernel = np.zeros((n, n), np.float32)
        kernel[n // 2] = 1.0 / n
        rot = cv2.getRotationMatrix2D(((n - 1) / 2, (n - 1) / 2), rng.normal(0, 15), 1)
        kernel = cv2.warpAffine(kernel, rot, (n, n))
        img = cv2.filter2D(img, -1, kernel / max(kernel.sum(), 1e-6))
        blur = max(blur, n / 3)
    return img, blur / max(cap_px, 1)


def _codec(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if rng.random() < 0.6:  # sensor noise: signal-dependent shot noise plus read noise
        sigma = rng.uniform(2, 10)
        noise = noise_field(*img.shape[:2], rng)[..., None] * sigma
        img = cv2.add(img.astype(np.float32), noise * np.sqrt(np.maximum(img, 1) * (1 / 128)), dtype=cv2.CV_32F)
        img = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(2 if rng.random() < 0.2 else 1):
        if rng.random() < 0.75:
            quality = int(np.clip(rng.normal(65, 20), 15, 95))
            _, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
            img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return img


def _photometric(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Exposure, black level, colour cast and gamma as one lookup table on uint8."""
    x = np.arange(256, dtype=np.float32)[:, None]
    gains = rng.uniform(0.55, 1.4) * rng.uniform(0.85, 1.15, 3).astype(np.float32)
    y = np.clip(x * gains + rng.uniform(-30, 30), 0, 255) / 255
    lut = (255 * y ** np.float32(rng.uniform(0.65, 1.6))).astype(np.uint8).reshape(256, 1, 3)
    return cv2.LUT(np.clip(img, 0, 255).astype(np.uint8), lut)


def shoot(
    rgba: np.ndarray,
    text_mask: np.ndarray,
    quad: np.ndarray,
    char_boxes: np.ndarray,
    cap_px_flat: float,
    rng: np.random.Generator,
    plate_w: float,
    masked: frozenset[int] = frozenset(),
    mask_in_photo: bool = False,
    tight: bool = False,
    steep_roll: bool = False,
    loose: bool = False,
) -> Shot:
    """Photograph a flat plate; characters at ``masked`` positions (privacy boxes, read as "?")
    do not count against legibility. With ``mask_in_photo`` their boxes are painted into the
    finished photo here (else the flat plate already has them). A ``tight`` crop is cut at the
    plate's edges, as some data sets and detectors cut them; a ``loose`` one has LOOSE_MARGINS
    around the plate (a detector's box with bumper and frame); a ``steep_roll`` plate is turned up
    to STEEP_ROLL_DEGREES in the image plane."""
    H = _pose_homography(quad, plate_w, rng, steep_roll=steep_roll)
    corners = cv2.perspectiveTransform(quad[None], H)[0]
    x0, y0 = corners.min(0)
    x1, y1 = corners.max(0)
    bw, bh = x1 - x0, y1 - y0
    # Detector crop: the plate's box grown or shrunk per side, as loose and shifted boxes are.
    # A tight one cuts at most 2% of the width (the last character ends 2-4% from a plate's edge).
    (x_lo, x_hi), (y_lo, y_hi) = ((-0.02, 0.01), (-0.06, 0.03)) if tight else LOOSE_MARGINS if loose else ((-0.03, 0.2), (-0.05, 0.35))
    left, right = (rng.uniform(x_lo, x_hi, 2) * bw).tolist()
    top, bottom = (rng.uniform(y_lo, y_hi, 2) * bh).tolist()
    cx0, cy0 = x0 - left, y0 - top
    cw, ch = max(8, round(bw + left + right)), max(6, round(bh + top + bottom))
    shift = np.array([[1, 0, -cx0], [0, 1, -cy0], [0, 0, 1]])
    H = shift @ H
    corners = corners - [cx0, cy0]

    warped = cv2.warpPerspective(rgba, H, (cw, ch), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    alpha = warped[..., 3:4].astype(np.float32) / 255
    img = _background(ch, cw, rng) * (1 - alpha) + warped[..., :3].astype(np.float32) * alpha
    text_warp = cv2.warpPerspective(text_mask, H, (cw, ch), flags=cv2.INTER_LINEAR)
    plate_mask = np.zeros((ch, cw), np.float32)
    cv2.fillConvexPoly(plate_mask, corners.round().astype(np.int32), 1.0)

    _light(img, plate_mask, rng)
    if rng.random() < 0.15:
        img = _night(img, plate_mask, rng)
    img = _photometric(img, rng)  # uint8 from here on
    scale = plate_w / (quad[1, 0] - quad[0, 0])
    cap_px = cap_px_flat * scale
    img, blur_ratio = _optics(img, rng, cap_px)
    boxes = transform_boxes(char_boxes, H)
    if mask_in_photo:
        paint_privacy_boxes(img, boxes[sorted(masked)], rng)
    occluded = _occlude(img, text_warp, rng)
    out = _codec(img, rng)

    visible = [i for i in range(len(boxes)) if i not in masked]
    cnr, weakest = contrast_to_noise(out, text_warp, boxes[visible])
    readable = bool(not occluded and cap_px >= MIN_CAP_PX and blur_ratio < MAX_BLUR_RATIO and cnr >= MIN_CNR and weakest >= MIN_CHAR_CNR)
    return Shot(out, corners.astype(np.float32), boxes, readable, plate_w, cnr, weakest, blur_ratio)


def paint_privacy_boxes(img: np.ndarray, boxes: np.ndarray, rng: np.random.Generator) -> None:
    """Privacy boxes painted over characters in the photo: flat, sharp-edged, a shade darker than
    the mean colour of what they hide (so in the plate's tint), often wider than the character, so
    a box at the plate's end may cover its edge."""
    h, w = img.shape[:2]
    grow_x, grow_y, shade = rng.uniform(0.05, 0.45), rng.uniform(0.0, 0.2), rng.uniform(0.55, 0.95)
    for x0, y0, x1, y1 in boxes:
        dx, dy = (x1 - x0) * grow_x, (y1 - y0) * grow_y
        xa, ya = max(0, int(x0 - dx)), max(0, int(y0 - dy))
        xb, yb = min(w, int(np.ceil(x1 + dx))), min(h, int(np.ceil(y1 + dy)))
        if xb > xa and yb > ya:
            region = img[ya:yb, xa:xb]
            region[:] = np.clip(region.reshape(-1, region.shape[-1]).mean(0) * shade, 0, 255)


def _occlude(img: np.ndarray, text: np.ndarray, rng: np.random.Generator) -> bool:
    """Tow bar or bike rack across the plate. Returns True when it hides too much to read."""
    if rng.random() >= 0.05:
        return False
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    x = int(rng.uniform(0, w))
    bar = max(1, int(rng.uniform(0.03, 0.2) * w))
    cv2.rectangle(mask, (x, 0), (x + bar, h), 1, -1)
    img[mask > 0] = rng.uniform(10, 80)
    ink = text > 127
    hidden = (ink & (mask > 0)).sum() / max(ink.sum(), 1)
    return hidden > 0.04


def contrast_to_noise(img: np.ndarray, text: np.ndarray, boxes: np.ndarray) -> tuple[float, float]:
    """Character contrast over high-frequency noise, measured on the finished crop.

    Returns (mean over characters, weakest character). Contrast is taken per character box
    (strokes vs the paper between them), so bands, seals and frames do not distort it, and a glare
    blob or a shadow edge that wipes out one character shows in the weakest one. Slow gradients are
    not noise (a person reads through them), while grain, JPEG blocks and low contrast are.
    """
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    h, w = grey.shape
    detail = np.abs(grey - cv2.GaussianBlur(grey, (0, 0), 2.0))
    contrasts: list[float] = []
    paper_detail: list[np.ndarray] = []
    for x0, y0, x1, y1 in boxes:
        ys = slice(max(0, int(y0)), min(h, int(np.ceil(y1))))
        xs = slice(max(0, int(x0)), min(w, int(np.ceil(x1))))
        box, box_text = grey[ys, xs], text[ys, xs]
        ink, paper = box_text > 160, box_text < 8
        if ink.sum() < 2 or paper.sum() < 2:
            contrasts.append(0.0)  # a character cut off by the crop or squeezed to nothing
            continue
        contrasts.append(abs(float(box[ink].mean()) - float(box[paper].mean())))
        paper_detail.append(detail[ys, xs][paper])
    if not paper_detail:
        return 0.0, 0.0
    noise = 1.25 * float(np.concatenate(paper_detail).mean())  # mean absolute deviation, in sigma units
    cnr = np.array(contrasts) / (noise + 1.0)
    return float(cnr.mean()), float(cnr.min())


def transform_boxes(boxes: np.ndarray, H: np.ndarray) -> np.ndarray:
    """Boxes (x0, y0, x1, y1) moved by the 3 x 3 perspective ``H``: the upright box around each."""
    if len(boxes) == 0:
        return boxes
    corners = np.stack([boxes[:, [0, 1]], boxes[:, [2, 1]], boxes[:, [2, 3]], boxes[:, [0, 3]]], 1).reshape(1, -1, 2)
    pts = cv2.perspectiveTransform(corners.astype(np.float32), H).reshape(-1, 4, 2)
    return np.concatenate([pts.min(1), pts.max(1)], 1).astype(np.float32)


def negative(rng: np.random.Generator) -> np.ndarray:
    """A crop with no plate: what a detector's false positive hands over."""
    h = int(rng.integers(12, 80))
    w = int(h * rng.uniform(1.5, 5))
    return _codec(_photometric(_background(h, w, rng), rng), rng)
