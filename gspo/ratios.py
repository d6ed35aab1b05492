"""Importance log-ratios between the learner policy and the policy that produced the data.

GSPO uses one ratio per *unit* of generated text, the geometric mean of its token ratios:

    log s_u = (1 / |u|) * sum_{t in u} (logp_t - old_logp_t)

The unit is either the whole sequence (every policy token of a trajectory) or one model
turn (``segment_ids``: the tokens of a row that share a turn id). Padding and environment
tokens (mask 0) never enter a ratio, whatever values they hold.
"""

from __future__ import annotations

import torch

from cuagym.gspo.checks import (as_bool_mask, check_same_shape, check_token_matrix, compute_dtype,
                                require_float, shape_of)

# Log-ratios are clamped to +-LOG_RATIO_LIMIT before exponentiating: exp(20) ~ 5e8 is far
# outside any clip band, while exp(89) already overflows float32 and would turn the zero
# gradient of a clipped term into inf * 0 = NaN.
LOG_RATIO_LIMIT = 20.0


def masked_log_ratio(logp: torch.Tensor, old_logp: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per-token log-ratio logp - old_logp [B, T], exactly 0 where mask is False.

    ``torch.where`` (not multiplication by the mask) keeps NaN or inf in padded slots out of
    both the value and the gradient.
    """
    diff = logp - old_logp.detach()
    return torch.where(mask, diff, torch.zeros_like(diff))


class RatioUnits:
    """Which ratio unit each token belongs to.

    Without segment ids a unit is a row (U = B, empty rows have count 0); with them it is a
    (row, turn id) pair, and ``index`` [B, T] long holds each policy token's unit id in
    0..U-1 (-1 elsewhere). ``counts`` [U] is the number of policy tokens per unit.
    """

    def __init__(self, mask: torch.Tensor, segment_ids: torch.Tensor | None = None):
        batch, width = mask.shape
        self.shape = mask.shape
        if segment_ids is None:
            self.index = None
            self.num_units = batch
            self.row_units = True
        else:
            check_same_shape("segment_ids", segment_ids, "mask", mask)
            if segment_ids.is_floating_point() or segment_ids.dtype == torch.bool:
                raise ValueError(f"segment_ids must be an integer tensor of turn ids, got dtype {segment_ids.dtype}")
            seg = segment_ids.to(torch.long)
            self.index = torch.full_like(seg, -1)
            if bool(mask.any()):
                seg_m = seg[mask]
                # Key each (row, turn) pair so that equal turn ids in different rows stay apart.
                span = int(seg_m.max() - seg_m.min()) + 1
                rows = torch.arange(batch, device=mask.device).unsqueeze(1).expand(batch, width)[mask]
                key = rows * span + (seg_m - seg_m.min())
                self.index[mask] = torch.unique(key, return_inverse=True)[1]
                self.num_units = int(self.index.max().item()) + 1
            else:
                self.num_units = 0
            self.row_units = False
        self.mask = mask
        if self.row_units:
            self.counts = mask.sum(-1)                                            # [U] = [B]
        else:
            self.counts = torch.bincount(self.index[mask], minlength=self.num_units)  # [U]

    def unit_means(self, values: torch.Tensor) -> torch.Tensor:
        """Mean of ``values`` [B, T] over each unit's policy tokens: [U] (0 for empty units).

        Differentiable: the gradient reaches every policy token of the unit with weight 1/|u|.
        """
        denom = self.counts.clamp(min=1).to(values.dtype)                        # [U]
        if self.row_units:  # a plain row sum: no gather/scatter on the common path
            return torch.where(self.mask, values, torch.zeros_like(values)).sum(-1) / denom
        sums = torch.zeros(self.num_units, dtype=values.dtype, device=values.device)
        sums = sums.index_add(0, self.index[self.mask], values[self.mask])
        return sums / denom

    def broadcast(self, unit_values: torch.Tensor) -> torch.Tensor:
        """Spread [U] unit values back to their tokens: [B, T], 0 at non-policy tokens."""
        if self.row_units:
            gathered = unit_values.unsqueeze(1).expand(self.shape)
        elif self.num_units:
            gathered = unit_values[self.index.clamp(min=0)]
        else:
            gathered = torch.zeros(self.shape, dtype=unit_values.dtype, device=unit_values.device)
        return torch.where(self.mask, gathered, torch.zeros_like(gathered))


def sequence_log_ratio(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    mask: torch.Tensor,
    segment_ids: torch.Tensor | None = None,
) -> torch.Tensor:
    """Geometric-mean log-ratio per sequence, or per turn with ``segment_ids``.

    Args:
        logp, old_logp: [B, T] log-probabilities of the sampled tokens under the learner
            and under the policy that generated them.
        mask: [B, T] bool or 0/1, True on policy (generated) tokens.
        segment_ids: optional [B, T] integer turn ids; tokens of one row that share an id
            form one turn. Values at non-policy tokens are ignored.

    Returns:
        [B] mean log-ratio per row (0 for a row without policy tokens), or, with
        ``segment_ids``, [B, T] where each policy token holds its turn's mean log-ratio and
        other tokens hold 0. Differentiable with respect to ``logp``; unclamped.
    """
    check_token_matrix("logp", logp)
    require_float("logp", logp)
    check_same_shape("old_logp", old_logp, "logp", logp)
    require_float("old_logp", old_logp)
    m = as_bool_mask(mask, "logp", logp)
    dtype = compute_dtype(logp)
    diff = masked_log_ratio(logp.to(dtype), old_logp.to(dtype), m)
    units = RatioUnits(m, segment_ids)
    means = units.unit_means(diff)
    return means if segment_ids is None else units.broadcast(means)


def token_ratio(log_ratio: torch.Tensor) -> torch.Tensor:
    """exp of a clamped log-ratio (see ``LOG_RATIO_LIMIT``)."""
    return torch.exp(log_ratio.clamp(-LOG_RATIO_LIMIT, LOG_RATIO_LIMIT))


def gspo_token_ratio(unit_log_ratio: torch.Tensor, logp: torch.Tensor) -> torch.Tensor:
    """GSPO-token ratio sg[s_u] * pi_t / sg[pi_t], per token [B, T].

    Its value is s_u = exp(unit_log_ratio) exactly (logp - sg[logp] is exactly 0), and its
    gradient is s_u * d logp_t: each token is pushed with its unit's ratio, not its own.
    ``unit_log_ratio`` [B, T] is treated as a constant.
    """
    if unit_log_ratio.shape != logp.shape:
        raise ValueError(f"unit_log_ratio has shape {shape_of(unit_log_ratio)} but logp has shape "
                         f"{shape_of(logp)}; expected the same [B, T] shape")
    return token_ratio(unit_log_ratio.detach() + (logp - logp.detach()))
