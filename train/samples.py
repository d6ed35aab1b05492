"""Training samples and token-budget micro-batching.

A :class:`TrainSample` is one slice of a trajectory (see ``cuagym.scaffold.slicing``): the
tensors the model reads, which tokens are the policy's, the rollout engine's log-probs of
them, and what the loss needs to know about the whole trajectory the slice belongs to (its
id, its advantage and its total policy-token count).

Slices differ a lot in length (a slice right after a fold is short, the last slice before a
fold is long), so micro-batches are packed by a token budget instead of a fixed row count:
``pack_microbatches`` sorts by length and fills each micro-batch while
``rows x longest row`` stays within the budget; ``collate`` right-pads the rows (the model is
causal, so padding after a row's last token does not change that row's log-probs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Hashable, Sequence

import torch

from cuagym.scaffold import ContextBuilder, Slice, StepRecord, slice_trajectory


@dataclass(eq=False)  # identity equality: tensors have no single truth value
class TrainSample:
    """One training slice; every per-token tensor is [T], aligned with ``input_ids``.

    policy_mask: True on tokens the policy generated in this slice's steps.
    rollout_logprobs: the rollout engine's log-probs of those tokens (0 elsewhere).
    step_ids: the step that generated each token, -1 for prompt and environment tokens.
    pixel_values / image_grid_thw: the full-resolution screenshots of the context, or None.
    traj_id: the trajectory the slice belongs to; advantage: that trajectory's advantage;
    traj_num_tokens: policy tokens of the WHOLE trajectory (all its slices).
    """

    input_ids: torch.Tensor
    mm_token_type_ids: torch.Tensor
    policy_mask: torch.Tensor
    rollout_logprobs: torch.Tensor
    step_ids: torch.Tensor
    pixel_values: torch.Tensor | None
    image_grid_thw: torch.Tensor | None
    traj_id: Hashable
    advantage: float
    traj_num_tokens: int

    def __len__(self) -> int:
        return int(self.input_ids.shape[0])

    @property
    def num_policy_tokens(self) -> int:
        return int(self.policy_mask.sum())


def samples_from_trajectory(builder: ContextBuilder, instruction: str, screenshots: Sequence[Any],
                            steps: Sequence[StepRecord], advantage: float, traj_id: Hashable) -> list[TrainSample]:
    """The training samples of one trajectory: one per slice, each under the exact context
    the policy acted in."""
    slices = slice_trajectory(builder, instruction, screenshots, steps)
    total = sum(s.num_policy_tokens for s in slices)
    if total == 0:
        raise ValueError(f"trajectory {traj_id!r} has no generated tokens; expected at least one step "
                         "with generated ids")
    return [sample_from_slice(builder, sl, screenshots, advantage, traj_id, total) for sl in slices]


def sample_from_slice(builder: ContextBuilder, sl: Slice, screenshots: Sequence[Any], advantage: float,
                      traj_id: Hashable, traj_num_tokens: int) -> TrainSample:
    """One slice as a training sample (``traj_num_tokens``: the whole trajectory's policy tokens)."""
    inputs = builder.model_inputs(sl.context, screenshots)
    mask = torch.tensor(sl.policy_mask, dtype=torch.bool)
    rollout = torch.tensor(sl.context.old_logprobs, dtype=torch.float32)
    return TrainSample(
        input_ids=inputs["input_ids"][0],
        mm_token_type_ids=inputs["mm_token_type_ids"][0],
        policy_mask=mask,
        rollout_logprobs=torch.where(mask, rollout, torch.zeros_like(rollout)),
        step_ids=torch.tensor(sl.context.step_ids, dtype=torch.long),
        pixel_values=inputs.get("pixel_values"),
        image_grid_thw=inputs.get("image_grid_thw"),
        traj_id=traj_id,
        advantage=float(advantage),
        traj_num_tokens=int(traj_num_tokens),
    )


def _check_budget(token_budget: int) -> None:
    if not isinstance(token_budget, int) or token_budget < 1:
        raise ValueError(f"token_budget must be a positive integer (tokens per micro-batch), got {token_budget!r}")


def pack_microbatches(samples: Sequence[TrainSample], token_budget: int) -> list[list[TrainSample]]:
    """Group samples so each group's padded size (rows x longest row) is at most ``token_budget``.

    Samples are taken longest first, so each group's first row sets its width and the rows
    that follow are as close to it as possible. A sample longer than the budget on its own
    forms a group of one (it cannot be split without changing its context).
    """
    _check_budget(token_budget)
    order = sorted(range(len(samples)), key=lambda i: (-len(samples[i]), i))
    groups: list[list[TrainSample]] = []
    width = 0
    for i in order:
        s = samples[i]
        if groups and (len(groups[-1]) + 1) * width <= token_budget:
            groups[-1].append(s)
        else:
            groups.append([s])
            width = len(s)
    return groups


def fixed_microbatches(samples: Sequence[TrainSample], rows: int) -> list[list[TrainSample]]:
    """The baseline without packing: consecutive groups of ``rows`` samples in the given order."""
    if not isinstance(rows, int) or rows < 1:
        raise ValueError(f"rows must be a positive integer, got {rows!r}")
    return [list(samples[i:i + rows]) for i in range(0, len(samples), rows)]


def padding_fraction(groups: Sequence[Sequence[TrainSample]]) -> float:
    """Share of the padded slots (sum over groups of rows x longest row) that are padding."""
    slots = sum(len(g) * max(len(s) for s in g) for g in groups if g)
    real = sum(len(s) for g in groups for s in g)
    return 0.0 if slots == 0 else 1.0 - real / slots


def pad_rows(rows: Sequence[torch.Tensor], fill: float | int | bool, width: int | None = None) -> torch.Tensor:
    """Stack 1-D tensors into [B, width], right-padded with ``fill``."""
    width = max(int(r.shape[0]) for r in rows) if width is None else width
    out = torch.full((len(rows), width), fill, dtype=rows[0].dtype)
    for b, r in enumerate(rows):
        out[b, : r.shape[0]] = r
    return out


@dataclass
class MicroBatch:
    """A collated micro-batch: ``inputs`` are the model's keyword arguments; the rest [B, T]."""

    inputs: dict[str, torch.Tensor]
    policy_mask: torch.Tensor
    rollout_logprobs: torch.Tensor
    step_ids: torch.Tensor
    samples: list[TrainSample]

    @property
    def real_tokens(self) -> int:
        return int(self.inputs["attention_mask"].sum())

    @property
    def padded_tokens(self) -> int:
        return int(self.inputs["attention_mask"].numel())


def collate(samples: Sequence[TrainSample], pad_token_id: int) -> MicroBatch:
    """Right-pad the rows and concatenate the screenshots in row order."""
    if not samples:
        raise ValueError("collate needs at least one sample")
    inputs = {
        "input_ids": pad_rows([s.input_ids for s in samples], pad_token_id),
        "attention_mask": pad_rows([torch.ones(len(s), dtype=torch.long) for s in samples], 0),
        "mm_token_type_ids": pad_rows([s.mm_token_type_ids for s in samples], 0),
    }
    with_images = [s for s in samples if s.pixel_values is not None]
    if with_images:
        inputs["pixel_values"] = torch.cat([s.pixel_values for s in with_images])
        inputs["image_grid_thw"] = torch.cat([s.image_grid_thw for s in with_images])
    return MicroBatch(
        inputs=inputs,
        policy_mask=pad_rows([s.policy_mask for s in samples], False),
        rollout_logprobs=pad_rows([s.rollout_logprobs for s in samples], 0.0),
        step_ids=pad_rows([s.step_ids for s in samples], -1),
        samples=list(samples),
    )
