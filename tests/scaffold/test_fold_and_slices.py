"""The folding rule, token-exact contexts, and slicing: the learner's log-probs of a recorded
trajectory equal the rollout engine's, and the sliced gradient equals the per-step one."""

from __future__ import annotations

import pytest
import torch

from cuagym.gspo import gspo_loss
from cuagym.rollout.engines.base import GenRequest, SamplingParams
from cuagym.rollout.engines.hf import HFEngine
from cuagym.scaffold import ContextBuilder, StepRecord, fold_boundaries, folded_count, slice_trajectory
from cuagym.scaffold.prompt import system_prompt

from ..screens import shot


def test_folded_count_by_hand():
    # image_max 20, fold 10: nothing folds up to 20; the 21st folds the oldest 10; the 31st 20.
    assert [folded_count(n, 20, 10) for n in (0, 1, 20, 21, 29, 30, 31, 40, 41)] == [0, 0, 0, 10, 10, 10, 20, 20, 30]
    assert [folded_count(n, 4, 2) for n in (4, 5, 6, 7)] == [0, 2, 2, 4]
    with pytest.raises(ValueError):
        folded_count(3, 4, 5)


def test_fold_boundaries_cover_every_step_once():
    runs = fold_boundaries(60, 20, 10)
    assert runs == [(0, 20), (20, 30), (30, 40), (40, 50), (50, 60)]
    for n in range(1, 50):
        runs = fold_boundaries(n, 4, 2)
        assert runs[0][0] == 0 and runs[-1][1] == n
        assert all(a[1] == b[0] for a, b in zip(runs, runs[1:]))
        for s, e in runs:  # one fold level within a run
            assert len({folded_count(t + 1, 4, 2) for t in range(s, e)}) == 1


@pytest.fixture(scope="module")
def recorded(shared_tiny_policy):
    """A 9-step trajectory sampled by the HF engine under the scaffold (image_max 4, fold 2)."""
    pol = shared_tiny_policy
    builder = ContextBuilder(pol.tokenizer, pol.processor.image_processor,
                             system=system_prompt("relative_999", (256, 160), 3), image_max=4, fold_size=2)
    engine = HFEngine(pol.model, eos_token_ids=[builder.im_end], pad_token_id=pol.tokenizer.pad_token_id)
    shots, steps, prompts = [shot(0)], [], []
    torch.manual_seed(0)
    for t in range(9):
        ctx = builder.build("Archive the newest email.", shots, steps)
        prompts.append(ctx)
        res = engine.generate([GenRequest(builder.model_inputs(ctx, shots), SamplingParams(max_new_tokens=6))])[0]
        steps.append(StepRecord(res.token_ids, res.logprobs, feedback=f"step {t} done"))
        shots.append(shot(t + 1))
    return pol, builder, shots, steps, prompts


def token_logprobs(model, builder, ctx, shots):
    inputs = builder.model_inputs(ctx, shots)
    logits = model(**inputs).logits[0].float()
    ids = torch.tensor(ctx.input_ids)
    return torch.log_softmax(logits[:-1], -1).gather(-1, ids[1:, None])[:, 0]  # [T-1], logp of token t+1


def test_contexts_grow_between_folds_and_restart_at_a_fold(recorded):
    _, builder, shots, steps, prompts = recorded
    for t in range(1, len(prompts)):
        prev, cur = prompts[t - 1], prompts[t]
        same_level = folded_count(t, 4, 2) == folded_count(t + 1, 4, 2)
        assert (cur.input_ids[: len(prev)] == prev.input_ids) == same_level
    assert prompts[3].folded == 0 and prompts[4].folded == 2 and prompts[6].folded == 4
    assert prompts[8].images == [6, 7, 8]  # the oldest folded in pairs, the rest at full resolution


def test_learner_logprobs_equal_rollout_logprobs(recorded):
    pol, builder, shots, steps, _ = recorded
    slices = slice_trajectory(builder, "Archive the newest email.", shots, steps)
    assert [(s.start, s.end) for s in slices] == [(0, 4), (4, 6), (6, 8), (8, 9)]
    worst, n = 0.0, 0
    with torch.no_grad():
        for sl in slices:
            lp = token_logprobs(pol.model, builder, sl.context, shots)
            mask = torch.tensor(sl.policy_mask[1:], dtype=torch.bool)
            old = torch.tensor(sl.context.old_logprobs[1:])
            diff = (lp[mask] - old[mask]).abs()
            worst, n = max(worst, float(diff.max())), n + int(mask.sum())
    assert n == sum(len(s.gen_ids) for s in steps)  # every generated token scored exactly once
    print(f"\nmax |learner logp - rollout logp| over {n} tokens: {worst:.2e}")
    assert worst < 1e-4


def test_sliced_gradient_equals_per_step_gradient(recorded):
    pol, builder, shots, steps, _ = recorded
    model = pol.model
    instruction = "Archive the newest email."
    params = [p for p in model.parameters() if p.requires_grad]
    total_tokens = sum(len(s.gen_ids) for s in steps)
    adv = torch.tensor([0.7])

    def loss_of(lp, old, mask, seq_lr):
        loss, _ = gspo_loss(lp[None], old[None], adv, mask[None].float(), loss_form="token",
                            seq_log_ratio=seq_lr, seq_num_tokens=torch.tensor([float(total_tokens)]),
                            global_num_seqs=1, eps_low=0.2, eps_high=0.2)
        return loss

    # The whole-trajectory ratio, from a no-grad pass (here the policy has not moved: ratio 1).
    seq_lr = torch.zeros(1)

    def grads(pieces):
        model.zero_grad()
        forwards = 0
        for ctx, keep in pieces:
            lp = token_logprobs(model, builder, ctx, shots)
            forwards += 1
            mask = torch.tensor(keep[1:], dtype=torch.bool)
            old = torch.tensor(ctx.old_logprobs[1:])
            loss_of(lp, old, mask, seq_lr).backward()
        return [p.grad.clone() if p.grad is not None else torch.zeros_like(p) for p in params], forwards

    sliced = [(s.context, s.policy_mask) for s in slice_trajectory(builder, instruction, shots, steps)]
    naive = []
    for t in range(len(steps)):  # one forward per step under its own context
        ctx = builder.build(instruction, shots[: t + 1], steps[:t])
        builder.add_generation(ctx, t, steps[t])
        naive.append((ctx, [1 if s == t else 0 for s in ctx.step_ids]))
    g_sliced, f_sliced = grads(sliced)
    g_naive, f_naive = grads(naive)
    worst = max(float((a - b).abs().max()) for a, b in zip(g_sliced, g_naive))
    scale = max(float(b.abs().max()) for b in g_naive)
    print(f"\nsliced vs per-step gradient: max abs diff {worst:.2e} (max grad {scale:.2e}); "
          f"{f_sliced} forwards instead of {f_naive}")
    assert scale > 0 and worst <= 1e-5 * max(1.0, scale)
    assert f_sliced == 4 and f_naive == 9
    model.zero_grad()


def test_sixty_steps_train_in_sixty_over_fold_forwards(shared_tiny_policy):
    pol = shared_tiny_policy
    builder = ContextBuilder(pol.tokenizer, pol.processor.image_processor, system="s", image_max=20, fold_size=10)
    shots = [shot(i % 3) for i in range(61)]
    steps = [StepRecord([5, 6, builder.im_end], [-1.0, -1.0, -1.0], "ok") for _ in range(60)]
    slices = slice_trajectory(builder, "x", shots, steps)
    assert len(slices) == 5  # 60 steps, folds every 10 beyond the first 20: 20 + 4 x 10
    assert sum(s.num_policy_tokens for s in slices) == 180
    assert all(len(s.context.images) <= 20 for s in slices)
