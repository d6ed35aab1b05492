"""Supervised warm start on golden UI trajectories (``cuagym sft``).

The targets are the tuples' golden UI trajectories, replayed through the real agent loop by
the scripted :class:`~cuagym.rollout.scripted.GoldenEngine`: real Chromium screenshots, the
same ContextBuilder and system prompt as RL rollouts, the golden actions rendered as
``computer_use`` tool calls and tokenised as model output. Each replayed trajectory is sliced
exactly like an RL trajectory, and the loss is token-level cross-entropy on the model's own
turns only (prompt, feedback and screenshot tokens carry no loss). So the warm-started
policy learns precisely the token format the agent loop parses.

A replay whose final state does not score 1 is reported and left out: a broken golden
trajectory must not teach the policy.

    cuagym sft --config configs/tiny.yaml sft.steps=40
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from cuagym.config import Config, SFTConfig, to_dict
from cuagym.rollout.agent_loop import LoopConfig
from cuagym.rollout.batch import rollout_batch
from cuagym.rollout.engines.base import SamplingParams
from cuagym.rollout.scripted import GoldenEngine
from cuagym.rollout.trajectory import Trajectory
from cuagym.scaffold import ContextBuilder, StepRecord
from cuagym.train.logprobs import forward_logprobs
from cuagym.train.samples import TrainSample, collate, samples_from_trajectory


def golden_trajectories(tuples: Sequence[Any], pool: Any, builder: ContextBuilder, tokenizer: Any,
                        loop: LoopConfig, run_dir: str | Path | None = None) -> tuple[list[Trajectory], list[str]]:
    """Replay every tuple's golden UI trajectory once, as tool calls in ``loop``'s coordinate frame;
    (trajectories that scored 1, problems)."""
    with_plan = [t for t in tuples if t.golden_actions() is not None]
    problems = [f"{t.id}: no golden_actions.json" for t in tuples if t.golden_actions() is None]
    if not with_plan:
        raise ValueError("none of the tuples has a golden UI trajectory (golden_actions.json); nothing to imitate")
    longest = max(len(t.golden_actions().actions()) for t in with_plan)
    # One turn more than the longest plan: the engine answers "terminate" after the last step.
    loop = dataclasses.replace(loop, max_turns=longest + 1, sampling=SamplingParams(temperature=0.0))
    engine = GoldenEngine(with_plan, tokenizer, loop.frame, image_size=loop.image_size)
    groups = rollout_batch(with_plan, 1, pool, engine, builder, tokenizer, loop, run_dir)
    good = []
    for t, (traj,) in zip(with_plan, groups):
        if traj.reward == 1.0:
            good.append(traj)
        else:
            problems.append(f"{t.id}: golden replay scored {traj.reward} ({traj.termination} {traj.env_failure})")
    return good, problems


def sft_samples(builder: ContextBuilder, trajectories: Sequence[Trajectory]) -> list[TrainSample]:
    """Training slices of the replayed trajectories (advantage 1: every target turn counts)."""
    out: list[TrainSample] = []
    for tr in trajectories:
        steps = [StepRecord(s.gen_ids, s.logprobs, s.feedback) for s in tr.steps]
        out += samples_from_trajectory(builder, tr.instruction, tr.screenshots, steps, 1.0, tr.traj_id)
    return out


def sft_loss(model: Any, samples: Sequence[TrainSample], pad_token_id: int) -> tuple[torch.Tensor, int]:
    """Mean negative log-likelihood of the policy tokens of ``samples`` (and their count)."""
    batch = collate(samples, pad_token_id)
    logp, _ = forward_logprobs(model, batch)                       # [B, T]
    mask = batch.policy_mask.to(logp.device)                       # [B, T] bool
    n = int(mask.sum())
    if n == 0:
        raise ValueError("the SFT batch has no policy tokens to learn")
    return -(logp * mask).sum() / n, n


def train_sft(model: Any, samples: Sequence[TrainSample], cfg: SFTConfig, pad_token_id: int,
              on_step: Callable[[int, float], None] | None = None) -> list[float]:
    """AdamW on the NLL of the golden turns for ``cfg.steps`` steps; returns the loss per step.

    Samples are drawn in shuffled passes (seeded), ``cfg.batch_size`` per step.
    """
    if not samples:
        raise ValueError("no SFT samples: the golden replays produced no training slices")
    rng = random.Random(cfg.seed)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    model.train()
    order: list[int] = []
    losses = []
    for step in range(cfg.steps):
        batch = []
        while len(batch) < min(cfg.batch_size, len(samples)):
            if not order:
                order = list(range(len(samples)))
                rng.shuffle(order)
            batch.append(samples[order.pop()])
        loss, _ = sft_loss(model, batch, pad_token_id)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        opt.step()
        losses.append(float(loss.detach()))
        if on_step:
            on_step(step, losses[-1])
    model.eval()
    return losses


def run_sft(cfg: Config, *, log: Callable[[str], None] = print) -> dict[str, Any]:
    """The whole warm start: replay golden trajectories, train, save to ``cfg.sft.out_dir``."""
    from cuagym.modeling import load_policy
    from cuagym.rollout.setup import apps_of, environment, load_tuples, loop_config, make_builder
    from cuagym.train.export import export_model

    sc = cfg.sft
    out = Path(sc.out_dir)
    torch.manual_seed(sc.seed)
    tuples = load_tuples(sc.tuples or cfg.train.tuples, sc.task_filter or cfg.train.task_filter)
    policy = load_policy(cfg.model.path, dtype=cfg.model.dtype, attn_implementation=cfg.model.attn_implementation)
    builder = make_builder(policy.tokenizer, policy.processor.image_processor, cfg.rollout)
    t0 = time.monotonic()
    with environment(cfg, apps_of(tuples)) as pool:
        trajs, problems = golden_trajectories(tuples, pool, builder, policy.tokenizer, loop_config(cfg.rollout),
                                              out / "golden")
    for p in problems:
        log(f"sft: skipped {p}")
    samples = sft_samples(builder, trajs)
    replay_s = time.monotonic() - t0
    log(f"sft: {len(trajs)} golden trajectories -> {len(samples)} samples, "
        f"{sum(s.num_policy_tokens for s in samples)} target tokens ({replay_s:.1f} s)")
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "sft_metrics.jsonl", "w") as f:
        def on_step(step: int, loss: float) -> None:
            f.write(json.dumps({"step": step, "sft/loss": loss}) + "\n")
            if step % 10 == 0 or step == sc.steps - 1:
                log(f"sft: step {step:4d} loss {loss:.4f}")
        t1 = time.monotonic()
        losses = train_sft(policy.model, samples, sc, policy.tokenizer.pad_token_id, on_step)
    summary = {"tuples": [t.tuple_id for t in trajs], "samples": len(samples),
               "first_loss": losses[0], "last_loss": losses[-1], "steps": sc.steps,
               "replay_seconds": replay_s, "train_seconds": time.monotonic() - t1, "skipped": problems}
    export_model(policy.model, policy.processor, out, run_config=to_dict(cfg),
                 metrics={"sft/first_loss": losses[0], "sft/last_loss": losses[-1]}, step=sc.steps)
    (out / "sft_summary.json").write_text(json.dumps(summary, indent=1))
    log(f"sft: loss {losses[0]:.3f} -> {losses[-1]:.3f} in {summary['train_seconds']:.1f} s; saved {out}")
    return summary
