"""sequence_log_ratio per sequence and per turn, and the turn unit inside gspo_loss."""

from __future__ import annotations

import math

import pytest
import torch

from cuagym.gspo import gspo_loss, sequence_log_ratio
from gspo_testlib import F64, batch_of, grads_by_seq, naive_gspo, random_seqs


def test_sequence_log_ratio_by_hand():
    # Row 0: policy tokens log-ratios 0.2, 0.4 (third slot is padding holding NaN) -> 0.3
    # Row 1: -0.1, 0.1, -0.3 -> -0.1
    # Row 2: no policy tokens -> 0, not NaN
    logp = torch.tensor([[0.2, 0.4, float("nan")], [-0.1, 0.1, -0.3], [1.0, 2.0, 3.0]], dtype=F64)
    old = torch.zeros(3, 3, dtype=F64)
    mask = torch.tensor([[1, 1, 0], [1, 1, 1], [0, 0, 0]])
    torch.testing.assert_close(sequence_log_ratio(logp, old, mask), torch.tensor([0.3, -0.1, 0.0], dtype=F64))


def test_sequence_log_ratio_gradient_is_one_over_length():
    logp = torch.tensor([[0.5, -0.2, 0.0, 0.0]], dtype=F64, requires_grad=True)
    mask = torch.tensor([[True, True, False, True]])
    sequence_log_ratio(logp, torch.zeros_like(logp), mask).sum().backward()
    torch.testing.assert_close(logp.grad, torch.tensor([[1 / 3, 1 / 3, 0.0, 1 / 3]], dtype=F64))


def test_per_turn_log_ratio_by_hand():
    # Row 0: turn 0 = tokens 0,1 (log-ratios 0.1, 0.3 -> 0.2); token 2 is an environment token
    # (mask 0); turn 1 = tokens 3,4,5 (0.6, 0.0, -0.3 -> 0.1).
    # Row 1 reuses turn id 0 for different tokens: 0.5 -> 0.5; its turn 7: -0.2, -0.4 -> -0.3.
    logp = torch.tensor([[0.1, 0.3, 9.0, 0.6, 0.0, -0.3], [0.5, -0.2, -0.4, 0.0, 0.0, 0.0]], dtype=F64)
    old = torch.zeros_like(logp)
    mask = torch.tensor([[1, 1, 0, 1, 1, 1], [1, 1, 1, 0, 0, 0]])
    seg = torch.tensor([[0, 0, 0, 1, 1, 1], [0, 7, 7, 3, 3, 3]])
    got = sequence_log_ratio(logp, old, mask, segment_ids=seg)
    expected = torch.tensor([[0.2, 0.2, 0.0, 0.1, 0.1, 0.1], [0.5, -0.3, -0.3, 0.0, 0.0, 0.0]], dtype=F64)
    torch.testing.assert_close(got, expected)
    # One turn per row is the sequence unit.
    one = torch.zeros_like(seg)
    torch.testing.assert_close(sequence_log_ratio(logp, old, mask, segment_ids=one)[:, 0],
                               sequence_log_ratio(logp, old, mask))


@pytest.mark.parametrize("loss_form", ["seq", "token"])
def test_turn_unit_matches_naive_reference(loss_form):
    seqs = random_seqs(8, [6, 3, 9], turns=True)
    assert any(len(set(s.turns)) > 1 for s in seqs)
    ref = naive_gspo(seqs, 0.03, 0.03, per_turn=True, token_form=loss_form == "token")
    ref.backward()
    b = batch_of(seqs, side="left", width=11, fill=float("nan"))
    loss, m = gspo_loss(b["logp"], b["old_logp"], b["advantages"], b["mask"], 0.03, 0.03, loss_form=loss_form,
                        segment_ids=b["segment_ids"])
    loss.backward()
    torch.testing.assert_close(loss, ref, rtol=1e-12, atol=1e-14)
    for got, s in zip(grads_by_seq(b["logp"], b["mask"]), seqs):
        torch.testing.assert_close(got, s.logp.grad, rtol=1e-10, atol=1e-14)
    # Ratio statistics are over turns: recompute them from the naive per-turn means.
    ratios = []
    for s in seqs:
        for u in sorted(set(s.turns)):
            toks = [t for t, v in enumerate(s.turns) if v == u]
            ratios.append(math.exp(sum(float(s.logp[t].detach() - s.old[t]) for t in toks) / len(toks)))
    assert m["seq_ratio_min"] == pytest.approx(min(ratios))
    assert m["seq_ratio_max"] == pytest.approx(max(ratios))
    assert m["seq_ratio_mean"] == pytest.approx(sum(ratios) / len(ratios))


def test_turn_unit_differs_from_sequence_unit_when_turns_disagree():
    # Turn 0 has log-ratio +0.5, turn 1 has -0.5; the sequence ratio is 1 (unclipped) but each
    # turn's ratio is outside the [0.9, 1.1] band, so with A > 0 turn 0 is clipped.
    logp = torch.tensor([[0.5, 0.5, -0.5, -0.5]], dtype=F64, requires_grad=True)
    old = torch.zeros_like(logp)
    mask = torch.ones(1, 4, dtype=torch.bool)
    adv = torch.tensor([1.0], dtype=F64)
    _, m_seq = gspo_loss(logp, old, adv, mask, 0.1, 0.1)
    loss, m_turn = gspo_loss(logp, old, adv, mask, 0.1, 0.1, segment_ids=torch.tensor([[0, 0, 1, 1]]))
    assert m_seq["clip_frac"] == 0.0
    assert m_turn["clip_frac"] == 0.5 and m_turn["clip_frac_high"] == 0.5
    loss.backward()
    # Turn 0 clipped: no gradient. Turn 1: -(1/4) * 2 tokens * s1 * d(mean)/dlogp_t = -(1/4) * e^-0.5 per token.
    torch.testing.assert_close(logp.grad, torch.tensor([[0.0, 0.0, -math.exp(-0.5) / 4, -math.exp(-0.5) / 4]],
                                                       dtype=F64))


def test_gspo_token_ratio_value_is_the_unit_ratio_and_gradient_skips_it():
    # Value: exactly exp(unit log-ratio). Gradient: s_u * d logp_t, nothing flows into the
    # unit log-ratio even if the caller passes a tensor that still has a graph.
    from cuagym.gspo.ratios import gspo_token_ratio

    logp = torch.tensor([[-1.0, -2.0]], dtype=F64, requires_grad=True)
    unit = torch.tensor([[0.3, -0.2]], dtype=F64, requires_grad=True)
    ratio = gspo_token_ratio(unit, logp)
    assert torch.equal(ratio.detach(), torch.exp(unit.detach()))
    ratio.sum().backward()
    torch.testing.assert_close(logp.grad, torch.exp(unit.detach()))
    assert unit.grad is None
