"""Validate and clean the tensors of one loss call.

After ``prepare_batch`` every tensor is in the compute dtype, the log-probs are exactly 0 at
non-policy tokens (padding may hold NaN or inf and must not leak into values or
gradients), and the advantages are a constant [B, T] matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from cuagym.gspo.checks import (as_bool_mask, check_same_shape, check_token_matrix, compute_dtype,
                                require_float, require_tensor, shape_of)


@dataclass
class LossBatch:
    logp: torch.Tensor        # [B, T] learner log-probs, 0 off-mask, differentiable
    old_logp: torch.Tensor    # [B, T] old-policy log-probs, 0 off-mask, detached
    mask: torch.Tensor        # [B, T] bool, True on policy tokens
    advantages: torch.Tensor  # [B, T] detached, 0 off-mask
    per_token_adv: bool       # advantages were given as [B, T] rather than [B]
    seq_advantages: torch.Tensor | None  # [B] as given when per sequence, else None

    def clean(self, name: str, t: torch.Tensor) -> torch.Tensor:
        """Another [B, T] per-token tensor, validated, detached, cast, and 0 off-mask."""
        check_same_shape(name, t, "logp", self.logp)
        require_float(name, t)
        t = t.detach().to(self.logp.dtype)
        return torch.where(self.mask, t, torch.zeros_like(t))


def prepare_batch(logp: torch.Tensor, old_logp: torch.Tensor, advantages: torch.Tensor,
                  mask: torch.Tensor, *, allow_token_advantages: bool) -> LossBatch:
    check_token_matrix("logp", logp)
    require_float("logp", logp)
    check_same_shape("old_logp", old_logp, "logp", logp)
    require_float("old_logp", old_logp)
    m = as_bool_mask(mask, "logp", logp)
    dtype = compute_dtype(logp)
    lp = logp.to(dtype)
    lp = torch.where(m, lp, torch.zeros_like(lp))
    old = old_logp.detach().to(dtype)
    old = torch.where(m, old, torch.zeros_like(old))
    if not bool(torch.isfinite(lp).all() and torch.isfinite(old).all()):
        raise ValueError("logp or old_logp holds NaN or infinite values on policy tokens (mask True)")

    require_tensor("advantages", advantages)
    batch = logp.shape[0]
    adv = advantages.detach().to(dtype)
    seq_adv = None
    if adv.dim() == 1 and adv.shape[0] == batch:
        per_token = False
        seq_adv = adv
        adv = adv.unsqueeze(1).expand_as(lp)
    elif adv.shape == logp.shape:
        if not allow_token_advantages:
            raise ValueError(
                f"advantages of shape {shape_of(adv)} are per token; the sequence form takes one advantage "
                f"per sequence, shape ({batch},); use loss_form='token' for per-token advantages")
        per_token = True
    else:
        raise ValueError(
            f"advantages has shape {shape_of(adv)} but logp has shape {shape_of(logp)}; "
            f"expected [B] = ({batch},) or [B, T] = {shape_of(logp)}")
    adv = torch.where(m, adv, torch.zeros_like(adv))
    if not bool(torch.isfinite(adv).all()):
        raise ValueError("advantages holds NaN or infinite values on policy tokens")
    return LossBatch(logp=lp, old_logp=old, mask=m, advantages=adv, per_token_adv=per_token,
                     seq_advantages=seq_adv)
