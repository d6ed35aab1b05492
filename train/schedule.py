"""Learning-rate schedules as multipliers of the peak rate, for ``torch.optim.lr_scheduler.LambdaLR``.

Linear warm-up over ``warmup_steps`` optimizer steps, then constant, cosine decay to 0 or
linear decay to 0 at ``total_steps``.
"""

from __future__ import annotations

import math
from typing import Callable

SCHEDULES = ("constant", "cosine", "linear")


def lr_multiplier(schedule: str, warmup_steps: int, total_steps: int | None = None) -> Callable[[int], float]:
    """The multiplier applied at optimizer step ``step`` (0-based)."""
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown lr schedule {schedule!r}; expected one of {', '.join(SCHEDULES)}")
    if warmup_steps < 0:
        raise ValueError(f"warmup_steps must be >= 0, got {warmup_steps}")
    if schedule != "constant" and (total_steps is None or total_steps <= warmup_steps):
        raise ValueError(f"the {schedule} schedule needs total_steps (optimizer steps of the run) greater than "
                         f"warmup_steps ({warmup_steps}), got {total_steps}")

    def multiplier(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps  # the first step already moves: never an lr of 0
        if schedule == "constant":
            return 1.0
        progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
        if schedule == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * progress))
        return 1.0 - progress

    return multiplier
