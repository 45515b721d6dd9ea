"""The EU band is never a character (numpy only).

The blue strip at the left end of most European plates (the stars and the country code) sits where
a character would, and the network trained on generated bands still now and then reads it as one
(a leading ``B`` or ``I`` on small real crops). Its colour gives it away: no character is that blue.
Frames of the one-row view left of the end of a narrow blue strip in the crop's left third are read
as "nothing here". A plate or car that is blue all over is no band (the strip must be narrow and
end, and the plate right of it not blue), nor is blue on the right (the band is on the left).
"""

from __future__ import annotations

import numpy as np

BAND_BLUE = 25  # blue minus the larger of red and green (0-255): the band's blue; grey, white, black, yellow stay below
BAND_COLUMN_SHARE = 0.4  # a frame's column is band when this share of its middle rows is that blue
MAX_BAND_SHARE = 0.15  # of the view's width: a band is 8-10% of a plate's (../shared/docs/eu_plates.md)
SEARCH_SHARE = 1 / 3  # the band starts in the left third of a loose or shifted crop
PLATE_MAX_SHARE = 0.1  # the plate right of the band is not blue: at most this share, frame by frame (median)


def band_end_frame(view: np.ndarray, frames: int) -> int:
    """The last frame (of ``frames`` across ``view``, a crop's one-row view at the network's input
    size, RGB) on an EU band at the view's left, or 0 when there is none: frames before it lie on
    the band or left of it."""
    if view.ndim != 3 or view.shape[2] < 3:
        return 0
    height, width = view.shape[:2]
    middle = view[height // 8 : height - height // 8, : width - width % frames, :3].astype(np.int16)
    blue = (middle[..., 2] - np.maximum(middle[..., 0], middle[..., 1])) > BAND_BLUE
    per_frame = blue.sum(0).reshape(frames, -1).sum(1) / (blue.size / frames)  # share of each frame's pixels
    is_band = per_frame >= BAND_COLUMN_SHARE
    start = int(np.argmax(is_band))
    if not is_band[start] or start >= frames * SEARCH_SHARE:
        return 0
    end = start
    while end < frames and is_band[end]:
        end += 1
    if end == frames or end - start > frames * MAX_BAND_SHARE:
        return 0  # blue to the crop's edge, or too wide: a blue plate or car, not a band
    if _median(per_frame[end:]) > PLATE_MAX_SHARE:
        return 0  # a blue cast over the whole crop (night, a camera's colour): no band to tell apart
    return end - 1  # the band's last frame may already hold the first character's left edge


def _median(values: np.ndarray) -> float:
    ordered = np.sort(values)  # np.median's own overhead is most of its time on 30 values
    n = len(ordered)
    return float(ordered[(n - 1) // 2] + ordered[n // 2]) / 2


def blank_before(probs: np.ndarray, frame: int) -> np.ndarray:
    """``probs`` (T x C, class 0 the CTC blank) with frames before ``frame`` certain to be blank."""
    if frame <= 0:
        return probs
    out = probs.copy()
    out[:frame] = 0.0
    out[:frame, 0] = 1.0
    return out
