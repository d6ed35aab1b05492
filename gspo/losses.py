"""GSPO and GRPO policy losses as pure functions of tensors.

GSPO (Group Sequence Policy Optimization) weights a whole sequence by one importance ratio,

    s_i = exp( (1 / |y_i|) * sum_t (logp_{i,t} - old_logp_{i,t}) )

clipped at the sequence level to [1 - eps_low, 1 + eps_high] (paper: 3e-4 / 4e-4) with the
pessimistic PPO min, and no KL term by default:

    J = (1 / N) * sum_i min(s_i * A_i, clip(s_i) * A_i)

Two forms with the same value and, for per-sequence advantages, the same gradient:

* ``loss_form="seq"``: s_i is computed from the rows of the call and differentiated.
* ``loss_form="token"`` (GSPO-token): each token uses sg[s_i] * pi_t / sg[pi_t]. It allows
  per-token advantages and a ratio computed elsewhere (``seq_log_ratio``): a trajectory
  split over several rows or micro-batches keeps ONE ratio for the whole trajectory, and
  with ``seq_num_tokens`` (the whole trajectory's policy-token count) the slices' gradients
  sum to the unsliced gradient.

With ``segment_ids`` the ratio unit is a model turn instead of the whole sequence.
``grpo_loss`` is the token-level PPO/GRPO baseline with the same calling convention.
"""

from __future__ import annotations

import torch

from cuagym.gspo.aggregate import aggregate_token_losses, resolve_seq_num_tokens
from cuagym.gspo.batch import LossBatch, prepare_batch
from cuagym.gspo.checks import check_choice, check_eps, check_per_sequence, check_same_shape, require_float
from cuagym.gspo.clipping import clipped_surrogate
from cuagym.gspo.kl import k3_kl
from cuagym.gspo.metrics import masked_fraction, summary, summary_with_std
from cuagym.gspo.ratios import RatioUnits, gspo_token_ratio, masked_log_ratio, token_ratio
from cuagym.gspo.tis import truncated_is_weights

LOSS_FORMS = ("seq", "token")


def _check_penalties(kl_coef: float, ref_logp, rollout_logp, tis_cap) -> None:
    if not kl_coef >= 0:
        raise ValueError(f"kl_coef must be >= 0, got {kl_coef}")
    if kl_coef > 0 and ref_logp is None:
        raise ValueError(f"kl_coef = {kl_coef} needs ref_logp [B, T], the reference policy's log-probs")
    if (rollout_logp is None) != (tis_cap is None):
        raise ValueError(
            "truncated importance sampling needs both rollout_logp [B, T] and tis_cap; "
            f"got rollout_logp={'given' if rollout_logp is not None else None} and tis_cap={tis_cap}")


def _finish(b: LossBatch, token_pg: torch.Tensor, clipped_high: torch.Tensor, clipped_low: torch.Tensor,
            *, kl_coef: float, ref_logp, rollout_logp, tis_cap, agg: dict) -> tuple[torch.Tensor, dict]:
    """Shared tail of both losses: TIS weights, aggregation, KL, and the metrics."""
    metrics: dict[str, float] = {}
    if rollout_logp is not None:
        weights, tis_stats = truncated_is_weights(b.old_logp, b.clean("rollout_logp", rollout_logp),
                                                  b.mask, tis_cap)
        token_pg = token_pg * weights
        metrics.update(tis_stats)
    pg_loss = aggregate_token_losses(token_pg, b.mask, **agg)
    loss = pg_loss
    if ref_logp is not None:
        kl_tok = k3_kl(b.logp, b.clean("ref_logp", ref_logp), b.mask)          # [B, T]
        metrics["kl"] = kl_tok[b.mask].mean().item() if bool(b.mask.any()) else 0.0
        if kl_coef > 0:
            loss = loss + kl_coef * aggregate_token_losses(kl_tok, b.mask, **agg)
    rows = b.mask.any(-1)                                                      # [B]
    adv_values = b.advantages[b.mask] if b.per_token_adv else b.seq_advantages[rows]
    metrics.update({
        "loss": loss.item(),
        "pg_loss": pg_loss.item(),
        "clip_frac": masked_fraction(clipped_high | clipped_low, b.mask),
        "clip_frac_high": masked_fraction(clipped_high, b.mask),
        "clip_frac_low": masked_fraction(clipped_low, b.mask),
        "num_policy_tokens": float(b.mask.sum()),
        "num_seqs": float(rows.sum()),
        **summary_with_std("adv", adv_values),
    })
    return loss, metrics


def _token_form_log_ratio(b: LossBatch, units: RatioUnits, seq_log_ratio, segment_ids) -> torch.Tensor:
    """Constant per-token unit log-ratio [B, T] for the token form, from the batch or given."""
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
    kl_coef: float = 0.0,
    ref_logp: torch.Tensor | None = None,
    rollout_logp: torch.Tensor | None = None,
    tis_cap: float | None = None,
    loss_agg: str = "seq_mean",
    global_num_seqs: float | int | None = None,
    global_num_tokens: float | int | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """GSPO loss (to minimise) and metrics.

    Args:
        logp: [B, T] learner log-probs of the sampled tokens (differentiable).
        old_logp: [B, T] log-probs under the policy the ratio is taken against.
        advantages: [B] per sequence, or [B, T] per token (``loss_form="token"`` only).
        mask: [B, T] bool or 0/1, True on policy tokens; everything else (padding,
            prompt, environment tokens) is ignored whatever its values.
        eps_low, eps_high: ratio clip band [1 - eps_low, 1 + eps_high].
        loss_form: "seq" (differentiate s_i) or "token" (sg[s_i] * pi_t / sg[pi_t]).
        seq_log_ratio: token form only: precomputed log s_i, [B] (or [B, T] with
            ``segment_ids``), treated as a constant; for rows that are slices of a longer
            trajectory, the whole trajectory's value.
        seq_num_tokens: token form only: [B] policy tokens of each row's whole sequence
            (default: the row's own count); the per-sequence normaliser of "seq_mean".
        segment_ids: [B, T] integer turn ids: one ratio per model turn instead of per row.
        kl_coef, ref_logp: k3 KL penalty to a reference policy (off when kl_coef = 0;
            with ref_logp given, the KL is reported either way).
        rollout_logp, tis_cap: truncated importance sampling weight per token,
            min(exp(old_logp - rollout_logp), tis_cap); off unless both are given.
        loss_agg, global_num_seqs, global_num_tokens: see ``cuagym.gspo.aggregate``.

    Returns:
        (loss scalar, metrics): the names in ``GSPOMetrics``, plus ``KL_METRICS`` and
        ``TIS_METRICS`` when those terms are on.
    """
    check_choice("loss_form", loss_form, LOSS_FORMS)
    check_eps(eps_low, eps_high)
    _check_penalties(kl_coef, ref_logp, rollout_logp, tis_cap)
    b = prepare_batch(logp, old_logp, advantages, mask, allow_token_advantages=loss_form == "token")
    if segment_ids is not None:
        check_same_shape("segment_ids", segment_ids, "logp", logp)
    units = RatioUnits(b.mask, segment_ids)

    if loss_form == "seq":
        if seq_log_ratio is not None or seq_num_tokens is not None:
            raise ValueError(
                "seq_log_ratio and seq_num_tokens are for loss_form='token' (a ratio shared across slices); "
                "the seq form computes each ratio from the rows it is given")
        diff = masked_log_ratio(b.logp, b.old_logp, b.mask)                   # [B, T]
        unit_lr = units.unit_means(diff)                                      # [U], differentiable
        ratio = token_ratio(units.broadcast(unit_lr))                          # [B, T], s_u on each token
        stat_lr = unit_lr.detach()
    else:
        tok_lr = _token_form_log_ratio(b, units, seq_log_ratio, segment_ids)   # [B, T] constant
        ratio = gspo_token_ratio(tok_lr, b.logp)                               # [B, T]
        stat_lr = units.unit_means(tok_lr)

    token_pg, clipped_high, clipped_low = clipped_surrogate(ratio, b.advantages, eps_low, eps_high)
    agg = dict(loss_agg=loss_agg, seq_num_tokens=seq_num_tokens,
               global_num_seqs=global_num_seqs, global_num_tokens=global_num_tokens)
    loss, metrics = _finish(b, token_pg, clipped_high, clipped_low, kl_coef=kl_coef, ref_logp=ref_logp,
                            rollout_logp=rollout_logp, tis_cap=tis_cap, agg=agg)
    metrics.update(summary("seq_ratio", token_ratio(stat_lr[units.counts > 0]), empty=1.0))
    return loss, metrics


def grpo_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    eps_low: float = 0.2,
    eps_high: float = 0.2,
    *,
    seq_num_tokens: torch.Tensor | None = None,
    kl_coef: float = 0.0,
    ref_logp: torch.Tensor | None = None,
    rollout_logp: torch.Tensor | None = None,
    tis_cap: float | None = None,
    loss_agg: str = "seq_mean",
    global_num_seqs: float | int | None = None,
    global_num_tokens: float | int | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Token-level clipped GRPO/PPO loss: every token has its own ratio exp(logp - old_logp).

    Arguments as in ``gspo_loss`` (advantages [B] or [B, T]; token ratios are local, so
    sliced sequences need only ``seq_num_tokens`` and ``global_num_seqs``). Metrics: the
    names in ``GRPOMetrics``, plus KL and TIS metrics when on.
    """
    check_eps(eps_low, eps_high)
    _check_penalties(kl_coef, ref_logp, rollout_logp, tis_cap)
    b = prepare_batch(logp, old_logp, advantages, mask, allow_token_advantages=True)
    # Validate early so a bad count fails before any work; aggregation re-reads it.
    resolve_seq_num_tokens(b.mask, seq_num_tokens)
    ratio = token_ratio(masked_log_ratio(b.logp, b.old_logp, b.mask))        # [B, T]
    token_pg, clipped_high, clipped_low = clipped_surrogate(ratio, b.advantages, eps_low, eps_high)
    agg = dict(loss_agg=loss_agg, seq_num_tokens=seq_num_tokens,
               global_num_seqs=global_num_seqs, global_num_tokens=global_num_tokens)
    loss, metrics = _finish(b, token_pg, clipped_high, clipped_low, kl_coef=kl_coef, ref_logp=ref_logp,
                            rollout_logp=rollout_logp, tis_cap=tis_cap, agg=agg)
    metrics.update(summary("token_ratio", ratio.detach()[b.mask], empty=1.0))
    return loss, metrics
