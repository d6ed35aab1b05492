"""Reduce per-token losses to one scalar, independently of how the batch was split.

Two aggregations:

* ``"seq_mean"`` (GSPO's objective): each sequence's mean over its policy tokens, averaged
  over sequences:  L = (1 / N_seq) * sum_i (1 / n_i) * sum_{t in i} l_t
* ``"token_mean"``: every policy token weighs the same:  L = (1 / N_tok) * sum_{i,t} l_t

Both are sums of per-token terms with constant weights, so a batch split into micro-batches
(or data-parallel ranks, or a long trajectory split into slices) gives the full-batch loss
and gradient by *summing* the pieces, provided every piece uses the global normalisers:

* ``global_num_seqs`` N_seq: the sequences of the whole optimizer step, on all ranks;
* ``global_num_tokens`` N_tok: likewise for policy tokens (``"token_mean"``);
* ``seq_num_tokens`` n_i [B]: policy tokens of each row's *whole* sequence, when a row is
  only a slice of it.

Left to their defaults they describe the call's own batch, which is right only when the
call sees the whole step. A data-parallel engine that averages gradients over W ranks
needs the loss multiplied by W to undo that average.
"""

from __future__ import annotations

import torch

from cuagym.gspo.checks import check_choice, check_per_sequence, check_positive_count

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
