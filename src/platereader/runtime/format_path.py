"""The most probable CTC path that spells a registration of some country format (numpy only).

Greedy decoding takes the best character (or blank) at every frame, so a character the network
rated just under "nothing here" is dropped and the read comes out one short: often a privacy box
at the plate's edge, or a faint character. When the greedy read fits no format, a Viterbi pass
over the CTC lattice finds the best path whose characters fill the slots of a format, each from the
characters that slot allows; how much less probable that path is than the greedy one says
whether to believe it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NEG = -1e9  # log probability of an impossible state
MAX_LENGTH_CHANGE = 2  # a format path may add or drop this many characters at most


@dataclass
class FormatPath:
    text: str
    char_confidences: list[float]
    frames: list[int]
    log_ratio: float  # log P(this path) - log P(greedy path), <= 0
    countries: set[str]  # countries with a format this path fits


class SlotSequences:
    """Every distinct slot sequence of a grammar, padded to the longest, for one Viterbi pass."""

    def __init__(self, sequences: list[np.ndarray], countries: list[str], log_priors: np.ndarray):
        """``sequences``: L x alphabet bool masks (which characters each slot allows), with the
        country and the log prior of the format each comes from."""
        by_key: dict[bytes, int] = {}
        unique: list[np.ndarray] = []
        self.countries: list[set[str]] = []
        priors: list[float] = []
        for seq, country, prior in zip(sequences, countries, log_priors, strict=True):
            key = np.packbits(seq).tobytes() + bytes([len(seq)])
            if key not in by_key:
                by_key[key] = len(unique)
                unique.append(seq)
                self.countries.append(set())
                priors.append(float(prior))
            self.countries[by_key[key]].add(country)
            priors[by_key[key]] = max(priors[by_key[key]], float(prior))
        self.log_priors = np.array(priors)
        self.lengths = np.array([len(s) for s in unique])
        alphabet_size = unique[0].shape[1]
        rows = np.concatenate([*unique, np.zeros((1, alphabet_size), bool)])  # last row: padding
        self.set_masks, inverse = np.unique(rows, axis=0, return_inverse=True)
        pad = int(inverse[-1])
        self.set_ids = np.full((len(unique), int(self.lengths.max())), pad)
        start = 0
        for u, n in enumerate(self.lengths):
            self.set_ids[u, :n] = inverse[start : start + n]
            start += n

    def best_path(self, probs: np.ndarray, alphabet: str, near: int | None = None) -> FormatPath | None:
        """The most probable path (T x C probabilities, blank 0) that fits a slot sequence, among
        sequences at most MAX_LENGTH_CHANGE characters longer or shorter than ``near`` if given."""
        T = probs.shape[0]
        lp = np.log(np.maximum(probs, 1e-12)).astype(np.float32)
        chars = np.where(self.set_masks[:, None, :], lp[None, :, 1:], NEG)  # K x T x A
        set_arg = chars.argmax(-1)  # K x T
        set_best = np.take_along_axis(chars, set_arg[..., None], -1)[..., 0]
        keep = np.arange(len(self.lengths)) if near is None else np.flatnonzero(np.abs(self.lengths - near) <= MAX_LENGTH_CHANGE)
        if len(keep) == 0:
            return None
        lengths, set_ids = self.lengths[keep], self.set_ids[keep]
        U, L = set_ids.shape
        S = 2 * L + 1  # blank, slot 0, blank, slot 1, ..., blank
        emit = np.empty((T, U, S), np.float32)
        emit[:, :, 0::2] = lp[:, None, :1]
        emit[:, :, 1::2] = set_best[set_ids].transpose(2, 0, 1)
        # Each slot's character is the best its slot allows, frame by frame; a path may hold a
        # slot only while that character stays the same (one character per slot), and go from
        # slot to slot with no blank between only for different characters (CTC merges repeats).
        slot_chars = set_arg[set_ids]  # U x L x T
        stay_cost = np.zeros((T, U, S), np.float32)
        stay_cost[1:, :, 1::2] = np.where(slot_chars[:, :, 1:] == slot_chars[:, :, :-1], 0.0, NEG).transpose(2, 0, 1)
        skip_cost = np.full((T, U, S), NEG, np.float32)
        skip_cost[1:, :, 3::2] = np.where(slot_chars[:, :-1, :-1] != slot_chars[:, 1:, 1:], 0.0, NEG).transpose(2, 0, 1)
        score, back = _viterbi(emit, stay_cost, skip_cost)
        end_states = np.stack([2 * lengths, 2 * lengths - 1], 1)  # U x 2
        ends = np.take_along_axis(score, end_states, 1)
        u = int((ends.max(1) + self.log_priors[keep]).argmax())
        if ends[u].max() <= NEG / 2:
            return None  # too few frames for any format
        state = int(end_states[u, ends[u].argmax()])
        states = np.empty(T, int)
        for t in range(T - 1, -1, -1):
            states[t] = state
            state -= int(back[t, u, state])
        text, confs, frames = [], [], []
        for slot in range(int(lengths[u])):
            ts = np.flatnonzero(states == 2 * slot + 1)
            k = set_ids[u, slot]
            t = int(ts[set_best[k, ts].argmax()])  # the slot's peak frame
            c = int(set_arg[k, t])
            text.append(alphabet[c])
            confs.append(float(probs[t, c + 1]))
            frames.append(t)
        greedy = float(lp.max(-1).sum())
        return FormatPath("".join(text), confs, frames, float(ends[u].max()) - greedy, self.countries[keep[u]])


def _viterbi(emit: np.ndarray, stay_cost: np.ndarray, skip_cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CTC Viterbi over U state chains at once (emissions T x U x S): stay, step to the next
    state, or skip the blank between two slots (costs T x U x S: 0 where allowed, else NEG).
    Returns final scores (U x S) and back-steps (T x U x S: 0, 1 or 2)."""
    T, U, S = emit.shape
    padded = np.full((U, S + 2), NEG, np.float32)  # two impossible states before the first
    padded[:, 2:4] = emit[0, :, :2]
    score, step, skip = padded[:, 2:], padded[:, 1:-1], padded[:, :-2]
    back = np.zeros((T, U, S), np.int8)
    for t in range(1, T):
        stay, jump = score + stay_cost[t], skip + skip_cost[t]
        moved = step > stay
        best = np.where(moved, step, stay)
        jumped = jump > best
        back[t] = np.where(jumped, 2, moved)
        score[:] = np.where(jumped, jump, best) + emit[t]
    return score.copy(), back
