"""GSPO and GRPO policy losses, their aggregation, and a registry of losses by name.

GSPO (Group Sequence Policy Optimization, arXiv 2507.18071) weights a whole sequence by one
importance ratio, the geometric mean of its token ratios,

    s_i = exp( (1 / |y_i|) * sum_t (logp_{i,t} - old_logp_{i,t}) )

clipped at the sequence level to [1 - eps_low, 1 + eps_high] (paper: 3e-4 / 4e-4) with the
pessimistic PPO min, and no KL term:

    J = (1 / N) * sum_i min(s_i * A_i, clip(s_i) * A_i)

Three registered losses, chosen by name (``get_loss(cfg.gspo.loss_form)``):

* ``"gspo"`` -- sequence form: every token of unit u carries s_u itself, and the gradient
  flows through s_u, i.e. through the mean of the unit's log-ratios. Advantages are per
  sequence ([B]).
* ``"gspo_token"`` -- GSPO-token form: every token carries sg[s_u] * pi_t / sg[pi_t]: the
  same value s_u, but each token is pushed with s_u by its own log-prob. Allows per-token
  advantages ([B, T]).
* ``"grpo"`` -- token-level ratio clipping (PPO/GRPO): every token has its own ratio
  exp(logp_t - old_logp_t), clipped on its own.

How the two GSPO forms differ. They have the same value and the same clip decisions. Their
gradients are equal whenever the per-token factor in front of the ratio is constant over a
unit, i.e. the advantage is constant per sequence and TIS is off: the sequence form gives
every token (1/n_i) * f'(s) * s (the row's share of d s_u), the token form gives each token
(1/n_i) * f'(s) * s directly. They differ with per-token advantages (only the token form
takes them) and with TIS weights w_t: the token form pushes each token with its own w_t,
the sequence form spreads the row's mean weight over the row's tokens.

Sliced trajectories. A long trajectory may be split over several rows (slices) and
micro-batches. Both GSPO forms keep ONE ratio for the whole trajectory: pass its log-ratio
as ``seq_log_ratio`` (computed over all slices, e.g. by a no-grad pass) and its total
policy-token count as ``seq_num_tokens``; then the slices' losses and gradients sum to the
unsliced ones (exactly; for the sequence form with TIS only when every slice has the same
mean TIS weight). GRPO's ratios are per token and need only ``seq_num_tokens``.

Every registered loss takes the same arguments (see ``LOSS_KWARGS``) and returns
``(loss, metrics)``; the learner calls whichever the config names.
"""

from __future__ import annotations

import inspect
from typing import Callable

import torch

from cuagym.gspo.ratios import (LossBatch, RatioUnits, check_choice, check_eps, check_per_sequence,
                                check_positive_count, check_same_shape, clipped_surrogate, gspo_seq_ratio,
                                gspo_token_ratio, masked_log_ratio, prepare_batch, token_ratio,
                                truncated_is_weights, unit_log_ratio)

# ----------------------------------------------------------------------------- aggregation
# Reduce per-token losses to one scalar, independently of how the batch was split:
#
# * "seq_mean" (GSPO's objective): each sequence's mean over its policy tokens, averaged over
#   sequences:  L = (1 / N_seq) * sum_i (1 / n_i) * sum_{t in i} l_t
# * "token_mean": every policy token weighs the same:  L = (1 / N_tok) * sum_{i,t} l_t
#
# Both are sums of per-token terms with constant weights, so a batch split into micro-batches
# (or data-parallel ranks, or a long trajectory split into slices) gives the full-batch loss
# and gradient by *summing* the pieces, provided every piece uses the global normalisers:
#
# * global_num_seqs N_seq: the sequences of the whole optimizer step, on all ranks;
# * global_num_tokens N_tok: likewise for policy tokens ("token_mean");
# * seq_num_tokens n_i [B]: policy tokens of each row's *whole* sequence, when a row is only
#   a slice of it.
#
# Left to their defaults they describe the call's own batch, which is right only when the
# call sees the whole step. A data-parallel engine that averages gradients over W ranks
# needs the loss multiplied by W to undo that average.

LOSS_AGGREGATIONS = ("seq_mean", "token_mean")


def resolve_seq_num_tokens(mask: torch.Tensor, seq_num_tokens: torch.Tensor | None) -> torch.Tensor:
    """Policy-token count of each row's whole sequence: [B] long (defaults to the row's own count)."""
    own = mask.sum(-1)                                                          # [B]
    if seq_num_tokens is None:
        return own
    check_per_sequence("seq_num_tokens", seq_num_tokens, mask.shape[0])
    if seq_num_tokens.is_floating_point():
        if not bool((seq_num_tokens == seq_num_tokens.round()).all()):
            raise ValueError("seq_num_tokens must hold whole token counts")
    n = seq_num_tokens.to(device=mask.device, dtype=torch.long)
    short = n < own
    if bool(short.any()):
        row = int(short.nonzero()[0, 0])
        raise ValueError(
            f"seq_num_tokens[{row}] = {int(n[row])} is smaller than the {int(own[row])} policy tokens "
            f"of that row; expected the token count of the whole sequence the row is a slice of")
    return n


def aggregate_token_losses(
    token_losses: torch.Tensor,
    mask: torch.Tensor,
    loss_agg: str = "seq_mean",
    *,
    seq_num_tokens: torch.Tensor | None = None,
    global_num_seqs: float | int | None = None,
    global_num_tokens: float | int | None = None,
) -> torch.Tensor:
    """Scalar loss from per-token losses [B, T] over the policy tokens in ``mask`` [B, T] bool.

    Defaults: ``global_num_seqs`` = rows with at least one policy token, ``global_num_tokens``
    = policy tokens in ``mask``, ``seq_num_tokens`` = ``mask.sum(-1)`` (each at least 1, so
    an all-padding batch gives 0, not NaN).
    """
    check_choice("loss_agg", loss_agg, LOSS_AGGREGATIONS)
    check_positive_count("global_num_seqs", global_num_seqs)
    check_positive_count("global_num_tokens", global_num_tokens)
    masked = torch.where(mask, token_losses, torch.zeros_like(token_losses))   # [B, T]
    if loss_agg == "seq_mean":
        n_i = resolve_seq_num_tokens(mask, seq_num_tokens).clamp(min=1)       # [B]
        per_seq = masked.sum(-1) / n_i.to(masked.dtype)                       # [B]
        denom = global_num_seqs if global_num_seqs is not None else max(int(mask.any(-1).sum()), 1)
        return per_seq.sum() / float(denom)
    if seq_num_tokens is not None:
        resolve_seq_num_tokens(mask, seq_num_tokens)  # still validated; unused by token_mean
    denom = global_num_tokens if global_num_tokens is not None else max(int(mask.sum()), 1)
    return masked.sum() / float(denom)


# --------------------------------------------------------------------------------- metrics
# Every metric is a python float describing the call's own batch (so a trainer averages them
# over micro-batches), except "loss", which is the call's contribution to the step loss under
# the global normalisers (so it sums over micro-batches). Statistics of an
# empty set are reported as neutral values (0, or 1 for ratios) rather than NaN.

# Always present in gspo_loss metrics (both forms).
GSPOMetrics: tuple[str, ...] = (
    "loss",                # returned scalar: the clipped policy-gradient loss
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


# -------------------------------------------------------------------------------- registry
# A loss is called as
#     loss, metrics = loss_fn(logp, old_logp, advantages, mask, eps_low=..., eps_high=...,
#                             seq_log_ratio=..., seq_num_tokens=..., segment_ids=...,
#                             rollout_logp=..., tis_cap=..., loss_agg=...,
#                             global_num_seqs=..., global_num_tokens=...)
# and every registered loss accepts all of these names, so the learner need not know which
# one it runs.

LossFn = Callable[..., tuple[torch.Tensor, dict[str, float]]]

LOSS_KWARGS: tuple[str, ...] = (
    "eps_low", "eps_high", "seq_log_ratio", "seq_num_tokens", "segment_ids", "rollout_logp", "tis_cap",
    "loss_agg", "global_num_seqs", "global_num_tokens")

_LOSSES: dict[str, LossFn] = {}


def register_loss(name: str) -> Callable[[LossFn], LossFn]:
    """Decorator: make a loss available as ``get_loss(name)``.

    The function must take (logp, old_logp, advantages, mask) and every keyword in
    ``LOSS_KWARGS``; a name can be registered once.
    """
    def add(fn: LossFn) -> LossFn:
        if name in _LOSSES:
            raise ValueError(f"a loss named {name!r} is already registered ({_LOSSES[name].__qualname__})")
        params = inspect.signature(fn).parameters
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            missing = [k for k in LOSS_KWARGS if k not in params]
            if missing:
                raise ValueError(f"loss {name!r} ({fn.__qualname__}) must accept the keyword arguments "
                                 f"{list(LOSS_KWARGS)}; missing {missing}")
        _LOSSES[name] = fn
        return fn
    return add


def registered_losses() -> tuple[str, ...]:
    """Names of the registered losses, sorted."""
    return tuple(sorted(_LOSSES))


def get_loss(name: str) -> LossFn:
    """The loss registered as ``name``; a ValueError names the unknown name and the known ones."""
    try:
        return _LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; registered losses: {', '.join(registered_losses())}") from None


# ---------------------------------------------------------------------------------- losses

LOSS_FORMS = ("seq", "token")


def _check_tis(rollout_logp, tis_cap) -> None:
    if (rollout_logp is None) != (tis_cap is None):
        raise ValueError(
            "truncated importance sampling needs both rollout_logp [B, T] and tis_cap; "
            f"got rollout_logp={'given' if rollout_logp is not None else None} and tis_cap={tis_cap}")


def _finish(b: LossBatch, token_pg: torch.Tensor, clipped_high: torch.Tensor, clipped_low: torch.Tensor,
            *, rollout_logp, tis_cap, agg: dict) -> tuple[torch.Tensor, dict]:
    """Shared tail of the losses: TIS weights, aggregation, and the metrics."""
    metrics: dict[str, float] = {}
    if rollout_logp is not None:
        weights, tis_stats = truncated_is_weights(b.old_logp, b.clean("rollout_logp", rollout_logp),
                                                  b.mask, tis_cap)               # [B, T]
        token_pg = token_pg * weights
        metrics.update(tis_stats)
    loss = aggregate_token_losses(token_pg, b.mask, **agg)
    rows = b.mask.any(-1)                                                      # [B]
    adv_values = b.advantages[b.mask] if b.per_token_adv else b.seq_advantages[rows]
    metrics.update({
        "loss": loss.item(),
        "clip_frac": masked_fraction(clipped_high | clipped_low, b.mask),
        "clip_frac_high": masked_fraction(clipped_high, b.mask),
        "clip_frac_low": masked_fraction(clipped_low, b.mask),
        "num_policy_tokens": float(b.mask.sum()),
        "num_seqs": float(rows.sum()),
        **summary_with_std("adv", adv_values),
    })
    return loss, metrics


def gspo_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    eps_low: float = 3e-4,
    eps_high: float = 4e-4,
    *,
    loss_form: str = "seq",
    seq_log_ratio: torch.Tensor | None = None,
    seq_num_tokens: torch.Tensor | None = None,
    segment_ids: torch.Tensor | None = None,
    rollout_logp: torch.Tensor | None = None,
    tis_cap: float | None = None,
    loss_agg: str = "seq_mean",
    global_num_seqs: float | int | None = None,
    global_num_tokens: float | int | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """GSPO loss (to minimise) and metrics, in the sequence or the token form.

    Args:
        logp: [B, T] learner log-probs of the sampled tokens (differentiable).
        old_logp: [B, T] log-probs under the policy the ratio is taken against.
        advantages: [B] per sequence, or [B, T] per token (``loss_form="token"`` only).
        mask: [B, T] bool or 0/1, True on policy tokens; everything else (padding,
            prompt, environment tokens) is ignored whatever its values.
        eps_low, eps_high: ratio clip band [1 - eps_low, 1 + eps_high].
        loss_form: "seq" (the gradient flows through s_u) or "token" (sg[s_u] * pi/sg[pi]);
            see the module docstring for how they differ.
        seq_log_ratio: precomputed log s_u, [B] (or [B, T] with ``segment_ids``), treated as
            a constant; for rows that are slices of a longer trajectory, the whole
            trajectory's value. Default: computed from the rows of the call.
        seq_num_tokens: [B] policy tokens of each row's whole sequence (default: the row's
            own count); the per-sequence normaliser of "seq_mean".
        segment_ids: [B, T] integer turn ids: one ratio per model turn instead of per row.
        rollout_logp, tis_cap: truncated importance sampling weight per token,
            min(exp(old_logp - rollout_logp), tis_cap); off unless both are given.
        loss_agg, global_num_seqs, global_num_tokens: see "aggregation" above.

    Returns:
        (loss scalar, metrics): the names in ``GSPOMetrics``, plus ``TIS_METRICS`` when TIS
        is on.
    """
    check_choice("loss_form", loss_form, LOSS_FORMS)
    check_eps(eps_low, eps_high)
    _check_tis(rollout_logp, tis_cap)
    b = prepare_batch(logp, old_logp, advantages, mask, allow_token_advantages=loss_form == "token")
    if segment_ids is not None:
        check_same_shape("segment_ids", segment_ids, "logp", logp)
    units = RatioUnits(b.mask, segment_ids)

    tok_lr = unit_log_ratio(b, units, seq_log_ratio, segment_ids)             # [B, T] constant log s_u
    if loss_form == "seq":
        ratio = gspo_seq_ratio(tok_lr, b.logp, units)                          # [B, T], grad through s_u
    else:
        ratio = gspo_token_ratio(tok_lr, b.logp)                               # [B, T], grad per token
    token_pg, clipped_high, clipped_low = clipped_surrogate(ratio, b.advantages, eps_low, eps_high)
    agg = dict(loss_agg=loss_agg, seq_num_tokens=seq_num_tokens,
               global_num_seqs=global_num_seqs, global_num_tokens=global_num_tokens)
    loss, metrics = _finish(b, token_pg, clipped_high, clipped_low, rollout_logp=rollout_logp, tis_cap=tis_cap,
                            agg=agg)
    stat_lr = units.unit_means(tok_lr)                                         # [U]
    metrics.update(summary("seq_ratio", token_ratio(stat_lr[units.counts > 0]), empty=1.0))
    return loss, metrics


@register_loss("gspo")
def gspo_seq_loss(logp: torch.Tensor, old_logp: torch.Tensor, advantages: torch.Tensor, mask: torch.Tensor,
                  eps_low: float = 3e-4, eps_high: float = 4e-4, **kwargs) -> tuple[torch.Tensor, dict[str, float]]:
    """GSPO, sequence form: ``gspo_loss(..., loss_form="seq")``. Advantages per sequence [B]."""
    return gspo_loss(logp, old_logp, advantages, mask, eps_low, eps_high, loss_form="seq", **kwargs)


@register_loss("gspo_token")
def gspo_token_loss(logp: torch.Tensor, old_logp: torch.Tensor, advantages: torch.Tensor, mask: torch.Tensor,
                    eps_low: float = 3e-4, eps_high: float = 4e-4, **kwargs) -> tuple[torch.Tensor, dict[str, float]]:
    """GSPO-token form: ``gspo_loss(..., loss_form="token")``. Advantages [B] or [B, T]."""
    return gspo_loss(logp, old_logp, advantages, mask, eps_low, eps_high, loss_form="token", **kwargs)


@register_loss("grpo")
def grpo_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    eps_low: float = 0.2,
    eps_high: float = 0.2,
    *,
    seq_log_ratio: torch.Tensor | None = None,
    seq_num_tokens: torch.Tensor | None = None,
    segment_ids: torch.Tensor | None = None,
    rollout_logp: torch.Tensor | None = None,
    tis_cap: float | None = None,
    loss_agg: str = "seq_mean",
    global_num_seqs: float | int | None = None,
    global_num_tokens: float | int | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Token-level clipped GRPO/PPO loss: every token has its own ratio exp(logp - old_logp).

    Arguments as in ``gspo_loss`` (advantages [B] or [B, T]). Token ratios are local, so
    sliced sequences need only ``seq_num_tokens`` and ``global_num_seqs``;
    ``seq_log_ratio`` and ``segment_ids`` are accepted so that every registered loss takes
    the same arguments, and play no part here. Metrics: the names in ``GRPOMetrics``, plus
    ``TIS_METRICS`` when TIS is on.
    """
    check_eps(eps_low, eps_high)
    _check_tis(rollout_logp, tis_cap)
    b = prepare_batch(logp, old_logp, advantages, mask, allow_token_advantages=True)
    # Validate early so a bad count fails before any work; aggregation re-reads it.
    resolve_seq_num_tokens(b.mask, seq_num_tokens)
    ratio = token_ratio(masked_log_ratio(b.logp, b.old_logp, b.mask))        # [B, T]
    token_pg, clipped_high, clipped_low = clipped_surrogate(ratio, b.advantages, eps_low, eps_high)
    agg = dict(loss_agg=loss_agg, seq_num_tokens=seq_num_tokens,
               global_num_seqs=global_num_seqs, global_num_tokens=global_num_tokens)
    loss, metrics = _finish(b, token_pg, clipped_high, clipped_low, rollout_logp=rollout_logp, tis_cap=tis_cap,
                            agg=agg)
    metrics.update(summary("token_ratio", ratio.detach()[b.mask], empty=1.0))
    return loss, metrics
