"""Helpers for the gspo tests: naive per-sequence references, a tiny log-linear policy, padding.

The references loop over sequences and tokens with scalar tensor ops, written straight from
the formulas, so that autograd gives their gradients for comparison with the vectorised
losses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

F64 = torch.float64


@dataclass
class Seq:
    """One sequence's policy tokens only (no padding)."""
    logp: torch.Tensor                  # [n]
    old: torch.Tensor                   # [n]
    adv: float | torch.Tensor           # scalar, or [n] per token
    rollout: torch.Tensor | None = None  # [n]
    turns: list[int] = field(default_factory=list)  # turn id per token (empty: one unit)


def _adv_at(s: Seq, t: int):
    return s.adv[t] if isinstance(s.adv, torch.Tensor) and s.adv.dim() == 1 else s.adv


def _pessimistic(ratio, adv, eps_low, eps_high):
    clipped = torch.clamp(ratio, 1 - eps_low, 1 + eps_high)
    return -torch.minimum(ratio * adv, clipped * adv)


def _extras(s: Seq, t: int, tis_cap):
    w = 1.0
    if s.rollout is not None:
        w = min(math.exp(float(s.old[t] - s.rollout[t])), tis_cap)
    return w


def naive_gspo(seqs: list[Seq], eps_low: float, eps_high: float, *,
               tis_cap: float | None = None, per_turn: bool = False, token_form: bool = False) -> torch.Tensor:
    """(1/N) sum_i (1/n_i) sum_t w_t * -min(s_u(t) A, clip(s_u(t)) A).

    With ``token_form`` the ratio of token t is sg[s_u] * exp(logp_t - sg[logp_t]) (GSPO-token).
    """
    total = torch.zeros((), dtype=F64)
    used = 0
    for s in seqs:
        n = len(s.logp)
        if n == 0:
            continue
        used += 1
        turns = s.turns if per_turn else [0] * n
        log_s = {}
        for u in set(turns):
            toks = [t for t in range(n) if turns[t] == u]
            acc = torch.zeros((), dtype=F64)
            for t in toks:
                acc = acc + (s.logp[t] - s.old[t])
            log_s[u] = acc / len(toks)
        seq_total = torch.zeros((), dtype=F64)
        for t in range(n):
            if token_form:
                ratio = torch.exp(log_s[turns[t]].detach() + s.logp[t] - s.logp[t].detach())
            else:
                ratio = torch.exp(log_s[turns[t]])
            seq_total = seq_total + _extras(s, t, tis_cap) * _pessimistic(ratio, _adv_at(s, t), eps_low, eps_high)
        total = total + seq_total / n
    return total / max(used, 1)


def naive_grpo(seqs: list[Seq], eps_low: float, eps_high: float, *,
               tis_cap: float | None = None) -> torch.Tensor:
    """(1/N) sum_i (1/n_i) sum_t w_t * -min(r_t A, clip(r_t) A), r_t per token."""
    total = torch.zeros((), dtype=F64)
    used = 0
    for s in seqs:
        n = len(s.logp)
        if n == 0:
            continue
        used += 1
        seq_total = torch.zeros((), dtype=F64)
        for t in range(n):
            ratio = torch.exp(s.logp[t] - s.old[t])
            seq_total = seq_total + _extras(s, t, tis_cap) * _pessimistic(ratio, _adv_at(s, t), eps_low, eps_high)
        total = total + seq_total / n
    return total / max(used, 1)


def pad_rows(rows: list[torch.Tensor], width: int | None = None, side: str = "right",
             fill: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack 1-D rows into [B, T] with ``fill`` in the padding; returns (matrix, bool mask)."""
    width = max([len(r) for r in rows] + [0]) if width is None else width
    out = torch.full((len(rows), width), fill, dtype=rows[0].dtype if rows else F64)
    mask = torch.zeros((len(rows), width), dtype=torch.bool)
    for i, r in enumerate(rows):
        n = len(r)
        lo = 0 if side == "right" else width - n
        out[i, lo:lo + n] = r
        mask[i, lo:lo + n] = True
    return out, mask


class TinyPolicy:
    """A log-linear policy over a small vocabulary: logp(y | x) = log_softmax(x @ W^T)[y].

    Stands in for the model so gradients are taken with respect to real parameters that
    several sequences, slices and micro-batches share.
    """

    def __init__(self, dim: int = 4, vocab: int = 6, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        self.weight = torch.randn(vocab, dim, generator=g, dtype=F64).requires_grad_(True)
        self.vocab = vocab
        self.dim = dim

    def logp(self, feats: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """feats [..., D], ids [...] -> log-probs of ids [...]."""
        logits = feats @ self.weight.T
        return torch.log_softmax(logits, -1).gather(-1, ids.unsqueeze(-1)).squeeze(-1)

    def grad_of(self, loss: torch.Tensor) -> torch.Tensor:
        (g,) = torch.autograd.grad(loss, self.weight)
        return g


def random_seqs(seed: int, lengths: list[int], *, per_token_adv=False, extras=False, turns=False) -> list[Seq]:
    g = torch.Generator().manual_seed(seed)
    seqs = []
    for n in lengths:
        logp = (-torch.rand(n, generator=g, dtype=F64) * 3).requires_grad_(True)
        old = logp.detach() + 0.15 * torch.randn(n, generator=g, dtype=F64)
        adv = torch.randn(n, generator=g, dtype=F64) if per_token_adv else float(torch.randn(1, generator=g))
        s = Seq(logp=logp, old=old, adv=adv)
        if extras:
            s.rollout = old + 0.4 * torch.randn(n, generator=g, dtype=F64)
        if turns:
            s.turns = sorted(torch.randint(0, 3, (n,), generator=g).tolist())
        seqs.append(s)
    return seqs


def batch_of(seqs: list[Seq], side: str = "right", width: int | None = None, fill: float = 0.0):
    """Pad a list of Seq to [B, T] tensors; logp is a new leaf whose gradient maps back to the seqs."""
    logp, mask = pad_rows([s.logp.detach() for s in seqs], width, side, fill)
    logp.requires_grad_(True)
    old, _ = pad_rows([s.old for s in seqs], width, side, fill)
    out = {"logp": logp, "old_logp": old, "mask": mask}
    if isinstance(seqs[0].adv, torch.Tensor):
        out["advantages"], _ = pad_rows([s.adv for s in seqs], width, side, fill)
    else:
        out["advantages"] = torch.tensor([s.adv for s in seqs], dtype=F64)
    if seqs[0].rollout is not None:
        out["rollout_logp"], _ = pad_rows([s.rollout for s in seqs], width, side, fill)
    if seqs[0].turns:
        seg, _ = pad_rows([torch.tensor(s.turns) for s in seqs], width, side, 0)
        out["segment_ids"] = seg.long()
    return out


def grads_by_seq(logp: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
    return [logp.grad[i][mask[i]] for i in range(logp.shape[0])]
