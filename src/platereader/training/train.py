"""Train the recognizer on generated plates (and optionally a user's labelled crops) on a CPU.

Validation runs every ``eval_every`` steps on held-out generated plates and, when present, on
the real dev subsets; checkpoints go to ``out/last.pt`` and a run resumes from there.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from platereader.evaluation import LabelledCrop, score
from platereader.models import build_model, load_model_config
from platereader.models.config import ModelConfig
from platereader.runtime.decode import Decoded, best_layout, decode_batch, layout_score
from platereader.runtime.preprocess import normalize
from platereader.training.cache import load_cache, sample_kinds
from platereader.training.checkpoints import load_init, optimise_from, optimiser_step, save_checkpoint
from platereader.training.data import augment, encode_targets, load_labelled_folder
from platereader.training.devsets import DevSet, load_dev_sets

DEFAULT_CONFIG = "ctc_ctx_s2"  # the shipped recognizer's architecture
# NHWC convolutions: 27% more training steps per second than NCHW on this 2-core AVX2 CPU
# (2.98 vs 2.34 steps/s, ctc_ctx, batch 128); the weights and the exported model are unchanged.
CHANNELS_LAST = torch.channels_last


@dataclass
class TrainOptions:
    out: Path
    cache: Path
    val_cache: Path | None = None
    config: str | ModelConfig | None = None  # name, YAML path or config; None: the --init checkpoint's, else DEFAULT_CONFIG
    steps: int = 5000
    batch_size: int = 128
    lr: float = 3e-3
    seed: int = 0
    eval_every: int = 500
    init: Path | None = None  # start from these weights (fine-tuning)
    data: Path | None = None  # user's labelled crops to mix in
    data_share: float = 0.5  # share of each batch taken from ``data``
    # Shares of the cache's empty-target crops to train on: illegible plates, and crops with no plate.
    # Illegible plates taught as "nothing here" make the network drop characters it is unsure of
    # (readable generated plates: 52% vs 77% exact after 1,500 steps; MODEL_CARD.md), so by default
    # only the plate-free crops teach the "no readable plate" answer.
    unreadable_share: float = 0.0
    negative_share: float = 1.0
    jitter: bool = True  # photometric jitter per batch (augment), on top of the generator's degradations
    # Share of each batch drawn from the crops the --init model finds hardest: the ``hard_pool``
    # share of readable cache crops with the highest CTC loss per character under the starting
    # weights, ranked once before training.
    hard_share: float = 0.0
    hard_pool: float = 0.2
    dev_root: Path | None = None
    threads: int = 2
    resume: bool = False
    stop_after: int | None = None  # stop (resumably) at this step, e.g. to share the machine
    history: list = field(default_factory=list)


def _predict(model: torch.nn.Module, images: np.ndarray, alphabet: str, batch: int = 256) -> list[Decoded]:
    model.eval()
    reads: list[Decoded] = []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = torch.from_numpy(normalize(images[i : i + batch])[:, None]).contiguous(memory_format=CHANNELS_LAST)
            reads.extend(decode_batch(model(x).exp().numpy(), alphabet))
    model.train()
    return reads


def _read_dev(model: torch.nn.Module, ds: DevSet, alphabet: str) -> list[str]:
    """The dev crops read as at run time: possible two-row crops both ways, the better read kept."""
    reads = _predict(model, ds.images, alphabet)
    if ds.two_row_images is not None:
        for i, unfolded in zip(ds.two_row_index, _predict(model, ds.two_row_images, alphabet), strict=True):
            scores = [layout_score(r.char_confidences) for r in (reads[i], unfolded)]
            reads[i] = (reads[i], unfolded)[best_layout(scores)]
    return [r.text for r in reads]


def evaluate(model, alphabet: str, val: tuple[np.ndarray, list[dict]] | None, dev: list[DevSet]) -> dict[str, float]:
    """``synthetic``: readable generated plates read exactly; ``synthetic_no_plate``: plate-free
    generated crops answered empty; then each dev subset."""
    results: dict[str, float] = {}
    if val is not None:
        images, labels = val
        reads = [r.text for r in _predict(model, images, alphabet)]
        exact = np.array([r == row["target"] for r, row in zip(reads, labels, strict=True)])
        readable, no_plate = sample_kinds(labels)
        if readable.any():
            results["synthetic"] = float(exact[readable].mean())
        if no_plate.any():
            results["synthetic_no_plate"] = float(exact[no_plate].mean())
    for ds in dev:
        report = score(ds.items, _read_dev(model, ds, alphabet))
        results[ds.name] = report.visible_char_accuracy if ds.masked else report.exact
    return results


def _keep_indices(labels: list[dict], unreadable_share: float, negative_share: float, seed: int) -> np.ndarray:
    """All readable samples plus seeded shares of the empty-target ones: illegible plates (a ``text``
    but no ``target``), and crops with no plate at all (no ``text``)."""
    readable, no_plate = sample_kinds(labels)
    share = np.where(no_plate, negative_share, unreadable_share)
    chosen = np.random.default_rng([seed, 7]).random(len(labels)) < share
    return np.flatnonzero(readable | chosen)


def _batch_indices(step: int, batch: int, n: int, seed: int) -> np.ndarray:
    """Deterministic epoch-wise shuffling, so a resumed run sees the same batches."""
    start = step * batch
    epoch, offset = divmod(start, n)
    order = np.random.default_rng([seed, epoch]).permutation(n)
    idx = order[offset : offset + batch]
    if len(idx) < batch:
        idx = np.concatenate([idx, np.random.default_rng([seed, epoch + 1]).permutation(n)[: batch - len(idx)]])
    return idx


def _ctc_loss(ctc: torch.nn.CTCLoss, log_probs: torch.Tensor, texts: list[str], alphabet: str) -> torch.Tensor:
    """CTC loss of N x T x C log-probabilities against ``texts``, every output all T steps long."""
    flat, lengths = encode_targets(texts, alphabet)
    steps = torch.full((len(texts),), log_probs.shape[1], dtype=torch.long)
    return ctc(log_probs.permute(1, 0, 2), torch.from_numpy(flat), steps, torch.from_numpy(lengths))


def _hardest(model: torch.nn.Module, images: np.ndarray, targets: list[str], alphabet: str, pool: float, batch: int = 256) -> np.ndarray:
    """Indices of the ``pool`` share of crops with a target whose CTC loss per character is highest."""
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True, reduction="none")
    readable = np.flatnonzero([bool(t) for t in targets])
    losses = np.empty(len(readable), np.float32)
    model.eval()
    with torch.no_grad():
        for i in tqdm(range(0, len(readable), batch), desc="rank crops", unit="batch"):
            idx = readable[i : i + batch]
            x = torch.from_numpy(normalize(images[idx])[:, None]).contiguous(memory_format=CHANNELS_LAST)
            texts = [targets[j] for j in idx]
            loss = _ctc_loss(ctc, model(x), texts, alphabet)
            losses[i : i + len(idx)] = (loss / torch.tensor([len(t) for t in texts])).numpy()
    model.train()
    keep = max(1, round(pool * len(readable)))
    return np.sort(readable[np.argsort(-losses, kind="stable")[:keep]])


def resolve_model_config(config: str | ModelConfig | None, init: Path | None) -> ModelConfig:
    """The model to train: as named, else the architecture of the weights fine-tuned from."""
    if isinstance(config, ModelConfig):
        return config
    if config:
        return load_model_config(config)
    if init:
        try:
            return ModelConfig.model_validate(torch.load(init, weights_only=False)["config"])
        except (OSError, KeyError, TypeError, RuntimeError, ValueError) as exc:
            raise ValueError(f"{init}: not a recognizer checkpoint with its config ({exc})") from None
    return load_model_config(DEFAULT_CONFIG)


def train(opts: TrainOptions) -> dict:
    torch.set_num_threads(opts.threads)
    torch.manual_seed(opts.seed)
    config = resolve_model_config(opts.config, opts.init)
    model = build_model(config).to(memory_format=CHANNELS_LAST)
    images, labels = load_cache(opts.cache, (config.input_height, config.input_width), config.name)
    keep = _keep_indices(labels, opts.unreadable_share, opts.negative_share, opts.seed)
    images = np.ascontiguousarray(images[keep])  # into memory: the cache is read many times
    targets = [labels[i]["target"] for i in keep]
    val = None
    if opts.val_cache:
        vi, vl = load_cache(opts.val_cache)
        val = (np.ascontiguousarray(vi), vl)
    user = load_labelled_folder(opts.data, config.input_width, config.input_height, config.alphabet) if opts.data else None
    dev = load_dev_sets(opts.dev_root, config.input_width, config.input_height) if opts.dev_root else []

    hard = None
    if opts.hard_share:
        if not opts.init:
            raise ValueError("--hard-share needs --init weights: crops are ranked by the starting model's loss")
        ranker = build_model(config).to(memory_format=CHANNELS_LAST)
        load_init(opts.init, ranker)
        hard = _hardest(ranker, images, targets, config.alphabet, opts.hard_pool)

    opts.out.mkdir(parents=True, exist_ok=True)
    optimizer, scheduler, step, elapsed_before = optimise_from(opts, model, warmup=0.08, init=opts.init)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)

    rng = np.random.default_rng([opts.seed, step])
    start = time.time()
    n_user = round(opts.batch_size * opts.data_share) if user else 0
    n_hard = round((opts.batch_size - n_user) * opts.hard_share) if hard is not None else 0
    bar = tqdm(total=opts.steps, initial=step, desc="train", unit="step")
    model.train()
    last = min(opts.steps, opts.stop_after or opts.steps)
    while step < last:
        idx = _batch_indices(step, opts.batch_size - n_user - n_hard, len(images), opts.seed)
        if n_hard:
            idx = np.concatenate([idx, hard[_batch_indices(step, n_hard, len(hard), opts.seed + 2)]])
        batch_images = images[idx]
        batch_text = [targets[i] for i in idx]
        if user:
            uidx = _batch_indices(step, n_user, len(user[0]), opts.seed + 1)
            batch_images = np.concatenate([batch_images, user[0][uidx]])
            batch_text += [user[1][i] for i in uidx]
        pixels = augment(batch_images, rng) if opts.jitter else batch_images
        x = torch.from_numpy(normalize(pixels)[:, None]).contiguous(memory_format=CHANNELS_LAST)
        loss = _ctc_loss(ctc, model(x), batch_text, config.alphabet)
        optimiser_step(loss, model, optimizer, scheduler, max_grad_norm=5.0)
        step += 1
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.3f}", lr=f"{scheduler.get_last_lr()[0]:.1e}")
        if step % opts.eval_every == 0 or step == last:
            results = evaluate(model, config.alphabet, val, dev)
            elapsed = elapsed_before + time.time() - start
            opts.history.append(
                {
                    "step": step,
                    "loss": round(loss.item(), 4),
                    "minutes": round(elapsed / 60, 1),
                    **{k: round(v, 4) for k, v in results.items()},
                }
            )
            bar.write(json.dumps(opts.history[-1]))
            save_checkpoint(opts, model, optimizer, scheduler, config, step, elapsed)
    bar.close()
    summary = {
        "config": config.name,
        "steps": step,
        "minutes": round((elapsed_before + time.time() - start) / 60, 1),
        "history": opts.history,
    }
    (opts.out / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


__all__ = ["LabelledCrop", "TrainOptions", "evaluate", "resolve_model_config", "train"]
