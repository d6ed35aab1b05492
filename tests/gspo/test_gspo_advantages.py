"""group_advantages: hand values, a naive per-group loop, zero-variance accounting, layouts."""

from __future__ import annotations

import math
import statistics

import pytest
import torch

from cuagym.gspo import group_advantages, zero_variance_mask
from gspo_testlib import F64


def test_hand_computed_groups():
    # Group "a" = [1, 0, 0]: mean 1/3, sample std sqrt(((2/3)^2 + 2 (1/3)^2) / 2) = sqrt(1/3) = 0.5773503
    #   advantages (2/3) / 0.5773503 = 1.1547005 and -(1/3) / 0.5773503 = -0.5773503 (eps = 0 here).
    # Group "b" = [1, 1, 1]: all equal -> advantages exactly 0, counted as zero variance.
    rewards = torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0, 1.0], dtype=F64)
    groups = ["a", "a", "b", "a", "b", "b"]
    adv, stats = group_advantages(rewards, groups, eps=0.0)
    expected = torch.tensor([2 / math.sqrt(3), -1 / math.sqrt(3), 0.0, -1 / math.sqrt(3), 0.0, 0.0], dtype=F64)
    torch.testing.assert_close(adv, expected)
    assert adv[0].item() == pytest.approx(1.1547005, abs=1e-7)
    assert stats["num_groups"] == 2.0
    assert stats["zero_var_groups"] == 1.0 and stats["zero_var_frac"] == 0.5
    assert stats["reward_mean"] == pytest.approx(4 / 6)
    assert stats["adv_mean"] == pytest.approx(0.0, abs=1e-15)
    assert stats["adv_min"] == pytest.approx(-1 / math.sqrt(3)) and stats["adv_max"] == pytest.approx(2 / math.sqrt(3))
    assert stats["adv_std"] == pytest.approx(statistics.pstdev(expected.tolist()))
    assert all(isinstance(v, float) for v in stats.values())


def naive_group_advantages(rewards: list[float], groups: list, eps: float, normalize_std: bool) -> list[float]:
    out = []
    for r, g in zip(rewards, groups):
        members = [x for x, h in zip(rewards, groups) if h == g]
        if len(set(members)) == 1:
            out.append(0.0)
            continue
        a = r - statistics.fmean(members)
        out.append(a / (statistics.stdev(members) + eps) if normalize_std else a)
    return out


@pytest.mark.parametrize("normalize_std", [True, False])
def test_matches_naive_loop_with_interleaved_groups(normalize_std):
    g = torch.Generator().manual_seed(0)
    rewards = torch.rand(40, generator=g, dtype=F64)
    rewards[torch.tensor([3, 17, 29])] = 0.25           # make group 5 constant (ids 3, 17, 29 below)
    groups = torch.randint(0, 8, (40,), generator=g) * 7 + 100  # sparse, non-contiguous labels
    groups[torch.tensor([3, 17, 29])] = 5
    adv, stats = group_advantages(rewards, groups, eps=1e-6, normalize_std=normalize_std)
    ref = naive_group_advantages(rewards.tolist(), groups.tolist(), 1e-6, normalize_std)
    torch.testing.assert_close(adv, torch.tensor(ref, dtype=F64), rtol=1e-12, atol=1e-12)
    labels = set(groups.tolist())
    constant = [h for h in labels if len({r for r, k in zip(rewards.tolist(), groups.tolist()) if k == h}) == 1]
    assert stats["num_groups"] == len(labels)
    assert stats["zero_var_groups"] == len(constant) >= 1


def test_two_dimensional_layout_equals_flat_layout():
    rewards = torch.tensor([[0.0, 1.0, 1.0, 0.5], [0.2, 0.2, 0.2, 0.2], [1.0, 0.0, 0.0, 0.0]])
    adv2, stats2 = group_advantages(rewards)
    adv1, stats1 = group_advantages(rewards.reshape(-1), torch.arange(3).repeat_interleave(4))
    assert adv2.shape == (3, 4)
    torch.testing.assert_close(adv2.reshape(-1), adv1)
    assert stats1 == stats2
    # The constant row [0.2] * 4 has a float mean that may differ from 0.2 by an ulp; its
    # advantages must still be exactly 0.
    assert (adv2[1] == 0).all() and stats2["zero_var_groups"] == 1.0
    # Within a group the advantages sum to 0 and have unit sample std (up to eps).
    torch.testing.assert_close(adv2[[0, 2]].sum(-1), torch.zeros(2), atol=1e-6, rtol=0)
    torch.testing.assert_close(adv2[[0, 2]].std(-1), torch.ones(2), atol=1e-5, rtol=0)


def test_single_rollout_groups_count_as_zero_variance():
    adv, stats = group_advantages([1.0, 0.0, 1.0], [0, 1, 1])
    assert adv[0].item() == 0.0
    assert stats["zero_var_groups"] == 1.0 and stats["zero_var_frac"] == 0.5


def test_zero_variance_mask_marks_whole_groups_only():
    # Group 0 = [0, 0.5, 1]: the middle member's advantage is 0 but its group has signal.
    rewards = [0.0, 0.5, 1.0, 1.0, 1.0]
    groups = [0, 0, 0, 1, 1]
    adv, _ = group_advantages(rewards, groups)
    assert adv[1].item() == 0.0
    assert zero_variance_mask(rewards, groups).tolist() == [False, False, False, True, True]


def test_integer_rewards_and_no_gradient():
    r = torch.tensor([1, 0, 0, 1])
    adv, _ = group_advantages(r, torch.tensor([0, 0, 1, 1]))
    assert adv.is_floating_point()
    rg = torch.tensor([1.0, 0.0], requires_grad=True)
    assert not group_advantages(rg, [0, 0])[0].requires_grad


@pytest.mark.parametrize("rewards, groups, message", [
    (torch.tensor([1.0, 0.0, 1.0]), torch.tensor([0, 0]), r"group_ids has shape \(2,\) but rewards has shape \(3,\)"),
    (torch.tensor([1.0, 0.0]), None, r"need group_ids"),
    (torch.ones(2, 3), torch.zeros(6), r"already grouped by row"),
    (torch.ones(2, 3, 4), None, r"rewards must have shape \[N\].*got shape \(2, 3, 4\)"),
    (torch.tensor([1.0, float("nan")]), torch.tensor([0, 0]), r"NaN or infinite"),
    (torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]), r"group_ids must be an integer tensor"),
    (torch.tensor([]), torch.tensor([], dtype=torch.long), r"rewards is empty"),
])
def test_bad_input_is_named(rewards, groups, message):
    with pytest.raises(ValueError, match=message):
        group_advantages(rewards, groups)
