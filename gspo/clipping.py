"""The PPO-style clipped surrogate, shared by the GSPO and GRPO losses.

Per token (or per sequence, the ratio is just the same number on every token):

    loss_t = -min(r_t * A_t, clip(r_t, 1 - eps_low, 1 + eps_high) * A_t)

The pessimistic min only bites on one side: a positive advantage stops pushing once the
ratio is above 1 + eps_high, a negative one once it is below 1 - eps_low. There the loss is
constant in theta and the token gets no gradient; that is what "clipped" counts.
"""

from __future__ import annotations

import torch


def clipped_surrogate(
    ratio: torch.Tensor,
    advantages: torch.Tensor,
    eps_low: float,
    eps_high: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Clipped policy-gradient loss per token.

    Args:
        ratio: [B, T] importance ratios (differentiable).
        advantages: [B, T] advantages (constants).
        eps_low, eps_high: clip band [1 - eps_low, 1 + eps_high].

    Returns:
        loss [B, T], clipped_high [B, T] bool (A > 0 and ratio above the band),
        clipped_low [B, T] bool (A < 0 and ratio below the band).
    """
    low, high = 1.0 - eps_low, 1.0 + eps_high
    unclipped = -advantages * ratio                                     # [B, T]
    clipped = -advantages * ratio.clamp(low, high)                      # [B, T]
    loss = torch.maximum(unclipped, clipped)                            # = -min(rA, clip(r)A)
    with torch.no_grad():
        clipped_high = (advantages > 0) & (ratio > high)
        clipped_low = (advantages < 0) & (ratio < low)
    return loss, clipped_high, clipped_low
