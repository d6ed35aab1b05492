"""KL penalty to a reference policy, with the k3 estimator (off in GSPO by default).

For tokens sampled from the learner, with d_t = ref_logp_t - logp_t,

    k3_t = exp(d_t) - d_t - 1

is an unbiased, always non-negative estimate of KL(pi_theta || pi_ref) per token, with much
lower variance than -d_t. Only policy tokens enter; the reference log-probs are constants.
"""

from __future__ import annotations

import torch

from cuagym.gspo.ratios import LOG_RATIO_LIMIT


def k3_kl(logp: torch.Tensor, ref_logp: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per-token k3 KL estimate [B, T], 0 at non-policy tokens.

    Args:
        logp: [B, T] learner log-probs (differentiable).
        ref_logp: [B, T] reference log-probs (detached here).
        mask: [B, T] bool policy-token mask.
    """
    d = ref_logp.detach() - logp
    d = torch.where(mask, d, torch.zeros_like(d)).clamp(-LOG_RATIO_LIMIT, LOG_RATIO_LIMIT)
    return torch.exp(d) - d - 1.0
