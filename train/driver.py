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
from cuagym.scaffold import StepRecord, fold_boundaries, folded_count
from cuagym.train.checkpoint import list_checkpoints
from cuagym.rollout.setup import environment, load_tuples, loop_config, make_builder
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


def scaffold_metrics(groups: Sequence[Sequence[Any]], image_max: int, fold_size: int) -> dict[str, float]:
    """How the fold rule cut this step's episodes (the cut training uses): slices and folded
    screenshots per episode, and the share of episodes that train as two or more slices (turns
    per episode and actions per turn are rollout/steps_per_trajectory and rollout/actions_per_step)."""
    turns = [len(t.steps) for g in groups for t in g if t.termination != "env_failure" and t.steps]
    if not turns:
        return {}
    slices = [len(fold_boundaries(n, image_max, fold_size)) for n in turns]
    return {"scaffold/slices_per_trajectory": sum(slices) / len(turns),
            "scaffold/multi_slice_frac": sum(k >= 2 for k in slices) / len(turns),
            # step n-1 acts on the n-th screenshot: the most folded context of the episode
            "scaffold/folded_per_trajectory": sum(folded_count(n, image_max, fold_size) for n in turns) / len(turns)}


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
@dataclasses.dataclass
class Run:
    """What the loop works with: set up once by :func:`setup_run`."""

    cfg: Config
    gspo: Any
    rt: Any                    # the runtime: learner group, engine group, sync
    sampler: EpochSampler
    held_out: list
    builder: Any
    tokenizer: Any
    tracker: Tracker
    run_dir: Path
    ckpt_root: Path
    start: int
    say: Callable[[str], None]
    pool: Any = None
    stop: threading.Event = dataclasses.field(default_factory=threading.Event)
    bg: Any = None
    completed: tuple = ()      # (last finished step, data cursor after it, its metrics): what a stop saves

    def rollout(self, version: int) -> tuple[cf.Future, dict]:
        """Start the next rollout on the engines' weights of ``version`` (= steps synced so far)."""
        rc = self.cfg.rollout
        cursor = self.sampler.state()
        tuples = self.sampler.next(rc.tasks_per_step)
        loop = loop_config(rc, seed=self.cfg.train.seed)
        return self.bg.submit(rollout_step, tuples, rc.group_size, self.pool, self.rt.engines, self.builder,
                              self.tokenizer, loop, self.run_dir / "rollouts", version), cursor

    def update(self, groups: Any, step: int) -> dict[str, float]:
        """Advantages, slices and one GSPO update (engines asleep meanwhile when colocated)."""
        samples, m = build_batch(groups, self.builder, self.gspo.adv_eps, self.gspo.drop_zero_variance_groups)
        m.update(scaffold_metrics(groups, self.cfg.rollout.image_max, self.cfg.rollout.fold_size))
        t1 = time.monotonic()
        if samples:
            if self.cfg.cluster.colocate:
                self.rt.engines.sleep()
            # The gap limit applies when the batch was sampled on the weights the learner holds
            # (always in sync mode; in async mode only when the rollout was not stale).
            fresh = all(t.policy_version == step - 1 for g in groups for t in g)
            limit = self.cfg.train.max_logprob_gap if fresh else 0.0
            m.update({f"train/{k}": v for k, v in self.rt.learner.update(samples, limit).items()})
            m["train/policy_tokens"] = m.pop("train/tokens")
            # How far the learner's recomputation (same weights, sliced contexts) is from what the
            # engine reported for the sampled tokens: the train == rollout context check.
            for k in ("max", "mean"):
                m[f"consistency/logprob_gap_{k}"] = m.pop(f"train/logprob_gap_{k}")
            if self.cfg.cluster.colocate:
                self.rt.engines.wake_up()
        m["timing_s/train"] = time.monotonic() - t1
        return m

    def sync(self) -> dict[str, float]:
        s = self.rt.sync()
        return {"timing_s/sync": s["seconds"], "perf/sync_bytes": s["bytes"]}

    def log(self, step: int, groups: Any, m: dict[str, float], t0: float) -> dict[str, float]:
        trajs = [t for g in groups for t in g]
        rollout_s = groups.metrics["timing_s/rollout"]
        m.update(groups.metrics)
        m.update(self.rt.metrics())
        m.update({"train/staleness": float(step - 1 - min(t.policy_version for t in trajs)),
                  "train/policy_version": float(step), "timing_s/step": time.monotonic() - t0,
                  "perf/tokens_per_s": generated_tokens(groups) / rollout_s if rollout_s > 0 else 0.0})
        self.tracker.log(step, m, advance=True)
        tc = self.cfg.train
        if tc.sample_table_every and step % tc.sample_table_every == 0:
            self.tracker.log_samples(step, trajs)
        return m

    def save(self, step: int, cursor: dict, metrics: dict | None = None) -> None:
        tc = self.cfg.train
        self.rt.learner.save(self.ckpt_root, step, data_cursor=cursor, wandb_run_id=self.tracker.wandb_run_id,
                             run_config=to_dict(self.cfg), metrics=metrics, keep=tc.keep_checkpoints)

    def evaluate(self, step: int) -> dict[str, float]:
        tc = self.cfg.train
        with own_random_stream(tc.seed * 1_000_003 + step, tc.mode == "sync"):
            rep = evaluate(self.held_out, tc.eval_group_size, self.pool, self.rt.engines, self.builder,
                           self.tokenizer, loop_config(self.cfg.rollout, tc.eval_temperature, seed=tc.seed),
                           self.run_dir / "eval" / f"step_{step:06d}", policy_version=step)
        (self.run_dir / "eval" / f"step_{step:06d}.json").write_text(rep.to_json())
        self.say(f"held-out evaluation at step {step}:\n{success_table(rep)}")
        self.tracker.log(step, rep.metrics("eval"))
        return rep.metrics("eval")

    def due(self, every: int, step: int) -> bool:
        return bool(every) and (step % every == 0 or step == self.cfg.train.steps)


@contextmanager
def own_random_stream(seed: int, enabled: bool) -> Iterator[None]:
    """Run the block on torch random streams (CPU and every CUDA device) seeded with ``seed``, then
    restore the caller's.

    Evaluation samples on this: how often a run evaluates then changes neither its training
    rollouts nor its evaluations at other steps. It covers engines in this process (the local
    runtime) and only sync mode, where no training rollout runs during an evaluation.
    """
    with torch.random.fork_rng(devices=list(range(torch.cuda.device_count())), enabled=enabled):
        if enabled:
            torch.manual_seed(seed)
        yield


def setup_run(cfg: Config, resume: bool, log: Callable[[str], None] | None) -> Run:
    """Data, the runtime (learner and engines as the plan says), the scaffold and tracking."""
    from cuagym.modeling.factory import resolve_checkpoint
    from cuagym.modeling.processor import QwenImageTextProcessor
    from cuagym.train.runtime import start_runtime

    tc, rc = cfg.train, cfg.rollout
    run_dir, ckpt_root = Path(tc.run_dir), Path(tc.run_dir) / "checkpoints"
    if resume and not list_checkpoints(ckpt_root):
        raise FileNotFoundError(f"--resume: no checkpoint under {ckpt_root}; start without --resume")
    torch.manual_seed(tc.seed)
    gspo = cfg.gspo
    if tc.mode == "async" and gspo.tis_cap is None:
        gspo = dataclasses.replace(gspo, tis_cap=DEFAULT_ASYNC_TIS_CAP)
    sampler = EpochSampler(Dataset(tc.tuples, prefixes=list(tc.task_filter)), tc.seed)
    held_out = load_tuples(tc.eval_tuples, tc.eval_task_filter) if tc.eval_tuples and tc.eval_every else []
    source = initial_policy_path(cfg)
    processor = QwenImageTextProcessor.from_pretrained(resolve_checkpoint(source), local_files_only=True)
    builder = make_builder(processor.tokenizer, processor.image_processor, rc, chat=rc.engine == "vllm")
    rt = start_runtime(dataclasses.replace(cfg, gspo=gspo), source, tc.steps)
    start, wandb_id = 0, None
    if resume:
        state = rt.learner.load(ckpt_root)
        start, wandb_id = state["step"], state["wandb_run_id"]
        sampler.epoch, sampler.position = state["data_cursor"]["epoch"], state["data_cursor"]["position"]
        rt.sync()
    tracker = Tracker(run_dir, cfg.wandb, run_config=to_dict(cfg), total_steps=tc.steps, start_step=start + 1,
                      wandb_run_id=wandb_id, progress_bar=tc.progress_bar)
    say = log or tracker.write
    say(f"train: {tc.mode} mode, {cfg.cluster.runtime} runtime, steps {start + 1}..{tc.steps}, policy {source}, "
        f"run dir {run_dir}")
    if gspo is not cfg.gspo:
        say(f"train: async mode corrects staleness with truncated IS; gspo.tis_cap was null, using {gspo.tis_cap}")
    return Run(cfg, gspo, rt, sampler, held_out, builder, processor.tokenizer, tracker, run_dir, ckpt_root, start,
               say)


def sync_loop(run: Run) -> tuple[int, dict, dict, dict]:
    """Per step: rollout, update, sync, log (the engines never run while the learner trains)."""
    tc = run.cfg.train
    last: dict = {}
    evals: dict = {}
    for step in range(run.start + 1, tc.steps + 1):
        t0 = time.monotonic()
        pending, cursor = run.rollout(step - 1)
        groups = wait(pending, run.stop)
        m = run.update(groups, step)
        m.update(run.sync())
        last = run.log(step, groups, m, t0)
        run.completed = (step, run.sampler.state(), last)
        if tc.save_every and step % tc.save_every == 0 and step < tc.steps:
            run.save(step, run.sampler.state(), m)
        if run.held_out and run.due(tc.eval_every, step):
            evals = run.evaluate(step)
        if run.stop.is_set():
            raise Stopped()
    return tc.steps, run.sampler.state(), last, evals


def async_loop(run: Run) -> tuple[int, dict, dict, dict]:
    """One step off-policy: the rollout of step n+1 (weights of step n-1) overlaps the update of step n."""
    tc = run.cfg.train
    last: dict = {}
    evals: dict = {}
    pending, _ = run.rollout(run.start)
    for step in range(run.start + 1, tc.steps + 1):
        t0 = time.monotonic()
        groups = wait(pending, run.stop)                          # the rollout of this step
        cursor = run.sampler.state()                              # data of every step up to this one
        pending = run.rollout(step - 1)[0] if step < tc.steps else None
        m = run.update(groups, step)
        if pending is not None:
            wait(pending, run.stop)                               # weights never change mid-rollout
        m.update(run.sync())
        last = run.log(step, groups, m, t0)
        run.completed = (step, cursor, last)
        if tc.save_every and step % tc.save_every == 0 and step < tc.steps:
            run.save(step, cursor, m)
        if run.held_out and run.due(tc.eval_every, step):
            evals = run.evaluate(step)                            # the pool serves one batch at a time
        if run.stop.is_set():
            raise Stopped()
    return tc.steps, run.sampler.state(), last, evals


def train(cfg: Config, *, resume: bool = False, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run (or resume) training as ``cfg`` says; returns a summary (also in RUN_DIR/summary.json)."""
    t_run = time.monotonic()
    run = setup_run(cfg, resume, log)
    run.completed = (run.start, run.sampler.state(), {})
    apps = {a for e in run.sampler.ds.entries() for a in e.apps} | {a for t in run.held_out for a in t.apps}
    run.bg = cf.ThreadPoolExecutor(1, thread_name_prefix="rollout")
    evals: dict = {}
    try:
        # The pool closes before the rollout thread is joined, so an abandoned rollout ends fast.
        with stop_on_signals(run.stop), environment(cfg, sorted(apps), **run.rt.pool_options()) as pool:
            run.pool = pool
            try:
                if run.held_out and run.start == 0:
                    evals = run.evaluate(0)
                loop = async_loop if cfg.train.mode == "async" else sync_loop
                step, cursor, last, more = loop(run)
                evals = more or evals
            except Stopped:
                step, cursor, last = run.completed
                run.say(f"train: stop requested; saving a checkpoint after step {step}")
                run.save(step, cursor, last)
                run.tracker.finish()
                run.bg.shutdown(wait=False, cancel_futures=True)
                return {"stopped": True, "step": step}
            run.save(step, cursor, last)
        run.bg.shutdown(wait=True)
        run.rt.learner.export(run.run_dir / "policy", to_dict(cfg), last, step)
    finally:
        run.rt.close()
    summary = {"stopped": False, "step": cfg.train.steps, "seconds": time.monotonic() - t_run, "last": last,
               "eval": evals, "policy": str(run.run_dir / "policy")}
    (run.run_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    run.tracker.finish()
    return summary
