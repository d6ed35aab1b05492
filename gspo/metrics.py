"""Metric names reported by the losses, and the small reductions that compute them.

Every metric is a python float describing the call's own batch (so a trainer averages them
over micro-batches), except ``loss`` and ``pg_loss``, which are the call's contribution to
the step loss under the global normalisers (so they sum over micro-batches). Statistics of
an empty set are reported as neutral values (0, or 1 for ratios) rather than NaN.
"""

from __future__ import annotations

import torch

# Always present in gspo_loss metrics.
GSPOMetrics: tuple[str, ...] = (
    "loss",                # returned scalar: pg_loss + kl_coef * KL term
    "pg_loss",             # clipped policy-gradient part of the loss
    "clip_frac",           # share of policy tokens whose term is clipped (no gradient)
    "clip_frac_high",      # ... clipped above the band with A > 0
    "clip_frac_low",       # ... clipped below the band with A < 0
    "seq_ratio_mean",      # importance ratio per unit (sequence or turn): mean
    "seq_ratio_min",
    "seq_ratio_max",
    "adv_mean",            # advantages over sequences (or policy tokens when per-token)
    "adv_std",
    "adv_min",
    "adv_max",
    "num_policy_tokens",   # policy tokens in this call
    "num_seqs",            # rows with at least one policy token in this call
)

# Always present in grpo_loss metrics: the token ratio replaces the sequence ratio.
GRPOMetrics: tuple[str, ...] = tuple(
    n for n in GSPOMetrics if not n.startswith("seq_ratio")) + (
    "token_ratio_mean", "token_ratio_min", "token_ratio_max")

# Added when ref_logp is given: mean k3 KL estimate per policy token.
KL_METRICS: tuple[str, ...] = ("kl",)

# Added when truncated importance sampling is on (rollout_logp and tis_cap given).
TIS_METRICS: tuple[str, ...] = ("tis_weight_mean", "tis_weight_max", "tis_capped_frac", "tis_abs_log_ratio_mean")


def summary(prefix: str, values: torch.Tensor, empty: float = 0.0) -> dict[str, float]:
    """``{prefix}_mean/_min/_max`` of a 1-D tensor (``empty`` for all three if it has no elements)."""
    v = values.detach()
    if v.numel() == 0:
        return {f"{prefix}_mean": empty, f"{prefix}_min": empty, f"{prefix}_max": empty}
    return {f"{prefix}_mean": v.mean().item(), f"{prefix}_min": v.min().item(), f"{prefix}_max": v.max().item()}


def summary_with_std(prefix: str, values: torch.Tensor) -> dict[str, float]:
    """``summary`` plus the population std ``{prefix}_std``."""
    out = summary(prefix, values)
    out[f"{prefix}_std"] = values.detach().std(correction=0).item() if values.numel() else 0.0
    return out


def masked_fraction(flags: torch.Tensor, mask: torch.Tensor) -> float:
    """Share of True among the positions in ``mask`` (0 if the mask is empty)."""
    n = int(mask.sum())
    return (flags & mask).sum().item() / n if n else 0.0
