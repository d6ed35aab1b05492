"""The GSPO training loop (``cuagym train``): rollout, score, advantages, slice, update, sync, log, save.

    cuagym train --config configs/tiny.yaml [dotted.overrides ...] [--resume]

Per step: sample tuples (resumable epoch sampler), roll out G episodes per tuple on the
browser pool with the engine's current weights, score them with each tuple's reward script,
normalise rewards within each group (groups whose rewards are all equal carry no signal and
are dropped, and counted), slice every trajectory into the exact contexts it was sampled
under, run one GSPO update, copy the new weights into the engine, log, and on schedule save
a checkpoint and evaluate on held-out tuples.

``train.mode=async`` overlaps the rollout of step n+1 with the update of step n (one step
off-policy): that rollout runs on a background thread with the weights of step n-1, its
staleness is logged, and the learner corrects for it with truncated importance sampling
against the rollout log-probs (``gspo.tis_cap``). The engine's weights change only between
rollouts, never within one.

SIGINT or SIGTERM stops the run at the next safe point (a rollout in flight is abandoned),
saves a checkpoint and exits with status 0; ``--resume`` continues from the newest checkpoint
with the same step counter, data cursor, optimizer state, RNG state and W&B run.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import json
import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import torch

from cuagym.config import Config, to_dict
from cuagym.data.dataset import Dataset, EpochSampler
from cuagym.gspo import group_advantages
from cuagym.rollout.batch import rollout_batch
from cuagym.scaffold import StepRecord
from cuagym.train.checkpoint import list_checkpoints, load_checkpoint, save_checkpoint
from cuagym.rollout.setup import environment, load_tuples, loop_config, make_builder, make_engine
from cuagym.train.evaluate import evaluate, success_table
from cuagym.train.samples import TrainSample, samples_from_trajectory
from cuagym.train.tracking import Tracker

DEFAULT_ASYNC_TIS_CAP = 2.0


class Stopped(Exception):
    """SIGINT or SIGTERM arrived: save and leave."""


# ------------------------------------------------------------------------ the pieces
def rollout_step(tuples: Sequence[Any], group_size: int, pool: Any, engine: Any, builder: Any, tokenizer: Any,
                 loop_cfg: Any, run_dir: Path, policy_version: int) -> Any:
    """G scored episodes per tuple (one list per tuple), with the batch's rollout metrics."""
    return rollout_batch(tuples, group_size, pool, engine, builder, tokenizer, loop_cfg, run_dir,
                         policy_version=policy_version)


def build_batch(groups: Sequence[Sequence[Any]], builder: Any, adv_eps: float, drop_zero_variance: bool,
                ) -> tuple[list[TrainSample], dict[str, float]]:
    """Group advantages and training slices; groups without signal are dropped and counted."""
    samples: list[TrainSample] = []
    zero_var = too_small = trained = 0
    for group in groups:
        ok = [t for t in group if t.reward is not None and any(s.gen_ids for s in t.steps)]
        if len(ok) < 2:
            too_small += 1  # environment failures left fewer than two episodes to compare
            continue
        rewards = torch.tensor([float(t.reward) for t in ok])
        if drop_zero_variance and bool((rewards == rewards[0]).all()):
            zero_var += 1
            continue
        adv, _ = group_advantages(rewards[None], eps=adv_eps)  # one group: [1, G]
        adv = adv[0]
        trained += 1
        for t, a in zip(ok, adv.tolist()):
            steps = [StepRecord(s.gen_ids, s.logprobs, s.feedback) for s in t.steps]
            samples += samples_from_trajectory(builder, t.instruction, t.screenshots, steps, a, t.traj_id)
    return samples, {"rollout/zero_variance_groups": float(zero_var), "rollout/small_groups": float(too_small),
                     "rollout/groups_trained": float(trained)}


def sync_weights(learner: Any, engine: Any, chunk_mb: float) -> None:
    """Copy the learner's parameters into the engine, chunk by chunk."""
    for chunk in learner.weight_chunks(chunk_mb):
        engine.update_weights(chunk)


@contextmanager
def stop_on_signals(flag: threading.Event) -> Iterator[None]:
    """SIGINT/SIGTERM set ``flag`` instead of killing the process (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in previous:
        signal.signal(s, lambda *_: flag.set())
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def wait(fut: cf.Future, flag: threading.Event) -> Any:
    """The future's result, or :class:`Stopped` as soon as a stop is requested."""
    while True:
        try:
            return fut.result(timeout=0.2)
        except cf.TimeoutError:
            if flag.is_set():
                raise Stopped() from None


def initial_policy_path(cfg: Config) -> str:
    """``train.init_from`` (e.g. the SFT output), else ``model.path`` (built if asked and missing)."""
    if cfg.train.init_from:
        if not (Path(cfg.train.init_from) / "config.json").is_file():
            raise FileNotFoundError(f"train.init_from={cfg.train.init_from} holds no policy; run `cuagym sft` "
                                    "first or set train.init_from to a policy folder (or '' for model.path)")
        return cfg.train.init_from
    if cfg.model.build_tiny_if_missing and not (Path(cfg.model.path) / "config.json").exists():
        from cuagym.modeling.tiny import build_tiny_policy

        build_tiny_policy(cfg.model.path, seed=cfg.train.seed,
                          image_size=(cfg.rollout.image_width, cfg.rollout.image_height))
    return cfg.model.path


def generated_tokens(groups: Sequence[Sequence[Any]]) -> int:
    return sum(len(s.gen_ids) for g in groups for t in g for s in t.steps)


# -------------------------------------------------------------------------- the loop
def train(cfg: Config, *, resume: bool = False, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run (or resume) training as ``cfg`` says; returns a summary (also in RUN_DIR/summary.json)."""
    from cuagym.modeling import load_policy
    from cuagym.train.learner import Learner

    tc, rc = cfg.train, cfg.rollout
    run_dir, ckpt_root = Path(tc.run_dir), Path(tc.run_dir) / "checkpoints"
    if resume and not list_checkpoints(ckpt_root):
        raise FileNotFoundError(f"--resume: no checkpoint under {ckpt_root}; start without --resume")
    torch.manual_seed(tc.seed)
    gspo = cfg.gspo
    if tc.mode == "async" and gspo.tis_cap is None:
        gspo = dataclasses.replace(gspo, tis_cap=DEFAULT_ASYNC_TIS_CAP)

    # Data, policy copies (learner and engine), learner, tracking.
    sampler = EpochSampler(Dataset(tc.tuples, prefixes=list(tc.task_filter)), tc.seed)
    apps = {a for e in sampler.ds.entries() for a in e.apps}
    held_out = load_tuples(tc.eval_tuples, tc.eval_task_filter) if tc.eval_tuples and tc.eval_every else []
    apps |= {a for t in held_out for a in t.apps}
    source = initial_policy_path(cfg)
    policy = load_policy(source, dtype=cfg.model.dtype, attn_implementation=cfg.model.attn_implementation)
    engine_policy = load_policy(source, dtype=cfg.model.dtype, attn_implementation=cfg.model.attn_implementation)
    builder, tok = make_builder(policy.tokenizer, policy.processor.image_processor, rc), policy.tokenizer
    engine = make_engine(cfg, policy=engine_policy)
    learner = Learner(policy, cfg.learner, gspo, model_cfg=cfg.model,
                      total_steps=tc.steps * cfg.learner.minibatches_per_rollout)
    start, wandb_id = 0, None
    if resume:
        state = load_checkpoint(learner, ckpt_root)
        start, wandb_id = state.step, state.wandb_run_id
        sampler.epoch, sampler.position = state.data_cursor["epoch"], state.data_cursor["position"]
        sync_weights(learner, engine, cfg.learner.weight_sync_chunk_mb)
    tracker = Tracker(run_dir, cfg.wandb, run_config=to_dict(cfg), total_steps=tc.steps, start_step=start + 1,
                      wandb_run_id=wandb_id, progress_bar=tc.progress_bar)
    say = log or tracker.write
    say(f"train: {tc.mode} mode, steps {start + 1}..{tc.steps}, policy {source}, run dir {run_dir}")
    if gspo is not cfg.gspo:
        say(f"train: async mode corrects staleness with truncated IS; gspo.tis_cap was null, using {gspo.tis_cap}")
    train_loop = loop_config(rc)
    eval_loop = loop_config(rc, tc.eval_temperature)

    def save(step: int, cursor: dict, metrics: dict | None = None) -> None:
        save_checkpoint(learner, ckpt_root, step, data_cursor=cursor, wandb_run_id=tracker.wandb_run_id,
                        run_config=to_dict(cfg), metrics=metrics, keep=tc.keep_checkpoints)

    def held_out_eval(step: int) -> dict[str, float]:
        rep = evaluate(held_out, tc.eval_group_size, pool, engine, builder, tok, eval_loop,
                       run_dir / "eval" / f"step_{step:06d}", policy_version=step)
        (run_dir / "eval" / f"step_{step:06d}.json").write_text(rep.to_json())
        say(f"held-out evaluation at step {step}:\n{success_table(rep)}")
        tracker.log(step, rep.metrics("eval"))
        return rep.metrics("eval")

    def submit(version: int) -> tuple[cf.Future, dict]:
        """Start the next rollout on the engine's weights of ``version`` (= steps synced so far)."""
        cursor = sampler.state()
        tuples = sampler.next(rc.tasks_per_step)
        return bg.submit(rollout_step, tuples, rc.group_size, pool, engine, builder, tok, train_loop,
                         run_dir / "rollouts", version), cursor

    stop = threading.Event()
    completed, cursor, last, evals = start, sampler.state(), {}, {}
    t_run = time.monotonic()
    bg = cf.ThreadPoolExecutor(1, thread_name_prefix="rollout")
    # The pool closes before the rollout thread is joined, so an abandoned rollout ends fast.
    with stop_on_signals(stop), environment(cfg, sorted(apps)) as pool:
        try:
            if held_out and start == 0:
                evals = held_out_eval(0)
            pending, cursor = submit(start)
            for step in range(start + 1, tc.steps + 1):
                t0 = time.monotonic()
                groups = wait(pending, stop)                       # the rollout of this step
                t_wait = time.monotonic() - t0
                pending, next_cursor = None, sampler.state()
                if tc.mode == "async" and step < tc.steps:         # the next rollout overlaps this update
                    pending, next_cursor = submit(step - 1)
                trajs = [t for g in groups for t in g]
                samples, m = build_batch(groups, builder, gspo.adv_eps, gspo.drop_zero_variance_groups)
                t1 = time.monotonic()
                if samples:
                    m.update({f"train/{k}": v for k, v in learner.update(samples).items()})
                    m["train/policy_tokens"] = m.pop("train/tokens")
                t_train = time.monotonic() - t1
                completed, cursor = step, next_cursor
                if pending is not None:
                    wait(pending, stop)                            # weights never change mid-rollout
                t2 = time.monotonic()
                sync_weights(learner, engine, cfg.learner.weight_sync_chunk_mb)
                t_sync = time.monotonic() - t2
                if pending is None and step < tc.steps:
                    pending, cursor = submit(step)
                rollout_s = groups.metrics["timing_s/rollout"]
                m.update(groups.metrics)
                m.update({"train/staleness": float(step - 1 - min(t.policy_version for t in trajs)),
                          "train/policy_version": float(step), "timing_s/rollout_wait": t_wait,
                          "timing_s/train": t_train, "timing_s/sync": t_sync,
                          "timing_s/step": time.monotonic() - t0,
                          "perf/tokens_per_s": generated_tokens(groups) / rollout_s if rollout_s > 0 else 0.0})
                tracker.log(step, m, advance=True)
                last = m
                if tc.sample_table_every and step % tc.sample_table_every == 0:
                    tracker.log_samples(step, trajs)
                if tc.save_every and step % tc.save_every == 0 and step < tc.steps:
                    save(step, cursor, m)
                if held_out and (step % tc.eval_every == 0 or step == tc.steps):
                    if pending is not None:
                        wait(pending, stop)                        # the pool serves one batch at a time
                    evals = held_out_eval(step)
                if stop.is_set():
                    raise Stopped()
        except Stopped:
            say(f"train: stop requested; saving a checkpoint after step {completed}")
            save(completed, cursor, last)
            tracker.finish()
            bg.shutdown(wait=False, cancel_futures=True)
            return {"stopped": True, "step": completed}
        save(tc.steps, cursor, last)
    bg.shutdown(wait=True)
    from cuagym.train.export import export_model

    export_model(learner.model, policy.processor, run_dir / "policy", run_config=to_dict(cfg), metrics=last,
                 step=tc.steps)
    summary = {"stopped": False, "step": tc.steps, "seconds": time.monotonic() - t_run, "last": last,
               "eval": evals, "policy": str(run_dir / "policy")}
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    tracker.finish()
    return summary
