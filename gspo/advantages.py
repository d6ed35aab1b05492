"""Group-normalised advantages: each rollout's reward against the other rollouts of its task.

For a group of G rollouts of one task with rewards r_1..r_G,

    A_i = (r_i - mean(r)) / (std(r) + eps)        (normalize_std=True)
    A_i =  r_i - mean(r)                          (normalize_std=False)

A group whose rewards are all equal (all solved, or all failed) carries no learning signal:
its advantages are exactly 0, and it is counted, because a high share of such groups means
the task mix is too easy or too hard for the current policy.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import torch

from cuagym.gspo.ratios import shape_of

GroupIds = torch.Tensor | Sequence[Hashable]


def _as_rewards(rewards: torch.Tensor | Sequence[float]) -> torch.Tensor:
    r = rewards if isinstance(rewards, torch.Tensor) else torch.as_tensor(rewards)
    if not r.is_floating_point():
        r = r.to(torch.get_default_dtype())
    r = r.detach()
    if r.dim() not in (1, 2):
        raise ValueError(
            f"rewards must have shape [N] (with group_ids) or [num_groups, G], got shape {shape_of(r)}")
    if r.numel() == 0:
        raise ValueError("rewards is empty; expected at least one rollout")
    if not bool(torch.isfinite(r).all()):
        raise ValueError("rewards contains NaN or infinite values; expected finite rewards")
    return r


def _group_index(rewards: torch.Tensor, group_ids: GroupIds | None) -> torch.Tensor:
    """Dense group index in 0..num_groups-1 for each of the N flattened rewards: [N] long."""
    if rewards.dim() == 2:
        if group_ids is not None:
            raise ValueError(
                f"rewards of shape {shape_of(rewards)} are already grouped by row; pass group_ids=None")
        num_groups, group_size = rewards.shape
        return torch.arange(num_groups, device=rewards.device).repeat_interleave(group_size)
    if group_ids is None:
        raise ValueError(
            f"rewards of shape {shape_of(rewards)} need group_ids of shape [N] "
            f"(or pass rewards as [num_groups, G])")
    if isinstance(group_ids, torch.Tensor):
        if group_ids.is_floating_point() or group_ids.is_complex():
            raise ValueError(f"group_ids must be an integer tensor, got dtype {group_ids.dtype}")
        ids = group_ids.to(rewards.device)
    else:
        # Any hashable labels (task ids as strings, tuples, ...) map to dense integers.
        dense: dict[Hashable, int] = {}
        ids = torch.tensor([dense.setdefault(g, len(dense)) for g in group_ids], dtype=torch.long,
                           device=rewards.device)
    if ids.shape != rewards.shape:
        raise ValueError(
            f"group_ids has shape {shape_of(ids)} but rewards has shape {shape_of(rewards)}; "
            f"expected one group id per reward")
    return torch.unique(ids, return_inverse=True)[1]


def _group_moments(r: torch.Tensor, index: torch.Tensor, unbiased: bool):
    """Per-group mean, std and a zero-variance flag, each gathered back to [N]."""
    num_groups = int(index.max().item()) + 1
    counts = torch.bincount(index, minlength=num_groups).to(r.dtype)              # [K]
    sums = torch.zeros(num_groups, dtype=r.dtype, device=r.device).index_add_(0, index, r)
    mean = sums / counts                                                          # [K]
    dev = r - mean[index]                                                         # [N]
    sq = torch.zeros_like(mean).index_add_(0, index, dev * dev)
    dof = (counts - 1.0).clamp(min=1.0) if unbiased else counts
    std = (sq / dof).sqrt()                                                       # [K]
    # Zero variance is decided on exact equality, not on std < tol, so a group like
    # [0.3, 0.3, 0.3] counts even when its float mean is not exactly 0.3. A lone rollout
    # has no group to compare with and counts as zero variance too.
    gmax = torch.full_like(mean, -torch.inf).scatter_reduce(0, index, r, "amax")
    gmin = torch.full_like(mean, torch.inf).scatter_reduce(0, index, r, "amin")
    zero_var = (gmax == gmin) | (counts < 2)                                      # [K]
    return mean[index], std[index], zero_var, index


def zero_variance_mask(rewards: torch.Tensor | Sequence[float], group_ids: GroupIds | None = None
                       ) -> torch.Tensor:
    """Bool tensor shaped like ``rewards``: True for rollouts whose group's rewards are all equal.

    The training driver uses it to drop groups that carry no learning signal.
    """
    r = _as_rewards(rewards)
    index = _group_index(r, group_ids)
    _, _, zero_var, index = _group_moments(r.reshape(-1), index, unbiased=True)
    return zero_var[index].reshape(r.shape)


def group_advantages(
    rewards: torch.Tensor | Sequence[float],
    group_ids: GroupIds | None = None,
    eps: float = 1e-6,
    normalize_std: bool = True,
    *,
    unbiased: bool = True,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Group-normalised advantages and statistics about them.

    Args:
        rewards: [N] rewards with ``group_ids`` [N] (integer tensor or any hashable labels,
            groups need not be contiguous), or [num_groups, G] with one group per row.
        eps: added to the group std before dividing.
        normalize_std: divide by the group std (GRPO/GSPO); False only centres the rewards.
        unbiased: use the sample std (divide by G - 1), as common GRPO implementations do.

    Returns:
        advantages shaped like ``rewards`` (detached, floating point), and a dict of floats:
        num_groups, zero_var_groups, zero_var_frac, reward_mean, adv_mean, adv_std, adv_min,
        adv_max (adv_std is the population std over all N advantages).
    """
    if not eps >= 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    r = _as_rewards(rewards)
    index = _group_index(r, group_ids)
    flat = r.reshape(-1)                                                          # [N]
    mean, std, zero_var, index = _group_moments(flat, index, unbiased)
    adv = flat - mean
    if normalize_std:
        adv = adv / (std + eps)
    adv = torch.where(zero_var[index], torch.zeros_like(adv), adv)
    num_groups = zero_var.numel()
    n_zero = int(zero_var.sum().item())
    stats = {
        "num_groups": float(num_groups),
        "zero_var_groups": float(n_zero),
        "zero_var_frac": n_zero / num_groups,
        "reward_mean": flat.mean().item(),
        "adv_mean": adv.mean().item(),
        "adv_std": adv.std(correction=0).item(),
        "adv_min": adv.min().item(),
        "adv_max": adv.max().item(),
    }
    return adv.reshape(r.shape), stats
