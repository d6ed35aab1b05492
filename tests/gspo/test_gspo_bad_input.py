"""Bad input to the losses fails with a ValueError that names the problem and what was expected."""

from __future__ import annotations

import pytest
import torch

from cuagym.gspo import (LOSS_KWARGS, aggregate_token_losses, get_loss, grpo_loss, gspo_loss, register_loss,
                         registered_losses, sequence_log_ratio)

B, T = 2, 4


def ok():
    return dict(logp=torch.zeros(B, T), old_logp=torch.zeros(B, T), advantages=torch.ones(B),
                mask=torch.ones(B, T, dtype=torch.bool))


CASES = [
    (dict(old_logp=torch.zeros(B, 5)), {}, r"old_logp has shape \(2, 5\) but logp has shape \(2, 4\)"),
    (dict(logp=torch.zeros(8), old_logp=torch.zeros(8)), {}, r"logp must have shape \[B, T\].*got shape \(8,\)"),
    (dict(mask=torch.ones(B, 3)), {}, r"mask has shape \(2, 3\) but logp has shape \(2, 4\)"),
    (dict(mask=torch.full((B, T), 0.5)), {}, r"mask must hold only 0/1"),
    (dict(advantages=torch.ones(3)), {}, r"advantages has shape \(3,\) but logp has shape \(2, 4\); expected \[B\]"),
    (dict(advantages=torch.ones(B, 3)), {}, r"advantages has shape \(2, 3\)"),
    (dict(advantages=torch.ones(B, T)), {}, r"per token.*use the 'gspo_token' loss"),
    (dict(logp=torch.zeros(B, T, dtype=torch.long)), {}, r"logp must be a floating-point tensor"),
    (dict(logp=torch.full((B, T), float("nan"))), {}, r"NaN or infinite values on policy tokens"),
    ({}, dict(loss_form="sequence"), r"loss_form must be one of \('seq', 'token'\), got 'sequence'"),
    ({}, dict(loss_agg="mean"), r"loss_agg must be one of"),
    ({}, dict(eps_low=1.0), r"eps_low must be in \[0, 1\)"),
    ({}, dict(eps_high=-0.1), r"eps_high must be >= 0"),
    ({}, dict(tis_cap=2.0), r"needs both rollout_logp \[B, T\] and tis_cap"),
    ({}, dict(rollout_logp=torch.zeros(B, T)), r"needs both rollout_logp"),
    ({}, dict(rollout_logp=torch.zeros(B, 3), tis_cap=2.0), r"rollout_logp has shape \(2, 3\) but logp"),
    ({}, dict(global_num_seqs=0), r"global_num_seqs must be > 0, got 0"),
    ({}, dict(loss_agg="token_mean", global_num_tokens=-3), r"global_num_tokens must be > 0"),
    ({}, dict(seq_log_ratio=torch.zeros(3)), r"seq_log_ratio must have shape \[B\] = \(2,\)"),
    ({}, dict(seq_num_tokens=torch.tensor([4, 3])), r"seq_num_tokens\[1\] = 3 is smaller than the 4 policy tokens"),
    ({}, dict(loss_form="token", seq_log_ratio=torch.zeros(3)), r"seq_log_ratio must have shape \[B\] = \(2,\)"),
    ({}, dict(loss_form="token", seq_log_ratio=torch.zeros(B), segment_ids=torch.zeros(B, T, dtype=torch.long)),
     r"with segment_ids, seq_log_ratio must be the per-token turn log-ratios"),
    ({}, dict(loss_form="token", seq_num_tokens=torch.tensor([4, 3])),
     r"seq_num_tokens\[1\] = 3 is smaller than the 4 policy tokens"),
    ({}, dict(loss_form="token", seq_log_ratio=torch.tensor([0.0, float("nan")])), r"seq_log_ratio holds NaN"),
    ({}, dict(segment_ids=torch.zeros(B, T)), r"segment_ids must be an integer tensor"),
    ({}, dict(segment_ids=torch.zeros(B, 5, dtype=torch.long)), r"segment_ids has shape \(2, 5\) but logp"),
]


@pytest.mark.parametrize("override, kwargs, message", CASES)
def test_gspo_loss_rejects(override, kwargs, message):
    args = ok() | override
    with pytest.raises(ValueError, match=message):
        gspo_loss(args["logp"], args["old_logp"], args["advantages"], args["mask"], **kwargs)


def test_grpo_loss_rejects_the_same_shapes():
    args = ok()
    with pytest.raises(ValueError, match=r"old_logp has shape \(2, 5\) but logp has shape \(2, 4\)"):
        grpo_loss(args["logp"], torch.zeros(B, 5), args["advantages"], args["mask"])
    with pytest.raises(ValueError, match=r"seq_num_tokens must have shape \[B\] = \(2,\)"):
        grpo_loss(args["logp"], args["old_logp"], args["advantages"], args["mask"], seq_num_tokens=torch.ones(3))


def test_sequence_log_ratio_and_aggregation_reject():
    with pytest.raises(ValueError, match=r"old_logp has shape \(3, 4\) but logp has shape \(2, 4\)"):
        sequence_log_ratio(torch.zeros(B, T), torch.zeros(3, T), torch.ones(B, T))
    with pytest.raises(ValueError, match=r"loss_agg must be one of \('seq_mean', 'token_mean'\)"):
        aggregate_token_losses(torch.zeros(B, T), torch.ones(B, T, dtype=torch.bool), "sum")


def test_get_loss_names_the_unknown_loss_and_the_registered_ones():
    assert registered_losses() == ("grpo", "gspo", "gspo_token")
    assert get_loss("grpo") is grpo_loss
    with pytest.raises(ValueError, match=r"unknown loss 'ppo'; registered losses: grpo, gspo, gspo_token"):
        get_loss("ppo")


def test_register_loss_refuses_a_taken_name_and_a_narrower_signature():
    with pytest.raises(ValueError, match=r"a loss named 'gspo' is already registered"):
        register_loss("gspo")(lambda logp, old_logp, advantages, mask, **kw: None)

    def narrow(logp, old_logp, advantages, mask, eps_low=0.2, eps_high=0.2):
        return None

    with pytest.raises(ValueError, match=r"must accept the keyword arguments.*missing \['seq_log_ratio'"):
        register_loss("narrow")(narrow)
    assert "narrow" not in registered_losses()


@pytest.mark.parametrize("name", ["gspo", "gspo_token", "grpo"])
def test_every_registered_loss_takes_the_shared_arguments(name):
    args = ok()
    kwargs = dict(eps_low=0.2, eps_high=0.2, seq_log_ratio=torch.zeros(B), seq_num_tokens=torch.full((B,), T),
                  segment_ids=None, rollout_logp=torch.zeros(B, T), tis_cap=2.0, loss_agg="seq_mean",
                  global_num_seqs=B, global_num_tokens=B * T)
    assert set(kwargs) == set(LOSS_KWARGS)
    loss, metrics = get_loss(name)(args["logp"], args["old_logp"], args["advantages"], args["mask"], **kwargs)
    assert loss.item() == pytest.approx(-1.0) and metrics["clip_frac"] == 0.0
