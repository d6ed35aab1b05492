"""gspo_loss values and gradients: hand-computed cases, a naive reference, padding, clipping."""

from __future__ import annotations

import math

import pytest
import torch

from cuagym.gspo import GSPOMetrics, TIS_METRICS, gspo_loss
from gspo_testlib import F64, batch_of, grads_by_seq, naive_gspo, random_seqs


def two_seq_example():
    # Sequence 1: 2 policy tokens, log-ratios 0.2, 0.4 -> mean 0.3, s1 = e^0.3 = 1.3498588.
    # Sequence 2: 3 policy tokens, log-ratios -0.1, 0.1, -0.3 -> mean -0.1, s2 = e^-0.1 = 0.9048374.
    logp = torch.tensor([[0.2, 0.4, 0.0], [-0.1, 0.1, -0.3]], dtype=F64).requires_grad_(True)
    old = torch.zeros(2, 3, dtype=F64)
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    adv = torch.tensor([1.0, -1.0], dtype=F64)
    return logp, old, mask, adv


@pytest.mark.parametrize("loss_form", ["seq", "token"])
def test_two_sequences_by_hand(loss_form):
    logp, old, mask, adv = two_seq_example()
    loss, metrics = gspo_loss(logp, old, adv, mask, eps_low=0.2, eps_high=0.2, loss_form=loss_form)
    # Band [0.8, 1.2].
    # Seq 1, A=+1: min(1.3498588 * 1, clip(1.3498588) * 1) = min(1.3498588, 1.2) = 1.2 (clipped above).
    # Seq 2, A=-1: s2 = 0.9048374 is inside the band: min(-0.9048374, -0.9048374) = -0.9048374.
    # loss = -(1/2) * (1.2 - 0.9048374) = -0.1475813
    assert loss.item() == pytest.approx(-(1.2 - math.exp(-0.1)) / 2, abs=1e-12)
    assert loss.item() == pytest.approx(-0.1475813, abs=1e-7)
    loss.backward()
    # Seq 1 is clipped: no gradient. Seq 2: d loss / d logp_t = -(1/2) * A2 * s2 * (1/3)
    #   = (1/2) * 0.9048374 / 3 = 0.1508062 for each of its 3 tokens.
    expected = torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], dtype=F64) * math.exp(-0.1) / 6
    torch.testing.assert_close(logp.grad, expected, rtol=0, atol=1e-12)
    assert logp.grad[1, 0].item() == pytest.approx(0.1508062, abs=1e-7)
    # 2 of the 5 policy tokens belong to the clipped sequence.
    assert metrics["clip_frac"] == pytest.approx(0.4)
    assert metrics["clip_frac_high"] == pytest.approx(0.4)
    assert metrics["clip_frac_low"] == 0.0
    assert metrics["seq_ratio_min"] == pytest.approx(math.exp(-0.1))
    assert metrics["seq_ratio_max"] == pytest.approx(math.exp(0.3))
    assert metrics["seq_ratio_mean"] == pytest.approx((math.exp(0.3) + math.exp(-0.1)) / 2)
    assert metrics["num_policy_tokens"] == 5.0 and metrics["num_seqs"] == 2.0
    assert (metrics["adv_mean"], metrics["adv_min"], metrics["adv_max"], metrics["adv_std"]) == (0.0, -1.0, 1.0, 1.0)
    assert set(metrics) == set(GSPOMetrics)
    assert all(isinstance(v, float) for v in metrics.values())


def test_paper_default_band_clips_both_sequences_by_hand():
    logp, old, mask, adv = two_seq_example()
    loss, metrics = gspo_loss(logp, old, adv, mask)  # eps 3e-4 / 4e-4
    # Seq 1, A=+1: s1 = 1.3499 > 1.0004 -> clipped to 1.0004, objective 1.0004.
    # Seq 2, A=-1: s2 = 0.9048 < 0.9997 -> clipped: min(-0.9048, -0.9997) = -0.9997.
    # loss = -(1/2) * (1.0004 - 0.9997) = -0.00035
    assert loss.item() == pytest.approx(-0.00035, abs=1e-12)
    loss.backward()
    assert torch.count_nonzero(logp.grad) == 0
    assert metrics["clip_frac"] == 1.0
    assert metrics["clip_frac_high"] == pytest.approx(0.4) and metrics["clip_frac_low"] == pytest.approx(0.6)


@pytest.mark.parametrize("loss_form", ["seq", "token"])
@pytest.mark.parametrize("eps", [(3e-4, 4e-4), (0.05, 0.08)])
def test_matches_naive_reference_values_and_gradients(loss_form, eps):
    seqs = random_seqs(2, [4, 1, 7, 3, 5])
    ref = naive_gspo(seqs, *eps)
    ref.backward()
    b = batch_of(seqs)
    loss, metrics = gspo_loss(b["logp"], b["old_logp"], b["advantages"], b["mask"], *eps, loss_form=loss_form)
    loss.backward()
    torch.testing.assert_close(loss, ref, rtol=1e-12, atol=1e-14)
    for got, s in zip(grads_by_seq(b["logp"], b["mask"]), seqs):
        torch.testing.assert_close(got, s.logp.grad, rtol=1e-10, atol=1e-14)
    # The eps=0.05 band leaves some sequences unclipped, so the gradient is not trivially zero.
    if eps[0] > 0.01:
        assert 0 < metrics["clip_frac"] < 1 and b["logp"].grad.abs().sum() > 0


@pytest.mark.parametrize("loss_form", ["seq", "token"])
def test_naive_reference_with_truncated_importance_sampling(loss_form):
    # With TIS the two forms differ in gradient: the token form weights each token's push by
    # its own w_t, while in the seq form every token of a sequence feels the mean weight.
    seqs = random_seqs(2, [3, 6, 2, 5], extras=True)
    ref = naive_gspo(seqs, 0.1, 0.1, tis_cap=1.2, token_form=loss_form == "token")
    ref.backward()
    b = batch_of(seqs)
    loss, metrics = gspo_loss(b["logp"], b["old_logp"], b["advantages"], b["mask"], 0.1, 0.1, loss_form=loss_form,
                              rollout_logp=b["rollout_logp"], tis_cap=1.2)
    loss.backward()
    torch.testing.assert_close(loss, ref, rtol=1e-12, atol=1e-14)
    for got, s in zip(grads_by_seq(b["logp"], b["mask"]), seqs):
        torch.testing.assert_close(got, s.logp.grad, rtol=1e-10, atol=1e-14)
    assert set(metrics) == set(GSPOMetrics) | set(TIS_METRICS)
    assert 0 < metrics["tis_capped_frac"] < 1 and metrics["tis_weight_max"] == pytest.approx(1.2)


def test_per_token_advantages_match_naive_reference():
    seqs = random_seqs(3, [5, 2, 6], per_token_adv=True)
    ref = naive_gspo(seqs, 0.05, 0.05, token_form=True)
    ref.backward()
    b = batch_of(seqs)
    loss, _ = gspo_loss(b["logp"], b["old_logp"], b["advantages"], b["mask"], 0.05, 0.05, loss_form="token")
    loss.backward()
    torch.testing.assert_close(loss, ref, rtol=1e-12, atol=1e-14)
    for got, s in zip(grads_by_seq(b["logp"], b["mask"]), seqs):
        torch.testing.assert_close(got, s.logp.grad, rtol=1e-10, atol=1e-14)


def test_tis_by_hand():
    # One sequence, logp == old_logp so s = 1 (never clipped), A = 1.
    # Per-token TIS weights: exp(old - rollout) = 2, 0.5, 10 -> capped at 3: 2, 0.5, 3.
    # loss = -(1/3) * (2 + 0.5 + 3) * 1 = -1.8333333
    logp = torch.tensor([[-1.0, -2.0, -0.5]], dtype=F64, requires_grad=True)
    old = logp.detach().clone()
    rollout = old - torch.tensor([[math.log(2), math.log(0.5), math.log(10)]], dtype=F64)
    mask = torch.ones(1, 3, dtype=torch.bool)
    loss, m = gspo_loss(logp, old, torch.tensor([1.0], dtype=F64), mask, rollout_logp=rollout, tis_cap=3.0)
    assert loss.item() == pytest.approx(-5.5 / 3) and loss.item() == pytest.approx(-1.8333333, abs=1e-7)
    assert m["loss"] == loss.item()
    assert m["tis_weight_mean"] == pytest.approx(5.5 / 3)
    assert m["tis_weight_max"] == 3.0 and m["tis_capped_frac"] == pytest.approx(1 / 3)
    assert m["tis_abs_log_ratio_mean"] == pytest.approx((2 * math.log(2) + math.log(10)) / 3)
    # Without TIS the same call is the plain loss -A * s = -1.
    loss0, m0 = gspo_loss(logp, old, torch.tensor([1.0], dtype=F64), mask)
    assert loss0.item() == pytest.approx(-1.0) and set(m0) == set(GSPOMetrics)


@pytest.mark.parametrize("loss_form", ["seq", "token"])
def test_padding_never_changes_the_result(loss_form):
    seqs = random_seqs(4, [3, 6, 1, 4], extras=True)
    kw = dict(eps_low=0.05, eps_high=0.05, loss_form=loss_form, tis_cap=2.0)
    results = []
    for side, width, fill in [("right", None, 0.0), ("left", None, 0.0), ("right", 9, float("nan")),
                              ("left", 11, float("inf")), ("right", 10, -1e9)]:
        b = batch_of(seqs, side=side, width=width, fill=fill)
        loss, metrics = gspo_loss(b["logp"], b["old_logp"], b["advantages"], b["mask"],
                                  rollout_logp=b["rollout_logp"], **kw)
        loss.backward()
        assert torch.isfinite(b["logp"].grad).all()
        assert (b["logp"].grad[~b["mask"]] == 0).all()
        results.append((loss.detach(), metrics, grads_by_seq(b["logp"], b["mask"])))
    base_loss, base_metrics, base_grads = results[0]
    assert base_grads[1].abs().sum() > 0
    for loss, metrics, grads in results[1:]:
        torch.testing.assert_close(loss, base_loss, rtol=1e-13, atol=1e-15)
        assert metrics == pytest.approx(base_metrics, rel=1e-12, abs=1e-15)
        for g, g0 in zip(grads, base_grads):
            torch.testing.assert_close(g, g0, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("loss_form", ["seq", "token"])
def test_sequence_ratio_of_one_is_not_clipped_even_with_wild_token_ratios(loss_form):
    # Token log-ratios +1 and -1: token ratios e and 1/e, far outside [0.8, 1.2] (and far
    # outside the paper band), but their geometric mean is exactly 1.
    logp = torch.tensor([[1.0, -1.0], [-1.0, 1.0]], dtype=F64, requires_grad=True)
    old = torch.zeros(2, 2, dtype=F64)
    adv = torch.tensor([1.0, -1.0], dtype=F64)
    mask = torch.ones(2, 2, dtype=torch.bool)
    for eps in [(0.2, 0.2), (3e-4, 4e-4)]:
        logp.grad = None
        loss, m = gspo_loss(logp, old, adv, mask, *eps, loss_form=loss_form)
        loss.backward()
        assert m["clip_frac"] == 0.0
        assert m["seq_ratio_min"] == pytest.approx(1.0) and m["seq_ratio_max"] == pytest.approx(1.0)
        # loss = -(1/2)(1*1 + (-1)*1) = 0; gradient per token = -(1/2) * A_i * s_i / 2 = -A_i / 4.
        assert loss.item() == pytest.approx(0.0, abs=1e-15)
        torch.testing.assert_close(logp.grad, torch.tensor([[-0.25, -0.25], [0.25, 0.25]], dtype=F64))


@pytest.mark.parametrize("eps", [(3e-4, 4e-4), (0.02, 0.02)])
def test_seq_and_token_forms_agree_on_value_and_gradient(eps):
    # Per-sequence advantages, no TIS: the per-token factor in front of the ratio is constant
    # over each sequence, so both forms give every token the gradient (1/n_i) f'(s_i) s_i.
    seqs = random_seqs(5, [2, 8, 5, 1, 4])
    outs = {}
    for form in ["seq", "token"]:
        b = batch_of(seqs)
        loss, m = gspo_loss(b["logp"], b["old_logp"], b["advantages"], b["mask"], *eps, loss_form=form)
        loss.backward()
        outs[form] = (loss.detach(), m, b["logp"].grad)
    torch.testing.assert_close(outs["seq"][0], outs["token"][0], rtol=1e-14, atol=1e-16)
    torch.testing.assert_close(outs["seq"][2], outs["token"][2], rtol=1e-11, atol=1e-15)
    assert outs["seq"][1] == pytest.approx(outs["token"][1], rel=1e-12)
    assert outs["seq"][2].abs().sum() > 0


@pytest.mark.parametrize("loss_form", ["seq", "token"])
def test_clip_side_follows_the_advantage_sign(loss_form):
    band = (0.1, 0.1)
    old = torch.zeros(1, 2, dtype=F64)
    mask = torch.ones(1, 2, dtype=torch.bool)
    cases = [
        # (token log-ratio, advantage, clipped?, metric that counts it)
        (0.5, +1.0, True, "clip_frac_high"),    # s = 1.65 > 1.1, A > 0: stop pushing up
        (-0.5, +1.0, False, None),              # s = 0.61 < 0.9, A > 0: keep pushing up
        (-0.5, -1.0, True, "clip_frac_low"),    # s = 0.61 < 0.9, A < 0: stop pushing down
        (0.5, -1.0, False, None),               # s = 1.65 > 1.1, A < 0: keep pushing down
    ]
    for lr, a, clipped, key in cases:
        logp = torch.full((1, 2), lr, dtype=F64, requires_grad=True)
        loss, m = gspo_loss(logp, old, torch.tensor([a], dtype=F64), mask, *band, loss_form=loss_form)
        loss.backward()
        s = math.exp(lr)
        if clipped:
            assert m["clip_frac"] == 1.0 and m[key] == 1.0
            assert torch.count_nonzero(logp.grad) == 0
            assert loss.item() == pytest.approx(-a * (1.1 if lr > 0 else 0.9))
        else:
            assert m["clip_frac"] == 0.0
            # d/dlogp_t of -A * s with s = exp(mean): -A * s / 2 per token.
            torch.testing.assert_close(logp.grad, torch.full((1, 2), -a * s / 2, dtype=F64))
            assert loss.item() == pytest.approx(-a * s)


@pytest.mark.parametrize("loss_form", ["seq", "token"])
def test_empty_mask_rows_give_no_nan_and_do_not_count(loss_form):
    seqs = random_seqs(6, [3, 4])
    b = batch_of(seqs)
    loss_ref, m_ref = gspo_loss(b["logp"], b["old_logp"], b["advantages"], b["mask"], 0.05, 0.05, loss_form=loss_form)
    loss_ref.backward()
    # Add a row with no policy tokens whose slots hold NaN.
    logp = torch.cat([b["logp"].detach(), torch.full((1, 4), float("nan"), dtype=F64)]).requires_grad_(True)
    old = torch.cat([b["old_logp"], torch.full((1, 4), float("nan"), dtype=F64)])
    mask = torch.cat([b["mask"], torch.zeros(1, 4, dtype=torch.bool)])
    adv = torch.cat([b["advantages"], torch.tensor([float("nan")], dtype=F64)])
    loss, m = gspo_loss(logp, old, adv, mask, 0.05, 0.05, loss_form=loss_form)
    loss.backward()
    torch.testing.assert_close(loss, loss_ref)
    torch.testing.assert_close(logp.grad[:2], b["logp"].grad)
    assert (logp.grad[2] == 0).all()
    assert m == pytest.approx(m_ref)
    # A batch with no policy tokens at all: loss 0, zero gradient, neutral finite metrics.
    empty = torch.full((2, 3), float("nan"), dtype=F64, requires_grad=True)
    loss, m = gspo_loss(empty, empty.detach(), torch.zeros(2, dtype=F64), torch.zeros(2, 3), loss_form=loss_form)
    loss.backward()
    assert loss.item() == 0.0 and (empty.grad == 0).all()
    assert all(math.isfinite(v) for v in m.values())
    assert m["seq_ratio_mean"] == 1.0 and m["num_seqs"] == 0.0


def test_low_precision_inputs_are_computed_in_float32():
    seqs = random_seqs(7, [3, 5])
    ref = naive_gspo(seqs, 0.05, 0.05)
    b = batch_of(seqs)
    for dtype in [torch.float32, torch.bfloat16]:
        logp = b["logp"].detach().to(dtype).requires_grad_(True)
        loss, _ = gspo_loss(logp, b["old_logp"].to(dtype), b["advantages"].to(dtype), b["mask"], 0.05, 0.05)
        assert loss.dtype == torch.float32
        loss.backward()
        assert logp.grad.dtype == dtype
        tol = 1e-5 if dtype == torch.float32 else 5e-2
        assert loss.item() == pytest.approx(ref.item(), abs=tol)
