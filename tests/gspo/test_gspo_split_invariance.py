"""Splitting a step into micro-batches, or a trajectory into slices, leaves loss and gradient unchanged.

Gradients are taken with respect to the parameters of a tiny log-linear policy that every
sequence, slice and micro-batch shares, the way the learner's model is shared.
"""

from __future__ import annotations

import pytest
import torch

from cuagym.gspo import get_loss, group_advantages, grpo_loss, gspo_loss, sequence_log_ratio
from gspo_testlib import F64, Seq, TinyPolicy, naive_gspo, pad_rows

LOSSES = {
    "gspo_seq": lambda *a, **k: gspo_loss(*a, loss_form="seq", **k),
    "gspo_token": lambda *a, **k: gspo_loss(*a, loss_form="token", **k),
    "grpo": grpo_loss,
}


def make_step(seed: int, lengths: list[int], group_size: int = 3):
    """Per-sequence features, sampled ids, old/rollout log-probs and group advantages."""
    policy = TinyPolicy(seed=seed)
    g = torch.Generator().manual_seed(seed + 100)
    seqs = []
    for n in lengths:
        feats = torch.randn(n, policy.dim, generator=g, dtype=F64)
        ids = torch.randint(0, policy.vocab, (n,), generator=g)
        with torch.no_grad():
            now = policy.logp(feats, ids)
        old = now + 0.08 * torch.randn(n, generator=g, dtype=F64)
        seqs.append({
            "feats": feats, "ids": ids, "old": old,
            "rollout": old + 0.3 * torch.randn(n, generator=g, dtype=F64),
        })
    rewards = torch.rand(len(lengths), generator=g, dtype=F64)
    adv, _ = group_advantages(rewards, torch.arange(len(lengths)) // group_size)
    for s, a in zip(seqs, adv):
        s["adv"] = a
    return policy, seqs


def micro_batch(policy: TinyPolicy, seqs: list[dict], side: str, extra_width: int):
    """Pad the given sequences to one [b, T] micro-batch, garbage in the pads, and run the policy."""
    width = max(len(s["ids"]) for s in seqs) + extra_width
    feats = torch.randn(len(seqs), width, policy.dim, dtype=F64)  # pads: arbitrary features
    ids = torch.zeros(len(seqs), width, dtype=torch.long)
    for i, s in enumerate(seqs):
        n = len(s["ids"])
        lo = 0 if side == "right" else width - n
        feats[i, lo:lo + n] = s["feats"]
        ids[i, lo:lo + n] = s["ids"]
    old, mask = pad_rows([s["old"] for s in seqs], width, side, fill=float("nan"))
    rollout, _ = pad_rows([s["rollout"] for s in seqs], width, side, fill=float("inf"))
    logp = policy.logp(feats, ids)
    adv = torch.stack([s["adv"] for s in seqs])
    return logp, old, adv, mask, dict(rollout_logp=rollout)


SPLITS = [[[0, 1, 2, 3, 4, 5]], [[0, 1], [2, 3, 4, 5]], [[4], [0, 5], [1, 2, 3]]]


@pytest.mark.parametrize("loss_name", list(LOSSES))
@pytest.mark.parametrize("loss_agg", ["seq_mean", "token_mean"])
def test_micro_batch_split_sums_to_the_full_batch(loss_name, loss_agg):
    lengths = [3, 9, 1, 6, 2, 5]
    policy, seqs = make_step(0, lengths)
    loss_fn = LOSSES[loss_name]
    eps = (0.03, 0.03) if loss_name.startswith("gspo") else (0.06, 0.06)
    common = dict(loss_agg=loss_agg, global_num_seqs=len(lengths), global_num_tokens=sum(lengths),
                  tis_cap=2.0)
    results = []
    for split_no, split in enumerate(SPLITS):
        total_loss = torch.zeros((), dtype=F64)
        total_grad = torch.zeros_like(policy.weight)
        clip_seen = 0.0
        for k, idx in enumerate(split):
            side = "left" if (split_no + k) % 2 else "right"
            logp, old, adv, mask, extras = micro_batch(policy, [seqs[i] for i in idx], side, extra_width=k)
            loss, metrics = loss_fn(logp, old, adv, mask, *eps, **common, **extras)
            total_loss = total_loss + loss.detach()
            total_grad += policy.grad_of(loss)
            clip_seen += metrics["clip_frac"]
        results.append((total_loss, total_grad, clip_seen))
    full_loss, full_grad, full_clip = results[0]
    assert full_grad.abs().sum() > 0 and full_clip > 0  # some terms clipped, some not
    for loss, grad, _ in results[1:]:
        torch.testing.assert_close(loss, full_loss, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(grad, full_grad, rtol=1e-10, atol=1e-13)


def test_micro_batches_need_the_global_normalisers():
    # Control: with per-call defaults each micro-batch averages over itself, and the sum no
    # longer equals the full-batch loss.
    policy, seqs = make_step(1, [3, 9, 1, 6, 2, 5])
    full = gspo_loss(*micro_batch(policy, seqs, "right", 0)[:4], 0.03, 0.03)[0]
    parts = sum(gspo_loss(*micro_batch(policy, [seqs[i] for i in idx], "right", 0)[:4], 0.03, 0.03)[0]
                for idx in SPLITS[1])
    assert abs(parts.item() - full.item()) > 1e-3


def sliced_setup(seed: int):
    """Two trajectories: A has 12 policy tokens (with 2 environment tokens inside), B has 5.

    A is cut into 3 slices; each slice row starts with 2 context tokens that are not policy
    tokens (mask 0), like the prompt part of a training sample.
    """
    policy = TinyPolicy(seed=seed)
    g = torch.Generator().manual_seed(seed)
    width_a, width_b = 14, 5
    feats = torch.randn(2, width_a, policy.dim, generator=g, dtype=F64)
    ids = torch.randint(0, policy.vocab, (2, width_a), generator=g)
    mask = torch.zeros(2, width_a, dtype=torch.bool)
    mask[0] = True
    mask[0, [4, 9]] = False                       # environment tokens inside A
    mask[1, :width_b] = True
    turns = torch.tensor([[0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 3, 3, 3], [0, 0, 1, 1, 1] + [9] * 9])
    with torch.no_grad():
        now = policy.logp(feats, ids)
    old = now + 0.1 * torch.randn(2, width_a, generator=g, dtype=F64)
    rollout = old + 0.3 * torch.randn(2, width_a, generator=g, dtype=F64)
    adv_seq = torch.tensor([0.7, -1.1], dtype=F64)
    adv_tok = torch.randn(2, width_a, generator=g, dtype=F64)
    # Slices of row 0 (columns), each cut at a turn boundary.
    cuts = [(0, 4), (4, 9), (9, 14)]
    return policy, feats, ids, mask, turns, old, rollout, adv_seq, adv_tok, cuts


def slice_row(t: torch.Tensor, lo: int, hi: int, context: torch.Tensor) -> torch.Tensor:
    """Columns lo:hi of row 0 behind ``context`` (the non-policy prefix of the sample): [1, 2 + hi - lo]."""
    return torch.cat([context, t[0, lo:hi]]).unsqueeze(0)


# The token form takes per-token advantages and stays exact with TIS; the sequence form takes
# per-sequence advantages, and with TIS each slice spreads its own mean weight (not exact).
SLICED_CASES = [(form, advantages, unit, tis)
                for form in ["seq", "token"] for advantages in ["seq", "token"] for unit in ["sequence", "turn"]
                for tis in [False, True] if form == "token" or (advantages == "seq" and not tis)]


@pytest.mark.parametrize("form, advantages, unit, tis", SLICED_CASES)
def test_sliced_trajectory_gradient_equals_unsliced(form, advantages, unit, tis):
    policy, feats, ids, mask, turns, old, rollout, adv_seq, adv_tok, cuts = sliced_setup(3)
    adv = adv_seq if advantages == "seq" else adv_tok
    seg = turns if unit == "turn" else None
    eps = (0.02, 0.02)
    extras = dict(rollout_logp=rollout, tis_cap=1.5) if tis else {}

    # Unsliced: both trajectories whole, in one call.
    full_loss, full_m = gspo_loss(policy.logp(feats, ids), old, adv, mask, *eps, loss_form=form,
                                  segment_ids=seg, **extras)
    full_grad = policy.grad_of(full_loss)
    assert full_grad.abs().sum() > 0

    # The learner's no-grad pass over whole trajectories gives one ratio per unit.
    with torch.no_grad():
        whole_lr = sequence_log_ratio(policy.logp(feats, ids), old, mask, segment_ids=seg)  # [2] or [2, T]
    whole_counts = mask.sum(-1)                                                             # [2]

    # Sliced: micro-batch 1 = slice 0 of A; micro-batch 2 = slices 1, 2 of A and all of B.
    ctx_f = torch.randn(2, policy.dim, dtype=F64)
    ctx_i = torch.tensor([1, 2])
    zeros2, false2 = torch.zeros(2, dtype=F64), torch.zeros(2, dtype=torch.bool)

    def sample(lo, hi):
        cat = lambda t, c: slice_row(t, lo, hi, c)  # noqa: E731
        f = torch.cat([ctx_f, feats[0, lo:hi]]).unsqueeze(0)
        return dict(feats=f, ids=cat(ids, ctx_i), old=cat(old, zeros2), rollout=cat(rollout, zeros2),
                    mask=cat(mask, false2), seg=cat(turns, torch.tensor([0, 0])),
                    adv=adv[:1] if adv.dim() == 1 else cat(adv, zeros2),
                    lr=whole_lr[:1] if seg is None else cat(whole_lr, zeros2), n=whole_counts[:1])

    b_row = dict(feats=feats[1:], ids=ids[1:], old=old[1:], rollout=rollout[1:], mask=mask[1:], seg=turns[1:],
                 adv=adv[1:], lr=whole_lr[1:], n=whole_counts[1:])
    s0, s1, s2 = (sample(lo, hi) for lo, hi in cuts)

    def stack(rows):
        width = max(r["mask"].shape[1] for r in rows)
        def pad(t, fill=0):
            return torch.nn.functional.pad(t, (0, width - t.shape[1]), value=fill) if t.dim() == 2 else t
        out = {}
        for key in rows[0]:
            if key == "feats":
                out[key] = torch.cat([torch.nn.functional.pad(r[key], (0, 0, 0, width - r[key].shape[1]))
                                      for r in rows])
            else:
                out[key] = torch.cat([pad(r[key], False if key == "mask" else 0) for r in rows])
        return out

    total_loss = torch.zeros((), dtype=F64)
    total_grad = torch.zeros_like(policy.weight)
    for rows in ([s0], [s1, s2, b_row]):
        mb = stack(rows)
        tis_kw = dict(rollout_logp=mb["rollout"], tis_cap=1.5) if tis else {}
        loss, _ = gspo_loss(policy.logp(mb["feats"], mb["ids"]), mb["old"], mb["adv"], mb["mask"], *eps,
                            loss_form=form, seq_log_ratio=mb["lr"], seq_num_tokens=mb["n"],
                            segment_ids=mb["seg"] if seg is not None else None,
                            global_num_seqs=2, **tis_kw)
        total_loss = total_loss + loss.detach()
        total_grad += policy.grad_of(loss)
    torch.testing.assert_close(total_loss, full_loss.detach(), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(total_grad, full_grad, rtol=1e-10, atol=1e-13)

    # Control: without the whole-trajectory token counts each slice normalises by its own
    # length and the summed gradient is wrong.
    wrong = torch.zeros_like(policy.weight)
    for rows in ([s0], [s1, s2, b_row]):
        mb = stack(rows)
        tis_kw = dict(rollout_logp=mb["rollout"], tis_cap=1.5) if tis else {}
        loss, _ = gspo_loss(policy.logp(mb["feats"], mb["ids"]), mb["old"], mb["adv"], mb["mask"], *eps,
                            loss_form=form, seq_log_ratio=mb["lr"],
                            segment_ids=mb["seg"] if seg is not None else None, global_num_seqs=2, **tis_kw)
        wrong += policy.grad_of(loss)
    assert (wrong - full_grad).abs().max() > 1e-6


@pytest.mark.parametrize("name", ["gspo", "gspo_token"])
def test_sliced_gspo_forms_match_the_naive_unsliced_reference(name):
    # For per-sequence advantages both GSPO forms, run on slices with the whole trajectory's
    # ratio and token count, reproduce the naive sequence-level GSPO gradient of the whole
    # trajectories: (1/N) sum_i -min(s_i A_i, clip(s_i) A_i), differentiated through s_i.
    policy, feats, ids, mask, _, old, _, adv_seq, _, cuts = sliced_setup(4)
    whole = policy.logp(feats, ids)
    seqs = [Seq(logp=whole[i][mask[i]], old=old[i][mask[i]], adv=adv_seq[i]) for i in range(2)]
    ref = naive_gspo(seqs, 0.02, 0.02)
    ref_grad = policy.grad_of(ref)
    assert ref_grad.abs().sum() > 0
    with torch.no_grad():
        lr = sequence_log_ratio(policy.logp(feats, ids), old, mask)
    loss_fn = get_loss(name)
    total = torch.zeros_like(policy.weight)
    value = 0.0
    clipped = 0.0
    for lo, hi in cuts + [(None, None)]:
        if lo is None:   # trajectory B, whole
            args = (policy.logp(feats[1:], ids[1:]), old[1:], adv_seq[1:], mask[1:])
            kw = dict(seq_log_ratio=lr[1:], seq_num_tokens=mask[1:].sum(-1))
        else:
            args = (policy.logp(feats[:1, lo:hi], ids[:1, lo:hi]), old[:1, lo:hi], adv_seq[:1], mask[:1, lo:hi])
            kw = dict(seq_log_ratio=lr[:1], seq_num_tokens=mask[:1].sum(-1))
        loss, m = loss_fn(*args, eps_low=0.02, eps_high=0.02, global_num_seqs=2, **kw)
        value += loss.item()
        clipped += m["clip_frac"]
        total += policy.grad_of(loss)
    # s_A = 1.019 with A > 0 stays inside [0.98, 1.02]; s_B = 0.964 with A < 0 is clipped.
    assert clipped == 1.0
    assert value == pytest.approx(ref.item(), rel=1e-12)
    torch.testing.assert_close(total, ref_grad, rtol=1e-10, atol=1e-13)


def test_sliced_sequence_form_needs_the_whole_trajectory_ratio():
    # Control: a slice that computes its ratio from its own tokens gets a different value
    # and gradient than the trajectory's sequence ratio gives.
    policy, feats, ids, mask, _, old, _, adv_seq, _, cuts = sliced_setup(4)
    full_loss, _ = gspo_loss(policy.logp(feats[:1], ids[:1]), old[:1], adv_seq[:1], mask[:1], 0.02, 0.02)
    full_grad = policy.grad_of(full_loss)
    total = torch.zeros_like(policy.weight)
    for lo, hi in cuts:
        loss, _ = gspo_loss(policy.logp(feats[:1, lo:hi], ids[:1, lo:hi]), old[:1, lo:hi], adv_seq[:1],
                            mask[:1, lo:hi], 0.02, 0.02, seq_num_tokens=mask[:1].sum(-1))
        total += policy.grad_of(loss)
    assert (total - full_grad).abs().max() > 1e-6


def test_sliced_grpo_needs_only_the_token_counts():
    policy, feats, ids, mask, _, old, _, adv_seq, _, cuts = sliced_setup(5)
    full_loss, _ = grpo_loss(policy.logp(feats, ids), old, adv_seq, mask)
    full_grad = policy.grad_of(full_loss)
    total = torch.zeros_like(policy.weight)
    for lo, hi in cuts:
        loss, _ = grpo_loss(policy.logp(feats[:1, lo:hi], ids[:1, lo:hi]), old[:1, lo:hi], adv_seq[:1],
                            mask[:1, lo:hi], seq_num_tokens=mask[:1].sum(-1), global_num_seqs=2)
        total += policy.grad_of(loss)
    loss_b, _ = grpo_loss(policy.logp(feats[1:], ids[1:]), old[1:], adv_seq[1:], mask[1:], global_num_seqs=2)
    total += policy.grad_of(loss_b)
    torch.testing.assert_close(total, full_grad, rtol=1e-10, atol=1e-13)
