"""grpo_loss, the token-level baseline: hand values, naive reference, and where it differs from GSPO."""

from __future__ import annotations

import math

import pytest
import torch

from cuagym.gspo import GRPOMetrics, TIS_METRICS, grpo_loss, gspo_loss
from gspo_testlib import F64, batch_of, grads_by_seq, naive_grpo, random_seqs


def test_grpo_two_sequences_by_hand():
    # Band [0.8, 1.2]. Seq 1 (A=+1): token log-ratios 0.2, 0.4 -> ratios 1.2214, 1.4918, both above 1.2:
    #   each term min(r, 1.2) = 1.2, clipped, mean 1.2.
    # Seq 2 (A=-1): log-ratios -0.1, 0.1, -0.3 -> ratios 0.9048, 1.1052, 0.7408:
    #   terms min(-r, -clip(r)) = -0.9048, -1.1052, -0.8 (0.7408 clipped up to 0.8), mean -0.9366694.
    # loss = -(1/2) * (1.2 - 0.9366694) = -0.1316653
    logp = torch.tensor([[0.2, 0.4, 0.0], [-0.1, 0.1, -0.3]], dtype=F64, requires_grad=True)
    old = torch.zeros(2, 3, dtype=F64)
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    adv = torch.tensor([1.0, -1.0], dtype=F64)
    loss, m = grpo_loss(logp, old, adv, mask)
    seq2 = -(math.exp(-0.1) + math.exp(0.1) + 0.8) / 3
    assert loss.item() == pytest.approx(-(1.2 + seq2) / 2, abs=1e-12)
    assert loss.item() == pytest.approx(-0.1316653, abs=1e-7)
    loss.backward()
    # Only seq 2's first two tokens are unclipped: d/dlogp_t = -(1/2) * (1/3) * A * r_t = r_t / 6.
    expected = torch.tensor([[0, 0, 0], [math.exp(-0.1) / 6, math.exp(0.1) / 6, 0]], dtype=F64)
    torch.testing.assert_close(logp.grad, expected)
    # 3 of 5 tokens clipped: 2 above (A>0), 1 below (A<0).
    assert m["clip_frac"] == pytest.approx(0.6)
    assert m["clip_frac_high"] == pytest.approx(0.4) and m["clip_frac_low"] == pytest.approx(0.2)
    assert m["token_ratio_max"] == pytest.approx(math.exp(0.4))
    assert m["token_ratio_min"] == pytest.approx(math.exp(-0.3))
    assert set(m) == set(GRPOMetrics)


@pytest.mark.parametrize("per_token_adv", [False, True])
def test_grpo_matches_naive_reference(per_token_adv):
    seqs = random_seqs(11, [4, 7, 1, 5], per_token_adv=per_token_adv, extras=True)
    for s in seqs:  # widen the spread so the 0.2 band clips some tokens and not others
        s.old = s.logp.detach() + 2.0 * (s.old - s.logp.detach())
    ref = naive_grpo(seqs, 0.2, 0.25, tis_cap=1.8)
    ref.backward()
    b = batch_of(seqs, side="left", width=9, fill=float("nan"))
    loss, m = grpo_loss(b["logp"], b["old_logp"], b["advantages"], b["mask"], 0.2, 0.25,
                        rollout_logp=b["rollout_logp"], tis_cap=1.8)
    loss.backward()
    torch.testing.assert_close(loss, ref, rtol=1e-12, atol=1e-14)
    for got, s in zip(grads_by_seq(b["logp"], b["mask"]), seqs):
        torch.testing.assert_close(got, s.logp.grad, rtol=1e-10, atol=1e-14)
    assert 0 < m["clip_frac"] < 1
    assert set(m) == set(GRPOMetrics) | set(TIS_METRICS)


def test_grpo_clips_wild_tokens_that_gspo_leaves_alone():
    # Same batch as the GSPO test: token log-ratios +1/-1, sequence ratio exactly 1.
    logp = torch.tensor([[1.0, -1.0], [-1.0, 1.0]], dtype=F64, requires_grad=True)
    old = torch.zeros(2, 2, dtype=F64)
    adv = torch.tensor([1.0, -1.0], dtype=F64)
    mask = torch.ones(2, 2, dtype=torch.bool)
    _, m_gspo = gspo_loss(logp, old, adv, mask, 0.2, 0.2)
    loss, m = grpo_loss(logp, old, adv, mask, 0.2, 0.2)
    loss.backward()
    assert m_gspo["clip_frac"] == 0.0
    # Row 0 (A>0): token 0 (ratio e) clipped above; token 1 (ratio 1/e) keeps its gradient.
    # Row 1 (A<0): token 0 (ratio 1/e) clipped below; token 1 (ratio e) keeps its gradient.
    assert m["clip_frac"] == 0.5 and m["clip_frac_high"] == 0.25 and m["clip_frac_low"] == 0.25
    # Unclipped gradient: -(1/2) * (1/2) * A * r_t.
    expected = torch.tensor([[0.0, -math.exp(-1) / 4], [0.0, math.exp(1) / 4]], dtype=F64)
    torch.testing.assert_close(logp.grad, expected)
