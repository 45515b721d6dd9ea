"""CTC decoding with per-character confidences (numpy only)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Decoded:
    text: str
    char_confidences: list[float]
    frames: list[int] = field(default_factory=list)  # the peak frame of each character

    @property
    def confidence(self) -> float:
        """Probability that every character is right (product); 0 for an empty read."""
        return float(np.prod(self.char_confidences)) if self.char_confidences else 0.0


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def greedy_decode(probs: np.ndarray, alphabet: str, blank_scale: float = 1.0) -> Decoded:
    """T x C probabilities (class 0 = blank) -> text; a character's confidence is its peak frame.

    ``blank_scale`` < 1 weighs the blank down before the best path is taken, so a character the
    network saw but rated just under "nothing here" is kept (CTC readers mostly err by dropping
    characters); confidences stay the network's own probabilities.
    """
    scores = probs if blank_scale == 1.0 else np.concatenate([probs[:, :1] * blank_scale, probs[:, 1:]], axis=1)
    best = scores.argmax(-1)
    chars: list[str] = []
    confs: list[float] = []
    frames: list[int] = []
    prev = 0
    for t, k in enumerate(best):
        if k != 0 and k != prev:
            chars.append(alphabet[k - 1])
            confs.append(float(probs[t, k]))
            frames.append(t)
        elif k != 0 and k == prev and probs[t, k] > confs[-1]:
            confs[-1] = float(probs[t, k])
            frames[-1] = t
        prev = k
    return Decoded("".join(chars), confs, frames)


# The wrong layout gives garbled, unsure reads, and a garbled read of nine characters fits some
# format more often than not: fitting one only weighs a read up, it does not trump confidence.
NO_FORMAT_LAYOUT_FACTOR = 0.7


def layout_score(char_confidences: list[float], fits_format: bool | None = None) -> float:
    """How good a read of one layout (one row, or two rows unfolded) of a crop is: the mean
    character confidence, discounted when the read fits no country format."""
    mean = float(np.mean(char_confidences)) if char_confidences else 0.0
    return mean if fits_format is not False else mean * NO_FORMAT_LAYOUT_FACTOR


def best_layout(scores: list[float]) -> int:
    """Index of the best-scored layout; ties go to the first (one row)."""
    return max(range(len(scores)), key=lambda i: (scores[i], -i))


def without_class(probs: np.ndarray, index: int) -> np.ndarray:
    """``probs`` (... x C) conditioned on class ``index`` being absent: its share goes to the others
    in proportion, so a frame the network gave to that class goes to its next best reading."""
    kept = probs.copy()
    kept[..., index] = 0.0
    return kept / np.maximum(kept.sum(-1, keepdims=True), 1e-12)


def decode_batch(probs: np.ndarray, alphabet: str, blank_scale: float = 1.0) -> list[Decoded]:
    return [greedy_decode(p, alphabet, blank_scale) for p in probs]
