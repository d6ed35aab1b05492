"""Token-budget micro-batching and collation of training slices."""

from __future__ import annotations

import pytest
import torch

from cuagym.train.logprobs import forward_logprobs
from cuagym.train.samples import (TrainSample, collate, fixed_microbatches, pack_microbatches, padding_fraction,
                                  samples_from_trajectory)
from tests.train.trajlib import INSTRUCTION, make_builder


def fake(length: int, tag: int) -> TrainSample:
    ids = torch.arange(length) % 50
    mask = torch.zeros(length, dtype=torch.bool)
    mask[-1] = True
    return TrainSample(ids, torch.zeros(length, dtype=torch.long), mask, torch.zeros(length),
                       torch.full((length,), -1), None, None, f"t{tag}", 0.0, 1)


def test_samples_cover_every_policy_token_once(shared_tiny_policy, recorded_group, group_samples):
    trajs, adv = recorded_group
    assert len(group_samples) == 8  # 5 steps with image_max 4 / fold 2: slices (0,4) and (4,5)
    for tr, a in zip(trajs, adv):
        mine = [s for s in group_samples if s.traj_id == tr.traj_id]
        total = sum(len(st.gen_ids) for st in tr.steps)
        assert sum(s.num_policy_tokens for s in mine) == total
        assert all(s.traj_num_tokens == total and s.advantage == pytest.approx(a) for s in mine)
        for s in mine:  # rollout log-probs sit exactly on the policy tokens
            assert bool((s.rollout_logprobs[~s.policy_mask] == 0).all())
            assert bool((s.rollout_logprobs[s.policy_mask] < 0).all())
            assert int(s.image_grid_thw.prod(-1).sum()) // 4 == int(s.mm_token_type_ids.sum())


def test_bad_budget_and_empty_trajectory_are_rejected(shared_tiny_policy):
    with pytest.raises(ValueError, match="token_budget"):
        pack_microbatches([fake(3, 0)], 0)
    builder = make_builder(shared_tiny_policy)
    with pytest.raises(ValueError, match="no generated tokens"):
        samples_from_trajectory(builder, INSTRUCTION, [None], [], 1.0, "empty")


def test_packing_respects_budget_and_beats_fixed_batches():
    lengths = [900, 120, 850, 100, 130, 880, 110, 140, 95, 870, 125, 105]
    samples = [fake(n, i) for i, n in enumerate(lengths)]
    groups = pack_microbatches(samples, 2000)
    seen = [id(s) for g in groups for s in g]
    assert sorted(seen) == sorted(id(s) for s in samples) and len(seen) == len(set(seen))
    assert all(len(g) * max(len(s) for s in g) <= 2000 for g in groups)
    packed, naive = padding_fraction(groups), padding_fraction(fixed_microbatches(samples, 2))
    print(f"\npadding fraction: packed {packed:.3f} ({len(groups)} micro-batches), "
          f"fixed 2 rows {naive:.3f} ({len(fixed_microbatches(samples, 2))})")
    assert packed < naive
    # by hand: the two longest share a micro-batch (2 x 900 <= 2000); a third would not fit
    assert [len(s) for s in groups[0]] == [900, 880]
    # a sample longer than the budget travels alone
    big, small = fake(3000, 0), fake(10, 1)
    assert pack_microbatches([small, big], 2000) == [[big], [small]]


def test_padding_fraction_by_hand():
    a, b = fake(10, 0), fake(6, 1)
    assert padding_fraction([[a, b]]) == pytest.approx(1 - 16 / 20)
    assert padding_fraction([[a], [b]]) == 0.0


def test_collate_pads_right_and_keeps_image_order(group_samples):
    rows = group_samples[:3]
    batch = collate(rows, pad_token_id=7)
    width = max(len(s) for s in rows)
    assert batch.inputs["input_ids"].shape == (3, width)
    for b, s in enumerate(rows):
        n = len(s)
        assert torch.equal(batch.inputs["input_ids"][b, :n], s.input_ids)
        assert bool((batch.inputs["input_ids"][b, n:] == 7).all())
        assert int(batch.inputs["attention_mask"][b].sum()) == n
        assert not bool(batch.policy_mask[b, n:].any()) and bool((batch.step_ids[b, n:] == -1).all())
    assert torch.equal(batch.inputs["pixel_values"], torch.cat([s.pixel_values for s in rows]))
    assert torch.equal(batch.inputs["image_grid_thw"], torch.cat([s.image_grid_thw for s in rows]))


def test_padded_batch_logprobs_equal_one_by_one(shared_tiny_policy, recorded_group, group_samples):
    model = shared_tiny_policy.model
    builder = make_builder(shared_tiny_policy)
    tr = recorded_group[0][1]
    short = [samples_from_trajectory(builder, INSTRUCTION, tr.shots[: n + 1], tr.steps[:n], 1.0, f"p{n}")[0]
             for n in (1, 2)]  # one and two screenshots: much shorter rows
    rows = [group_samples[0], short[0], group_samples[1], short[1]]
    pad = shared_tiny_policy.tokenizer.pad_token_id
    with torch.no_grad():
        together, _ = forward_logprobs(model, collate(rows, pad))
        worst = 0.0
        for b, s in enumerate(rows):
            alone, _ = forward_logprobs(model, collate([s], pad))
            worst = max(worst, float((together[b, : len(s)] - alone[0]).abs().max()))
    print(f"\npadded batch vs one-by-one log-probs: max abs diff {worst:.2e} over {len(rows)} rows "
          f"of lengths {[len(s) for s in rows]}")
    assert worst < 1e-5


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_chunked_policy_logprobs_equal_full_logits(shared_tiny_policy, group_samples, chunk):
    """Vocabulary projection at policy positions only, in checkpointed chunks: same values and
    same gradients as full logits masked afterwards, for any chunk size."""
    model = shared_tiny_policy.model
    batch = collate(group_samples[:3], shared_tiny_policy.tokenizer.pad_token_id)
    mask = batch.policy_mask

    def run(chunk_tokens: int):
        model.zero_grad(set_to_none=True)
        logp, _ = forward_logprobs(model, batch, chunk_tokens=chunk_tokens)
        (logp * mask).sum().backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        return logp.detach(), grads

    full, g_full = run(0)
    chunked, g_chunk = run(chunk)
    model.zero_grad(set_to_none=True)
    assert bool((chunked[~mask] == 0).all())
    diff = (chunked - full)[mask].abs().max().item()
    gdiff = max((g_chunk[n] - g_full[n]).abs().max().item() for n in g_full)
    print(f"\nchunk {chunk}: max |log-prob diff| {diff:.2e}, max |grad diff| {gdiff:.2e}")
    assert diff < 1e-5
    assert set(g_chunk) == set(g_full) and gdiff < 1e-5
