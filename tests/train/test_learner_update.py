"""The GSPO update through DeepSpeed on recorded tiny-model trajectories (one rank, in process)."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from cuagym.config import GSPOConfig, LearnerConfig
from cuagym.modeling import load_policy
from cuagym.rollout.engines.hf import HFEngine
from cuagym.rollout.setup import vision_token_ids
from cuagym.scaffold import Slice
from cuagym.train.learner import METRIC_NAMES, Learner, LogprobGapError, deal_minibatches, split_evenly
from cuagym.train.logprobs import forward_logprobs
from cuagym.train.samples import collate, sample_from_slice, samples_from_trajectory
from tests.train.trajlib import INSTRUCTION, make_builder, record, to_samples

pytestmark = pytest.mark.slow


def fresh_learner(policy_dir, **cfg):
    policy = load_policy(policy_dir, dtype="float32", attn_implementation="sdpa")
    gspo = GSPOConfig(eps_low=cfg.pop("eps", 0.2), eps_high=cfg.pop("eps_high", 0.2), **cfg.pop("gspo", {}))
    return Learner(policy, LearnerConfig(**{"lr": 1e-3, "micro_batch_tokens": 2000, **cfg}), gspo)


def traj_logprob(model, samples, traj_id, pad_id):
    """Mean log-prob of a trajectory's policy tokens."""
    rows = [s for s in samples if s.traj_id == traj_id]
    with torch.no_grad():
        logp, _ = forward_logprobs(model, collate(rows, pad_id))
    mask = collate(rows, pad_id).policy_mask
    return float(logp[mask].mean())


def params(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def test_split_evenly_by_hand():
    assert split_evenly([1, 2, 3, 4, 5], 2) == [[1, 2, 3], [4, 5]]
    assert split_evenly(list(range(4)), 4) == [[0], [1], [2], [3]]


def test_minibatches_mix_the_groups_of_a_rollout_batch():
    # Four groups of eight trajectories, in rollout order (a group's trajectories together).
    ids = [f"task{g}-{i}" for g in range(4) for i in range(8)]
    assert deal_minibatches(ids, 4, None) == [ids[0:8], ids[8:16], ids[16:24], ids[24:32]]  # one task each
    dealt = deal_minibatches(ids, 4, seed=7)
    assert dealt == deal_minibatches(ids, 4, seed=7)                   # every rank deals the same
    assert sorted(sum(dealt, [])) == sorted(ids) and [len(mb) for mb in dealt] == [8, 8, 8, 8]
    assert all(len({t.split("-")[0] for t in mb}) >= 2 for mb in dealt)
    assert dealt != deal_minibatches(ids, 4, seed=8)                   # another update, another deal
    assert len(deal_minibatches(ids[:3], 4, seed=1)) == 3              # never more minibatches than trajectories


def test_update_moves_toward_positive_advantage(tiny_policy_dir, group_samples):
    learner = fresh_learner(tiny_policy_dir, minibatches_per_rollout=2)
    pad = learner.pad_token_id
    advs = {s.traj_id: s.advantage for s in group_samples}
    best, worst = max(advs, key=advs.get), min(advs, key=advs.get)
    assert advs[best] > 0 > advs[worst]
    before = params(learner.model)
    lp_best, lp_worst = (traj_logprob(learner.model, group_samples, t, pad) for t in (best, worst))
    metrics = learner.update(group_samples)
    after = params(learner.model)
    moved = sum(not torch.equal(before[n], after[n]) for n in before)
    d_best = traj_logprob(learner.model, group_samples, best, pad) - lp_best
    d_worst = traj_logprob(learner.model, group_samples, worst, pad) - lp_worst
    print(f"\nmetrics {metrics}\n{moved}/{len(before)} tensors moved; mean logp change: "
          f"A>0 trajectory {d_best:+.4f}, A<0 trajectory {d_worst:+.4f}")
    assert moved > 0.9 * len(before)
    assert d_best > 0 > d_worst
    assert set(METRIC_NAMES) <= set(metrics) and all(math.isfinite(v) for v in metrics.values())
    assert metrics["tokens"] == sum(s.num_policy_tokens for s in group_samples)
    assert metrics["lr"] == pytest.approx(1e-3) and metrics["grad_norm"] > 0
    # minibatch 1 sees the old weights (ratio exactly 1), minibatch 2 the moved ones
    assert metrics["seq_ratio_min"] < 1.0 or metrics["seq_ratio_max"] > 1.0
    assert metrics["clip_frac"] == 0.0  # eps 0.2: no sequence ratio leaves [0.8, 1.2] after one step

    # a tight band clips: the second minibatch's ratios now differ from 1 by more than 1e-6
    learner.gspo = dataclasses.replace(learner.gspo, eps_low=1e-6, eps_high=1e-6)
    tight = learner.update(group_samples)
    print(f"eps 1e-6: clip_frac {tight['clip_frac']:.3f}, ratios {tight['seq_ratio_min']:.4f}.."
          f"{tight['seq_ratio_max']:.4f}")
    assert 0.0 < tight["clip_frac"] <= 1.0


def test_weight_sync_makes_engine_equal_learner(tiny_policy_dir, group_samples):
    learner = fresh_learner(tiny_policy_dir, minibatches_per_rollout=1)
    learner.update(group_samples)
    served = load_policy(tiny_policy_dir, dtype="float32", attn_implementation="sdpa")
    engine = HFEngine(served.model, eos_token_ids=[0], pad_token_id=learner.pad_token_id)
    probe = collate(group_samples[:1], learner.pad_token_id)
    with torch.no_grad():
        stale, _ = forward_logprobs(served.model, probe)
        chunks = list(learner.weight_chunks(0.05))  # ~50 kB chunks: many of them
        for chunk in chunks:
            engine.update_weights(chunk)
        synced, _ = forward_logprobs(served.model, probe)
        trained, _ = forward_logprobs(learner.model, probe)
    names = [n for c in chunks for n, _ in c]
    assert len(chunks) > 5 and len(names) == len(set(names)) == len(dict(learner.model.named_parameters()))
    assert all(sum(t.numel() * 4 for _, t in c) <= 0.05 * 2 ** 20 or len(c) == 1 for c in chunks)
    served_params = dict(served.model.named_parameters())
    assert all(torch.equal(served_params[n], p) for n, p in learner.model.named_parameters())
    mask = probe.policy_mask
    print(f"\n{len(chunks)} chunks; engine logp change {float((synced - stale)[mask].abs().max()):.3e}")
    assert float((synced - stale)[mask].abs().max()) > 1e-4
    assert torch.equal(synced, trained)
    assert engine.version() == len(chunks)


def per_step_samples(policy, tr, advantage):
    """Each step under its own exact context: the finest possible slicing of a trajectory."""
    builder = make_builder(policy, image_max=20, fold_size=10)
    total = sum(len(s.gen_ids) for s in tr.steps)
    out = []
    for t in range(len(tr.steps)):
        ctx = builder.build(INSTRUCTION, tr.shots[: t + 1], tr.steps[:t])
        builder.add_generation(ctx, t, tr.steps[t])
        out.append(sample_from_slice(builder, Slice(t, t + 1, ctx), tr.shots, advantage, tr.traj_id, total))
    return out


def test_sliced_update_equals_unsliced(tiny_policy_dir, shared_tiny_policy):
    # 4 steps with image_max 20: nothing folds, each trajectory is one slice; the same steps
    # as 4 slices (one per step, same contexts) must give the same two optimizer steps.
    trajs = record(shared_tiny_policy, num_traj=2, num_steps=4, seed=3, image_max=20, fold_size=10)
    builder = make_builder(shared_tiny_policy, image_max=20, fold_size=10)
    advs = [1.0, -1.0]
    whole = [s for tr, a in zip(trajs, advs)
             for s in samples_from_trajectory(builder, INSTRUCTION, tr.shots, tr.steps, a, tr.traj_id)]
    sliced = [s for tr, a in zip(trajs, advs) for s in per_step_samples(shared_tiny_policy, tr, a)]
    assert len(whole) == 2 and len(sliced) == 8
    lr = 1e-4
    runs = {}
    for name, samples in (("whole", whole), ("sliced", sliced)):
        learner = fresh_learner(tiny_policy_dir, minibatches_per_rollout=2, lr=lr, micro_batch_tokens=4000)
        start = params(learner.model)
        metrics = learner.update(samples)
        runs[name] = (metrics, {n: p.detach() - start[n] for n, p in learner.model.named_parameters()})
    (m_w, d_w), (m_s, d_s) = runs["whole"], runs["sliced"]
    gaps = torch.cat([(d_w[n] - d_s[n]).abs().flatten() for n in d_w])
    diff = float(gaps.max())
    close = float((gaps <= 1e-3 * lr).double().mean())
    step = max(float(d.abs().max()) for d in d_w.values())
    print(f"\nsliced vs unsliced update: max |delta diff| {diff:.3e} (largest delta {step:.3e}, lr {lr}); "
          f"{100 * close:.3f}% of elements within 1e-3 lr; grad norm {m_w['grad_norm']:.8f} vs {m_s['grad_norm']:.8f}; "
          f"loss {m_w['loss']:.6e} vs {m_s['loss']:.6e}; seq ratio min {m_w['seq_ratio_min']:.7f} vs "
          f"{m_s['seq_ratio_min']:.7f}")
    # The gradients agree to float rounding (the global norm to 1e-6). Adam's first steps
    # divide by |g| + 1e-8, which turns rounding noise on near-zero gradients into visible
    # update differences, so the parameter check allows that for a sliver of elements.
    assert m_w["grad_norm"] == pytest.approx(m_s["grad_norm"], rel=1e-5)
    assert step > 0.5 * lr
    assert close > 0.999 and diff < 0.25 * lr
    assert m_w["loss"] == pytest.approx(m_s["loss"], abs=1e-7)
    assert m_w["seq_ratio_max"] == pytest.approx(m_s["seq_ratio_max"], abs=1e-5)
    assert m_w["seq_ratio_min"] == pytest.approx(m_s["seq_ratio_min"], abs=1e-5)
    assert m_w["seq_ratio_min"] < 1.0  # the second minibatch ran with a ratio that pass (a) computed


def test_turn_ratios_tis_router_loss_and_checkpointing_run(tiny_policy_dir, group_samples):
    from cuagym.config import ModelConfig

    policy = load_policy(tiny_policy_dir, dtype="float32", attn_implementation="sdpa")
    learner = Learner(policy, LearnerConfig(lr=1e-3, minibatches_per_rollout=2, micro_batch_tokens=2000),
                      GSPOConfig(eps_low=0.2, eps_high=0.2, ratio_unit="turn", tis_cap=2.0),
                      model_cfg=ModelConfig(gradient_checkpointing=True, router_aux_loss_coef=0.01))
    assert learner.model.is_activation_checkpointing
    before = params(learner.model)
    metrics = learner.update(group_samples)
    assert all(math.isfinite(v) for v in metrics.values())
    assert metrics["seq_ratio_min"] < metrics["seq_ratio_max"]  # one ratio per turn in the 2nd minibatch
    assert any(not torch.equal(before[n], p) for n, p in learner.model.named_parameters())
    # the load-balancing term the learner adds: a positive, differentiable scalar
    _, aux = forward_logprobs(learner.engine, collate(group_samples[:1], learner.pad_token_id), router_aux=True)
    assert aux.ndim == 0 and float(aux) > 0 and aux.requires_grad


def test_bad_config_is_rejected(tiny_policy_dir):
    policy = load_policy(tiny_policy_dir, dtype="float32", attn_implementation="sdpa")
    with pytest.raises(ValueError, match="unknown loss 'ppo'"):
        Learner(policy, LearnerConfig(), GSPOConfig(loss_form="ppo"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="total_steps"):
        Learner(policy, LearnerConfig(lr_schedule="cosine", warmup_steps=2), GSPOConfig())


def test_learner_scores_tokens_under_the_engines_sampling_distribution(tiny_policy_dir, shared_tiny_policy):
    """The engine samples from softmax(logits / T) with the vision markers masked out and records
    those log-probs; a learner built with the same T and mask recomputes them (the consistency
    gap is float noise). One built for T = 1, or without the mask, does not: the first is refused
    before any weight moves, the second is off by the markers' share of the (random) policy's mass."""
    banned = tuple(vision_token_ids(shared_tiny_policy.tokenizer))
    assert len(banned) == 4
    trajs = record(shared_tiny_policy, num_traj=2, num_steps=3, seed=3, temperature=0.7, never_generate=banned)
    assert not any(t in banned for tr in trajs for st in tr.steps for t in st.gen_ids)
    samples = to_samples(shared_tiny_policy, trajs, [1.0, -1.0])
    gaps = {}
    for name, t, ban in (("same", 0.7, banned), ("T=1", 1.0, banned), ("no mask", 0.7, ())):
        policy = load_policy(tiny_policy_dir, dtype="float32", attn_implementation="sdpa")
        learner = Learner(policy, LearnerConfig(lr=1e-3, micro_batch_tokens=2000), GSPOConfig(eps_low=0.2, eps_high=0.2),
                          temperature=t, never_generate=ban)
        if name == "T=1":
            # With a gap limit the mismatched batch is refused before any weight moves.
            before = params(learner.model)
            with pytest.raises(LogprobGapError, match="train.max_logprob_gap=0.0001"):
                learner.update(samples, max_logprob_gap=1e-4)
            after = params(learner.model)
            assert all(torch.equal(before[n], after[n]) for n in before)
        m = learner.update(samples, max_logprob_gap=1e-4 if name == "same" else 0.0)
        gaps[name] = m["logprob_gap_max"]
    print(f"\nmax |rollout - learner| log-prob: {', '.join(f'{k} {v:.2e}' for k, v in gaps.items())}")
    assert gaps["same"] <= 1e-4
    assert gaps["T=1"] > 1e-2
    assert gaps["no mask"] > 10 * max(gaps["same"], 1e-7)
