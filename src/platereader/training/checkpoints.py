"""What the training loops share: optimiser, schedule, checkpoints, resume, and the step loop of
the detector and the corner finder."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
from tqdm import tqdm

from platereader.models import load_model_config

Config = TypeVar("Config")


def start_run(threads: int, seed: int, config_name: str | Path, expected: type[Config], what: str) -> Config:
    """Set torch's threads and seed (a repeatable run) and load the config ``config_name``, which
    must be an ``expected`` (a ValueError naming it as not a ``what`` config otherwise)."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    config = load_model_config(config_name)
    if type(config) is not expected:  # a country config is a corner config too, but not a corner finder
        raise ValueError(f"{config_name}: not a {what} config")
    return config


def optimiser_and_schedule(model: torch.nn.Module, lr: float, steps: int, warmup: float):
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=warmup)
    return optimizer, scheduler


def optimise_from(opts, model: torch.nn.Module, warmup: float, init: Path | None = None):
    """``model``'s optimiser and one-cycle schedule over ``opts.steps``, continued from
    ``opts.out/last.pt`` with ``opts.resume`` (``opts.history`` then continues its record) or
    started from ``init`` weights; and the step reached and the seconds already spent."""
    optimizer, scheduler = optimiser_and_schedule(model, opts.lr, opts.steps, warmup)
    step, elapsed_before, history = restore(opts.out, opts.steps, opts.resume, init, model, optimizer, scheduler)
    if history is not None:
        opts.history = history
    return optimizer, scheduler, step, elapsed_before


def optimiser_step(loss: torch.Tensor, model: torch.nn.Module, optimizer, scheduler, max_grad_norm: float) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    scheduler.step()


def save_checkpoint(opts, model, optimizer, scheduler, config, step: int, elapsed: float, **extra) -> None:
    """``opts.out/last.pt``: what ``restore`` needs to resume, plus the run's options and history."""
    state = {
        **extra,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "step": step,
        "elapsed": elapsed,
        "history": opts.history,
        "config": config.model_dump(),
        "options": {k: str(v) for k, v in asdict(opts).items() if k != "history"},
    }
    torch.save(state, opts.out / "last.pt")


def restore(out: Path, steps: int, resume: bool, init: Path | None, model, optimizer, scheduler) -> tuple[int, float, list[dict] | None]:
    """Continue ``out/last.pt`` (``resume``) or start from ``init`` weights.

    Returns the step reached, the seconds already spent and the validation history (None when
    starting afresh).
    """
    last = out / "last.pt"
    if resume and last.exists():
        state = torch.load(last, weights_only=False)
        if state["scheduler"]["total_steps"] != steps:
            raise ValueError(f"{last} was a {state['scheduler']['total_steps']}-step run; resume it with the same --steps")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        return state["step"], state["elapsed"], state["history"]
    if init:
        load_init(init, model)
    return 0, 0.0, None


def load_init(init: Path, model) -> None:
    """Load ``train --init`` weights into ``model``."""
    try:
        weights = torch.load(init, weights_only=False)["model"]
        # A model may take weights of a near relative (e.g. fewer CTC steps per column).
        model.load_state_dict(model.adapt_init(weights) if hasattr(model, "adapt_init") else weights)
    except RuntimeError as exc:  # shapes differ: another architecture
        raise ValueError(f"{init}: weights of another model than the one configured ({str(exc).splitlines()[0]})") from None


def run_steps(
    opts,
    model,
    optimizer,
    scheduler,
    config,
    *,
    kind: str,
    step: int,
    elapsed_before: float,
    batch_loss: Callable[[np.random.Generator], torch.Tensor],
    validate: Callable[[], dict],
    loss_digits: int = 3,
) -> dict:
    """Train from ``step`` to ``opts.steps`` (or ``opts.stop_after``): one optimiser step on each
    ``batch_loss(rng)``. Every ``opts.eval_every`` steps and at the last, a record with
    ``validate()``'s figures goes into ``opts.history`` and ``opts.out/last.pt`` is saved. Writes
    ``opts.out/summary.json`` and returns it."""
    rng = np.random.default_rng([opts.seed, step])
    start = time.time()
    last = min(opts.steps, opts.stop_after or opts.steps)
    bar = tqdm(total=opts.steps, initial=step, desc=f"train-{kind}", unit="step")
    model.train()
    while step < last:
        loss = batch_loss(rng)
        optimiser_step(loss, model, optimizer, scheduler, max_grad_norm=10.0)
        step += 1
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.{loss_digits}f}")
        if step % opts.eval_every == 0 or step == last:
            record = {"step": step, "loss": round(loss.item(), 4), "minutes": round((elapsed_before + time.time() - start) / 60, 1)}
            record.update(validate())
            opts.history.append(record)
            bar.write(json.dumps(record))
            save_checkpoint(opts, model, optimizer, scheduler, config, step, elapsed_before + time.time() - start, kind=kind)
    bar.close()
    minutes = round((elapsed_before + time.time() - start) / 60, 1)
    summary = {"config": config.name, "steps": step, "minutes": minutes, "history": opts.history}
    (opts.out / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary
