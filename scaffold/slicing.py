"""Slice a trajectory into training samples, one per run of steps between folds.

Within a run the context only grows, so the context of the run's last step followed by
that step's generation contains, in order and under their exact contexts, the generations
of every step of the run. One forward pass over it scores all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from cuagym.scaffold.context import Context, ContextBuilder, StepRecord
from cuagym.scaffold.fold import fold_boundaries


@dataclass
class Slice:
    """A training sample: a context whose policy tokens are the generations of steps [start, end)."""

    start: int
    end: int
    context: Context

    @property
    def policy_mask(self) -> list[int]:
        return [1 if self.start <= s < self.end else 0 for s in self.context.step_ids]

    @property
    def num_policy_tokens(self) -> int:
        return sum(self.policy_mask)


def slice_trajectory(builder: ContextBuilder, instruction: str, screenshots: Sequence[Any],
                     steps: Sequence[StepRecord]) -> list[Slice]:
    """Training slices covering every step of a trajectory exactly once.

    ``screenshots[k]`` is the observation step k acted on; a final observation after the last
    step may be present (it is never part of a training context).
    """
    if len(screenshots) < len(steps):
        raise ValueError(f"{len(steps)} steps need at least {len(steps)} screenshots, got {len(screenshots)}")
    out = []
    for start, end in fold_boundaries(len(steps), builder.image_max, builder.fold_size):
        last = end - 1
        ctx = builder.build(instruction, screenshots[: last + 1], steps[:last])
        builder.add_generation(ctx, last, steps[last])
        out.append(Slice(start, end, ctx))
    return out
