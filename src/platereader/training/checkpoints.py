"""What the recognizer and detector training loops share: optimiser, schedule, checkpoints, resume."""

from __future__ import annotations

from pathlib import Path

import torch


def optimiser_and_schedule(model: torch.nn.Module, lr: float, steps: int, warmup: float):
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=warmup)
    return optimizer, scheduler


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
        try:
            model.load_state_dict(torch.load(init, weights_only=False)["model"])
        except RuntimeError as exc:  # shapes differ: another architecture
            raise ValueError(f"{init}: weights of another model than the one configured ({str(exc).splitlines()[0]})") from None
    return 0, 0.0, None
