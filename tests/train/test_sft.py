"""Supervised warm start: the loss against a naive cross-entropy, the loss going down, and the
fine-tuned tiny model, run through the real agent loop (hub, Chromium), writing tool calls that
parse. Golden trajectories are replayed in real Chromium from a bundled one-click tuple."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from cuagym.config import SFTConfig, load_config
from cuagym.modeling import load_policy
from cuagym.rollout.batch import rollout_batch
from cuagym.rollout.setup import environment, load_tuples, loop_config, make_builder, make_engine
from cuagym.train.samples import collate
from cuagym.train.sft import golden_trajectories, sft_loss, sft_samples, train_sft
from tests.train.trajlib import record, to_samples

ROOT = Path(__file__).resolve().parents[2]


def test_sft_loss_is_the_mean_nll_of_policy_tokens(shared_tiny_policy):
    pol = shared_tiny_policy
    samples = to_samples(pol, record(pol, num_traj=2, num_steps=2, seed=3), [1.0, 1.0])
    loss, n = sft_loss(pol.model, samples, pol.tokenizer.pad_token_id)
    # Naive reference: full log-softmax, one row at a time, token t scored by position t-1.
    total, count = 0.0, 0
    with torch.no_grad():
        for s in samples:
            b = collate([s], pol.tokenizer.pad_token_id)
            logits = pol.model(**b.inputs, use_cache=False).logits[0].double()
            logp = torch.log_softmax(logits, -1)
            for t in torch.nonzero(s.policy_mask).flatten().tolist():
                total -= float(logp[t - 1, s.input_ids[t]])
                count += 1
    assert n == count == sum(s.num_policy_tokens for s in samples)
    assert float(loss) == pytest.approx(total / count, rel=1e-4)


def test_train_sft_lowers_the_loss(tiny_policy_dir):
    pol = load_policy(tiny_policy_dir, dtype="float32", attn_implementation="sdpa")
    samples = to_samples(pol, record(pol, num_traj=2, num_steps=2, seed=5), [1.0, 1.0])
    losses = train_sft(pol.model, samples, SFTConfig(steps=8, lr=1e-2, batch_size=2), pol.tokenizer.pad_token_id)
    print(f"\nsft losses {[round(x, 3) for x in losses]}")
    assert len(losses) == 8 and losses[-1] < 0.5 * losses[0]
    with pytest.raises(ValueError, match="no SFT samples"):
        train_sft(pol.model, [], SFTConfig(steps=1), pol.tokenizer.pad_token_id)


@pytest.mark.slow
@pytest.mark.usefixtures("sandbox")
def test_sft_on_golden_replays_makes_parseable_tool_calls(tmp_path, tiny_policy_dir):
    cfg = load_config(ROOT / "configs" / "tiny.yaml", [
        "rollout.env_workers=1", "rollout.slots_per_worker=2", "rollout.max_turns=1"])
    tuples = load_tuples(ROOT / "data" / "tuples", ["notes.pin.hiring_plan"])
    pol = load_policy(tiny_policy_dir, dtype="float32", attn_implementation="sdpa")
    builder = make_builder(pol.tokenizer, pol.processor.image_processor, cfg.rollout)
    with environment(cfg, ["notes"]) as pool:
        trajs, problems = golden_trajectories(tuples, pool, builder, pol.tokenizer, loop_config(cfg.rollout),
                                                tmp_path / "g")
        assert problems == [] and [t.reward for t in trajs] == [1.0]
        samples = sft_samples(builder, trajs)
        assert sum(s.num_policy_tokens for s in samples) == sum(len(s.gen_ids) for s in trajs[0].steps)
        losses = train_sft(pol.model, samples, dataclasses.replace(cfg.sft, steps=40, lr=1e-2),
                           pol.tokenizer.pad_token_id)
        print(f"\nsft loss {losses[0]:.3f} -> {losses[-1]:.3f}")
        assert losses[-1] < 0.1 * losses[0]
        engine = make_engine(cfg, policy=pol)
        groups = rollout_batch(tuples, 2, pool, engine, builder, pol.tokenizer, loop_config(cfg.rollout, 0.0),
                               tmp_path / "r")
    for t in groups[0]:  # greedy, one turn: the imitated click on Pin, parsed, executed and scored
        print([s.raw_output for s in t.steps], t.reward)
        assert t.steps and all(s.errors == [] and s.actions for s in t.steps), [s.raw_output for s in t.steps]
        assert t.steps[0].actions[0]["type"] == "click" and t.termination == "max_turns"
        assert t.reward == 1.0
