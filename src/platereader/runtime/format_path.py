"""The most probable CTC path that spells a registration of some country format (numpy only).

Greedy decoding takes the best character (or blank) at every frame, so a character the network
rated just under "nothing here" is dropped and the read comes out one short: often a privacy box
at the plate's edge, or a faint character. When the greedy read fits no format, a Viterbi pass
over the CTC lattice finds the best path whose characters fill the slots of a format, each from the
characters that slot allows; how much less probable that path is than the greedy one says
whether to believe it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

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


@dataclass
class _Trie:
    """The slot sequences within a length window as a prefix tree: sequences that start alike share
    their first states, so one Viterbi pass scores all of them on about a quarter of the states a
    padded chain per sequence needs. State 0 is the blank before any slot; slot node j has state
    1 + 2j (its character) and 2 + 2j (the blank after it)."""

    keep: np.ndarray  # U: indices of the sequences in the window
    node_set: np.ndarray  # N: each slot node's character set (row of SlotSequences.set_masks)
    paths: list[list[int]]  # U: each sequence's slot nodes, first to last
    step_from: np.ndarray  # S: the state a path steps from into each state (S: none)
    skip_from: np.ndarray  # S: the slot a path comes from with no blank between (S: none)
    skippers: np.ndarray  # slot nodes with a slot before them
    skip_parents: np.ndarray  # the slot node before each of them
    path_ends: np.ndarray  # U: each sequence's last slot node
    first_slots: np.ndarray  # states of the slot nodes a path may start on

    @classmethod
    def build(cls, keep: np.ndarray, set_ids: list[tuple[int, ...]]) -> _Trie:
        nodes: dict[tuple[int, ...], int] = {}
        node_set: list[int] = []
        parent: list[int] = []
        paths = []
        for u in keep:
            path = []
            for depth in range(len(set_ids[u])):
                prefix = set_ids[u][: depth + 1]
                if prefix not in nodes:
                    nodes[prefix] = len(node_set)
                    node_set.append(prefix[-1])
                    parent.append(path[-1] if path else -1)
                path.append(nodes[prefix])
            paths.append(path)
        n = len(node_set)
        parents = np.array(parent, int)
        slots = 1 + 2 * np.arange(n)
        none = 2 * n + 1
        step_from = np.full(none, none)
        step_from[slots] = np.where(parents >= 0, 2 + 2 * parents, 0)  # from the blank before
        step_from[slots + 1] = slots  # a blank after its slot
        skip_from = np.full(none, none)
        skippers = np.flatnonzero(parents >= 0)
        skip_from[slots[skippers]] = 1 + 2 * parents[skippers]
        return cls(
            keep=np.asarray(keep),
            node_set=np.array(node_set, int),
            paths=paths,
            step_from=step_from,
            skip_from=skip_from,
            skippers=skippers,
            skip_parents=parents[skippers],
            path_ends=np.array([path[-1] for path in paths], int),
            first_slots=slots[parents < 0],
        )

    def chain_states(self, u: int) -> np.ndarray:
        """Trie state of each state of sequence ``u``'s own chain (blank, slot 0, blank, slot 1, ...)."""
        path = np.array(self.paths[u], int)
        return np.concatenate([[0], np.stack([1 + 2 * path, 2 + 2 * path], 1).ravel()])


class SlotSequences:
    """Every distinct slot sequence of a grammar, for Viterbi passes over the CTC lattice."""

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
        self.set_masks, inverse = np.unique(np.concatenate(unique), axis=0, return_inverse=True)
        bounds = np.cumsum([0, *self.lengths])
        self.set_ids = [tuple(int(k) for k in inverse[a:b]) for a, b in pairwise(bounds)]
        self._tries: dict[int | None, _Trie | None] = {}

    def _trie(self, near: int | None) -> _Trie | None:
        """The prefix tree of the sequences at most MAX_LENGTH_CHANGE from ``near`` long (all: None)."""
        if near not in self._tries:
            keep = np.arange(len(self.lengths)) if near is None else np.flatnonzero(np.abs(self.lengths - near) <= MAX_LENGTH_CHANGE)
            self._tries[near] = _Trie.build(keep, self.set_ids) if len(keep) else None
        return self._tries[near]

    def best_path(self, probs: np.ndarray, alphabet: str, near: int | None = None) -> FormatPath | None:
        """The most probable path (T x C probabilities, blank 0) that fits a slot sequence, among
        sequences at most MAX_LENGTH_CHANGE characters longer or shorter than ``near`` if given."""
        return self.best_paths(probs[None], alphabet, [near])[0]

    def best_paths(self, probs: np.ndarray, alphabet: str, nears: Sequence[int | None]) -> list[FormatPath | None]:
        """``best_path`` of each of N outputs (N x T x C), one Viterbi pass for all with one ``near``:
        a second look reads a crop in several views, and numpy's per-call cost dominates one pass."""
        out: list[FormatPath | None] = [None] * len(probs)
        for near in dict.fromkeys(nears):
            rows = [i for i, n in enumerate(nears) if n == near]
            trie = self._trie(near)
            if trie is not None:
                for i, path in zip(rows, self._best_in_trie(trie, probs[rows], alphabet), strict=True):
                    out[i] = path
        return out

    def _best_in_trie(self, trie: _Trie, probs: np.ndarray, alphabet: str) -> list[FormatPath | None]:
        N, T = probs.shape[:2]
        lp = np.log(np.maximum(probs, 1e-12)).astype(np.float32)  # N x T x C
        chars = np.where(self.set_masks[:, None, None, :], lp[None, :, :, 1:], NEG)  # K x N x T x A
        set_arg = chars.argmax(-1)  # K x N x T
        set_best = np.take_along_axis(chars, set_arg[..., None], -1)[..., 0]
        S = 2 * len(trie.node_set) + 1
        emit = np.empty((T, N, S), np.float32)
        emit[:, :, 0::2] = lp[:, :, :1].transpose(1, 0, 2)
        emit[:, :, 1::2] = set_best[trie.node_set].transpose(2, 1, 0)
        # Each slot's character is the best its slot allows, frame by frame; a path may hold a
        # slot only while that character stays the same (one character per slot), and go from
        # slot to slot with no blank between only for different characters (CTC merges repeats).
        node_chars = set_arg[trie.node_set]  # nodes x N x T
        stay_cost = np.zeros((T, N, S), np.float32)
        stay_cost[1:, :, 1::2] = np.where(node_chars[..., 1:] == node_chars[..., :-1], 0.0, NEG).transpose(2, 1, 0)
        skip_cost = np.full((T, N, S), NEG, np.float32)
        before, after = node_chars[trie.skip_parents, :, :-1], node_chars[trie.skippers, :, 1:]
        skip_cost[1:, :, 1 + 2 * trie.skippers] = np.where(before != after, 0.0, NEG).transpose(2, 1, 0)
        score, back = _viterbi(emit, stay_cost, skip_cost, trie)
        ends = np.stack([score[:, 2 + 2 * trie.path_ends], score[:, 1 + 2 * trie.path_ends]], -1)  # N x U x (blank, slot)
        choices = (ends.max(-1) + self.log_priors[trie.keep]).argmax(-1)
        return [
            self._traced(trie, int(u), ends[n, u], back[:, n], probs[n], lp[n], set_arg[:, n], set_best[:, n], alphabet)
            for n, u in enumerate(choices)
        ]

    def _traced(
        self,
        trie: _Trie,
        u: int,
        ends: np.ndarray,
        back: np.ndarray,
        probs: np.ndarray,
        lp: np.ndarray,
        set_arg: np.ndarray,
        set_best: np.ndarray,
        alphabet: str,
    ) -> FormatPath | None:
        """Sequence ``u``'s best path, traced back from its better end state (``ends``: last blank, last slot)."""
        if ends.max() <= NEG / 2:
            return None  # too few frames for any format
        length = int(self.lengths[trie.keep[u]])
        to_trie = trie.chain_states(u)
        state = 2 * length - int(ends.argmax())
        states = np.empty(len(back), int)
        for t in range(len(back) - 1, -1, -1):
            states[t] = state
            state -= int(back[t, to_trie[state]])
        set_ids = self.set_ids[trie.keep[u]]
        text, confs, frames = [], [], []
        for slot in range(length):
            ts = np.flatnonzero(states == 2 * slot + 1)
            k = set_ids[slot]
            t = int(ts[set_best[k, ts].argmax()])  # the slot's peak frame
            c = int(set_arg[k, t])
            text.append(alphabet[c])
            confs.append(float(probs[t, c + 1]))
            frames.append(t)
        greedy = float(lp.max(-1).sum())
        return FormatPath("".join(text), confs, frames, float(ends.max()) - greedy, self.countries[trie.keep[u]])


def _viterbi(emit: np.ndarray, stay_cost: np.ndarray, skip_cost: np.ndarray, trie: _Trie) -> tuple[np.ndarray, np.ndarray]:
    """CTC Viterbi over the trie's states for N outputs at once (emissions T x N x S): stay, step
    from the state before, or skip the blank between two slots (costs T x N x S: 0 where allowed,
    else NEG). Returns the final scores (N x S) and back-steps (T x N x S: 0 stay, 1 step, 2 skip,
    as along a sequence's own chain)."""
    T, N, S = emit.shape
    scores = np.full((N, S + 1), NEG, np.float32)  # the last column: the impossible state "none"
    scores[:, 0] = emit[0, :, 0]
    scores[:, trie.first_slots] = emit[0][:, trie.first_slots]
    back = np.zeros((T, N, S), np.int8)
    for t in range(1, T):
        score = scores[:, :S]
        stay, step, jump = score + stay_cost[t], scores[:, trie.step_from], scores[:, trie.skip_from] + skip_cost[t]
        moved = step > stay
        best = np.where(moved, step, stay)
        jumped = jump > best
        back[t] = np.where(jumped, 2, moved)
        scores[:, :S] = np.where(jumped, jump, best) + emit[t]
    return scores[:, :S].copy(), back
