"""Importance ratios between the learner policy and the policy that produced the data.

Read top to bottom:

1. input checks: every tensor of a loss call is validated (shape, dtype, mask) and cleaned
   (``prepare_batch``), so a wrong call fails here with a message instead of broadcasting
   into a silently wrong number;
2. log-ratios: per token, and GSPO's per-unit geometric mean

       log s_u = (1 / |u|) * sum_{t in u} (logp_t - old_logp_t)

   where a unit is a whole sequence (every policy token of a trajectory) or one model turn
   (``segment_ids``). Padding and environment tokens (mask 0) never enter a ratio,
   whatever values they hold;
3. the per-token ratio tensors the losses clip: the plain token ratio (GRPO), the
   GSPO-token ratio sg[s_u] * pi_t / sg[pi_t], and the sequence-form ratio;
4. the PPO-style clipped surrogate;
5. truncated importance sampling (TIS) weights against the rollout engine's log-probs.

Shapes: B rows (sequences or slices of sequences), T token positions, U ratio units.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

# Log-probabilities in half precision lose too much to exponentiate ratios near 1 (the
# GSPO clip band is 3e-4 wide), so the math runs in at least float32.
MIN_COMPUTE_DTYPE = torch.float32

# Log-ratios are clamped to +-LOG_RATIO_LIMIT before exponentiating: exp(20) ~ 5e8 is far
# outside any clip band, while exp(89) already overflows float32 and would turn the zero
# gradient of a clipped term into inf * 0 = NaN.
LOG_RATIO_LIMIT = 20.0


# ------------------------------------------------------------------------- input checks
# Every check raises ValueError naming the argument, the shape or value it had, and what
# was expected.

def shape_of(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(t.shape)


def require_tensor(name: str, value: object) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    return value


def require_float(name: str, t: torch.Tensor) -> None:
    if not t.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor of log-probabilities, got dtype {t.dtype}")


def compute_dtype(t: torch.Tensor) -> torch.dtype:
    """The dtype the loss math runs in: the input's, promoted to at least float32."""
    return torch.promote_types(t.dtype, MIN_COMPUTE_DTYPE)


def check_token_matrix(name: str, t: torch.Tensor) -> None:
    """``t`` must be a [B, T] matrix of per-token values."""
    require_tensor(name, t)
    if t.dim() != 2:
        raise ValueError(f"{name} must have shape [B, T] (sequences x tokens), got shape {shape_of(t)}")


def check_same_shape(name: str, t: torch.Tensor, ref_name: str, ref: torch.Tensor) -> None:
    require_tensor(name, t)
    if t.shape != ref.shape:
        raise ValueError(
            f"{name} has shape {shape_of(t)} but {ref_name} has shape {shape_of(ref)}; "
            f"expected the same [B, T] shape")


def as_bool_mask(mask: torch.Tensor, ref_name: str, ref: torch.Tensor) -> torch.Tensor:
    """Validate a policy-token mask and return it as bool [B, T].

    Accepts bool or 0/1 numeric masks; any other value is an error rather than a weight,
    because a fractional mask would silently change every normaliser.
    """
    check_same_shape("mask", mask, ref_name, ref)
    if mask.dtype == torch.bool:
        return mask
    bad = (mask != 0) & (mask != 1)
    if bool(bad.any()):
        raise ValueError(f"mask must hold only 0/1 (or bool) values, found {mask[bad][0].item()!r}")
    return mask != 0


def check_per_sequence(name: str, t: torch.Tensor, batch: int) -> None:
    """``t`` must be a [B] vector, one value per sequence (row)."""
    require_tensor(name, t)
    if t.dim() != 1 or t.shape[0] != batch:
        raise ValueError(f"{name} must have shape [B] = ({batch},), got shape {shape_of(t)}")


def check_eps(eps_low: float, eps_high: float) -> None:
    if not 0.0 <= eps_low < 1.0:
        raise ValueError(f"eps_low must be in [0, 1) so that 1 - eps_low > 0, got {eps_low}")
    if not eps_high >= 0.0:
        raise ValueError(f"eps_high must be >= 0, got {eps_high}")


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def check_positive_count(name: str, value: float | int | None) -> None:
    if value is None:
        return
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"{name} must be a scalar count, got a tensor of shape {shape_of(value)}")
        value = value.item()
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")


@dataclass
class LossBatch:
    """The tensors of one loss call after ``prepare_batch``: in the compute dtype, and exactly
    0 at non-policy tokens (padding may hold NaN or inf and must not leak into values or
    gradients)."""
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


def check_logp_pair(logp: torch.Tensor, old_logp: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.dtype]:
    """Validate logp and old_logp ([B, T] floats of one shape) and the mask; (bool mask, compute dtype)."""
    check_token_matrix("logp", logp)
    require_float("logp", logp)
    check_same_shape("old_logp", old_logp, "logp", logp)
    require_float("old_logp", old_logp)
    return as_bool_mask(mask, "logp", logp), compute_dtype(logp)


def prepare_batch(logp: torch.Tensor, old_logp: torch.Tensor, advantages: torch.Tensor,
                  mask: torch.Tensor, *, allow_token_advantages: bool) -> LossBatch:
    """Validate and clean the four core tensors of a loss call (advantages [B] or [B, T])."""
    m, dtype = check_logp_pair(logp, old_logp, mask)
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
                f"per sequence, shape ({batch},); use the 'gspo_token' loss (loss_form='token') for "
                f"per-token advantages")
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


# --------------------------------------------------------------------------- log-ratios

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
    m, dtype = check_logp_pair(logp, old_logp, mask)
    diff = masked_log_ratio(logp.to(dtype), old_logp.to(dtype), m)
    units = RatioUnits(m, segment_ids)
    means = units.unit_means(diff)
    return means if segment_ids is None else units.broadcast(means)


def unit_log_ratio(b: LossBatch, units: RatioUnits, seq_log_ratio: torch.Tensor | None,
                   segment_ids: torch.Tensor | None) -> torch.Tensor:
    """Each policy token's unit log-ratio log s_u as a constant [B, T] (0 off-mask).

    Computed from the batch when ``seq_log_ratio`` is None; otherwise the given values,
    validated: [B] per row, or [B, T] per token with ``segment_ids``. A row that is a slice
    of a longer trajectory is given the whole trajectory's value.
    """
    if seq_log_ratio is None:
        return units.broadcast(units.unit_means(masked_log_ratio(b.logp, b.old_logp, b.mask))).detach()
    batch, width = b.mask.shape
    if segment_ids is None:
        check_per_sequence("seq_log_ratio", seq_log_ratio, batch)
        given = seq_log_ratio.unsqueeze(1).expand(batch, width)
    else:
        if seq_log_ratio.shape != b.mask.shape:
            raise ValueError(
                f"with segment_ids, seq_log_ratio must be the per-token turn log-ratios of shape [B, T] = "
                f"{tuple(b.mask.shape)} (from sequence_log_ratio(..., segment_ids)), got {tuple(seq_log_ratio.shape)}")
        given = seq_log_ratio
    require_float("seq_log_ratio", given)
    given = given.detach().to(b.logp.dtype)
    given = torch.where(b.mask, given, torch.zeros_like(given))
    if not bool(torch.isfinite(given).all()):
        raise ValueError("seq_log_ratio holds NaN or infinite values for rows with policy tokens")
    return given


# ------------------------------------------------------------------------ ratio tensors

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


def gspo_seq_ratio(unit_log_ratio: torch.Tensor, logp: torch.Tensor, units: RatioUnits) -> torch.Tensor:
    """GSPO sequence-form ratio s_u on every token of its unit, per token [B, T].

    Value s_u = exp(unit_log_ratio) exactly, as in the token form. The gradient is that of
    s_u itself restricted to the row's tokens: s_u * (1 / |u in row|) * sum_{t' in u, row}
    d logp_t', the same on every token of the unit. For a whole sequence that is d s_u. For
    a row that is a slice of a longer trajectory (``unit_log_ratio`` the whole trajectory's
    value, the loss normalised by the whole trajectory's token count), the slices' gradients
    add up to d s_u of the whole trajectory.
    """
    if unit_log_ratio.shape != logp.shape:
        raise ValueError(f"unit_log_ratio has shape {shape_of(unit_log_ratio)} but logp has shape "
                         f"{shape_of(logp)}; expected the same [B, T] shape")
    local = units.broadcast(units.unit_means(logp - logp.detach()))            # [B, T], value 0
    return token_ratio(unit_log_ratio.detach() + local)


# ------------------------------------------------------------------- clipped surrogate

def clipped_surrogate(
    ratio: torch.Tensor,
    advantages: torch.Tensor,
    eps_low: float,
    eps_high: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The PPO-style clipped policy-gradient loss per token, shared by GSPO and GRPO:

        loss_t = -min(r_t * A_t, clip(r_t, 1 - eps_low, 1 + eps_high) * A_t)

    The pessimistic min only bites on one side: a positive advantage stops pushing once the
    ratio is above 1 + eps_high, a negative one once it is below 1 - eps_low. There the loss
    is constant in theta and the token gets no gradient; that is what "clipped" counts.

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


# -------------------------------------------------------- truncated importance sampling

def truncated_is_weights(
    old_logp: torch.Tensor,
    rollout_logp: torch.Tensor,
    mask: torch.Tensor,
    tis_cap: float,
) -> tuple[torch.Tensor, dict[str, float]]:
    """TIS weights [B, T] (detached, 0 at non-policy tokens) and their statistics.

    The tokens were sampled by the rollout engine (vLLM, or an older copy of the weights),
    whose log-probs differ from the learner's own "old" log-probs for the same weights
    (kernels, precision), and more so when data is stale. Each token's loss is weighted by

        w_t = min(exp(old_logp_t - rollout_logp_t), tis_cap)

    a constant, so the update estimates the gradient under the learner's old policy; the
    cap bounds the variance that a few badly mismatched tokens would add.

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
