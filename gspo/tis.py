"""Truncated importance sampling (TIS) between the sampling engine and the learner.

The tokens were sampled by the rollout engine (vLLM, or an older copy of the weights),
whose log-probs differ from the learner's own "old" log-probs for the same weights
(kernels, precision) and more so when data is stale. Each token's loss is weighted by

    w_t = min(exp(old_logp_t - rollout_logp_t), tis_cap)

a constant, so the update estimates the gradient under the learner's old policy; the cap
bounds the variance that a few badly mismatched tokens would add.
"""

from __future__ import annotations

import torch

from cuagym.gspo.ratios import LOG_RATIO_LIMIT


def truncated_is_weights(
    old_logp: torch.Tensor,
    rollout_logp: torch.Tensor,
    mask: torch.Tensor,
    tis_cap: float,
) -> tuple[torch.Tensor, dict[str, float]]:
    """TIS weights [B, T] (detached, 0 at non-policy tokens) and their statistics.

    Statistics over policy tokens: tis_weight_mean, tis_weight_max, tis_capped_frac (share
    of tokens whose weight hit the cap) and tis_abs_log_ratio_mean (mean |old - rollout|,
    the size of the engine/learner mismatch).
    """
    if not tis_cap > 0:
        raise ValueError(f"tis_cap must be > 0, got {tis_cap}")
    with torch.no_grad():
        d = torch.where(mask, old_logp - rollout_logp, torch.zeros_like(old_logp))   # [B, T]
        raw = torch.exp(d.clamp(-LOG_RATIO_LIMIT, LOG_RATIO_LIMIT))
        w = torch.where(mask, raw.clamp(max=tis_cap), torch.zeros_like(raw))
        n = int(mask.sum())
        if n:
            stats = {
                "tis_weight_mean": w[mask].mean().item(),
                "tis_weight_max": w[mask].max().item(),
                "tis_capped_frac": (raw[mask] > tis_cap).float().mean().item(),
                "tis_abs_log_ratio_mean": d[mask].abs().mean().item(),
            }
        else:
            stats = {"tis_weight_mean": 0.0, "tis_weight_max": 0.0, "tis_capped_frac": 0.0,
                     "tis_abs_log_ratio_mean": 0.0}
    return w, stats
