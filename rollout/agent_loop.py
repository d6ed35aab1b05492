"""The multi-turn agent loop: episodes advanced in rounds, one batched generate per round.

Per round: the scaffold builds each acting episode's exact context, the engine generates
every acting episode's turn in ONE call, the tool calls are parsed (problems become feedback
the model sees next turn, never crashes), and every episode's environment call of the round
(reset, step or score) is issued; envs that can take calls asynchronously (remote workers)
run them all at once. Each step is written to disk as it happens. An episode ends on
``terminate``, the turn limit or the time limit; then ``reward.py`` scores its final state.
Environment failures end that episode as an environment failure (reward None), never as a
policy failure; the scheduler may start it again from scratch (``retries``).

:func:`rollout_group` is one tuple's G episodes on G given envs (the GSPO group);
:func:`run_episodes` is the scheduler under it, which a pool-backed batch reuses.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import shutil
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from cuagym.actions import Action, ActionResult, Geometry
from cuagym.data.format import TaskTuple
from cuagym.rollout.engines.base import GenRequest, GenResult, SamplingParams
from cuagym.rollout.slot import EnvironmentFailure, Observation
from cuagym.rollout.toolcalls import parse_turn
from cuagym.rollout.trajectory import StepLog, Trajectory, TrajectoryWriter
from cuagym.scaffold.context import ContextBuilder, StepRecord


class Env(Protocol):
    def reset(self, t: TaskTuple) -> Observation: ...

    def step(self, actions: list[Action], geometry: Geometry | None = None) -> tuple[Observation, list[ActionResult]]: ...

    def score(self) -> Any: ...


class Pending(Protocol):
    """An env call in flight; ``result()`` returns its value or raises EnvironmentFailure."""

    def result(self) -> Any: ...


class Engine(Protocol):
    def generate(self, requests: list[GenRequest]) -> list[GenResult]: ...


class EnvSource(Protocol):
    """Hands out envs to episodes: ``acquire()`` gives a free env or None, ``release`` takes it back."""

    def acquire(self) -> Env | None: ...

    def release(self, env: Env) -> None: ...


@dataclass(frozen=True)
class LoopConfig:
    max_turns: int = 15
    max_actions_per_turn: int = 5
    frame: str = "relative_999"
    episode_timeout_s: float = 600.0
    sampling: SamplingParams = SamplingParams()
    # Size of the screenshot the model is shown: the extent of the "image" (absolute-pixel) frame.
    # None = the captured screenshot's own size.
    image_size: tuple[int, int] | None = None
    # When set, every request is sampled with its own seed, derived from this, the policy version,
    # the tuple, the episode's place in its group and the turn: rollouts then do not depend on how
    # requests are batched or spread over engines.
    seed: int | None = None


def request_seed(base: int, policy_version: int, tuple_id: str, member: int, turn: int) -> int:
    """A stable 63-bit seed for one request (the same in every process and run)."""
    digest = hashlib.sha256(f"{base}|{policy_version}|{tuple_id}|{member}|{turn}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def feedback_text(errors: list[str], results: list[ActionResult], dropped: int) -> str:
    """What the model is told about its last turn, before the next screenshot."""
    lines = [f"Error: {e}" for e in errors]
    lines += [f"Action {i + 1} ({r.action.get('type')}) failed: {r.error}" for i, r in enumerate(results) if not r.ok]
    if dropped:
        lines.append(f"Only the first actions of a turn run; {dropped} were dropped.")
    return "\n".join(lines) if lines else "OK"


# ---- env calls: concurrent where the env allows it ----------------------------------------
class _Deferred:
    """A call on an env without async support: it runs when its result is asked for."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn

    def result(self) -> Any:
        return self.fn()


def submit(env: Any, method: str, *args: Any) -> Pending:
    """Start ``env.<method>(*args)``: at once on an env with ``submit_<method>``, else when asked."""
    sub = getattr(env, f"submit_{method}", None)
    if sub is not None:
        return sub(*args)
    return _Deferred(lambda: getattr(env, method)(*args))


# ---- one episode ---------------------------------------------------------------------------
@dataclass
class EpisodeSpec:
    """What to roll out: a tuple, the trajectory id it is recorded under, and which attempt."""

    tuple: TaskTuple
    traj_id: str
    group_id: str
    attempt: int = 0
    tag: Any = None  # the caller's bookkeeping (e.g. group and member index)
    member: int = 0  # the episode's index in its group (seeds per-request sampling)


@dataclass
class EnvFailureRecord:
    traj_id: str
    tuple_id: str
    attempt: int
    phase: str      # reset | step | score
    reason: str
    retried: bool


class Episode:
    """A running episode: its trajectory record, writer, screenshots and scaffold records."""

    def __init__(self, spec: EpisodeSpec, env: Env, run_dir: str | Path | None, policy_version: int) -> None:
        t = spec.tuple
        self.spec, self.env = spec, env
        self.traj = Trajectory(spec.traj_id, t.id, spec.group_id, list(t.apps), t.config.instruction,
                               policy_version=policy_version)
        self.writer = TrajectoryWriter(run_dir, self.traj) if run_dir else None
        self.shots: list[Any] = []
        self.records: list[StepRecord] = []
        self.geometry: Geometry | None = None
        self.phase = "reset"       # reset -> act (per turn) -> score -> done
        self.turn = 0
        self.t0 = time.monotonic()
        self._turn: tuple | None = None  # the model turn whose actions are in flight

    def observed(self, obs: Observation) -> None:
        self.shots.append(obs.screenshot)
        if self.writer:
            self.writer.observation(len(self.shots) - 1, obs.screenshot, obs.png)

    def request(self, builder: ContextBuilder, cfg: LoopConfig) -> GenRequest:
        ctx = builder.build(self.traj.instruction, self.shots, self.records)
        sampling = cfg.sampling
        if cfg.seed is not None:
            sampling = dataclasses.replace(sampling, seed=request_seed(
                cfg.seed, self.traj.policy_version, self.spec.tuple.id, self.spec.member, self.turn))
        return GenRequest(builder.model_inputs(ctx, self.shots), sampling,
                          request_id=f"{self.spec.tuple.id}|{self.traj.traj_id}|{self.turn}")

    def plan(self, out: GenResult, tokenizer: Any, cfg: LoopConfig, gen_seconds: float) -> list[Action]:
        """Parse the model's turn; returns the actions to run in this step."""
        text = tokenizer.decode(out.token_ids, skip_special_tokens=False)
        text = text.replace("<|im_end|>", "").replace("<|endoftext|>", "")
        parsed = parse_turn(text, cfg.frame)
        actions = parsed.actions[: cfg.max_actions_per_turn]
        if self.geometry is None:
            w, h = self.shots[-1].size
            self.geometry = Geometry((w, h), tuple(cfg.image_size) if cfg.image_size else (w, h))
        self._turn = (out, text, parsed, actions, len(parsed.actions) - len(actions), gen_seconds)
        return actions

    def stepped(self, obs: Observation, results: list[ActionResult], env_seconds: float, cfg: LoopConfig) -> None:
        assert self._turn is not None
        out, text, parsed, actions, dropped, gen_seconds = self._turn
        self._turn = None
        fb = feedback_text(parsed.errors, results, dropped)
        log = StepLog(self.turn, text, list(out.token_ids), list(out.logprobs), [a.to_dict() for a in actions],
                      [r.__dict__ for r in results], parsed.errors, fb, gen_seconds, env_seconds)
        self.traj.steps.append(log)
        self.records.append(StepRecord(list(out.token_ids), list(out.logprobs), fb))
        if self.writer:
            self.writer.step(log)
        self.observed(obs)
        self.turn += 1
        if parsed.terminated:
            self.traj.termination, self.phase = "terminate", "score"
        elif self.turn >= cfg.max_turns:
            self.traj.termination, self.phase = "max_turns", "score"

    def scored(self, res: Any) -> None:
        self.traj.reward, self.traj.reward_output = float(res.reward), res.stdout[-2000:]
        self.phase = "done"

    def failed(self, reason: str) -> None:
        self.traj.termination, self.traj.env_failure, self.phase = "env_failure", reason, "done"

    def finish(self) -> Trajectory:
        self.traj.screenshots = self.shots
        self.traj.seconds = time.monotonic() - self.t0
        if self.writer:
            self.writer.finish()
        return self.traj

    def archive(self, run_dir: str | Path) -> None:
        """Move a failed attempt's record out of ``trajectories/`` (its retry takes the id)."""
        if self.writer is None:
            return
        dest = Path(run_dir) / "env_failures" / f"{self.traj.traj_id}.attempt{self.spec.attempt}"
        n = 1
        while dest.exists():
            dest, n = dest.with_name(f"{self.traj.traj_id}.attempt{self.spec.attempt}.{n}"), n + 1
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(self.writer.dir), str(dest))


# ---- the scheduler -------------------------------------------------------------------------
@dataclass
class EpisodeResults:
    trajectories: dict[str, Trajectory] = field(default_factory=dict)
    failures: list[EnvFailureRecord] = field(default_factory=list)
    generate_calls: int = 0
    env_steps: int = 0
    seconds: float = 0.0


def run_episodes(specs: Sequence[EpisodeSpec], source: EnvSource, engine: Engine, builder: ContextBuilder,
                 tokenizer: Any, cfg: LoopConfig, *, run_dir: str | Path | None = None, policy_version: int = 0,
                 retries: int = 0, on_done: Callable[[EpisodeSpec, Trajectory], None] | None = None
                 ) -> EpisodeResults:
    """Run every spec to the end on envs from ``source``, as many at once as it has envs.

    Every round makes ONE ``engine.generate`` call over all episodes that act this round; the
    round's env calls are all issued before any result is awaited.
    """
    if retries < 0:
        raise ValueError(f"retries must be >= 0, got {retries}")
    ids = [s.traj_id for s in specs]
    if len(set(ids)) != len(ids):
        raise ValueError("trajectory ids must be unique within one run_episodes call")
    pending: deque[EpisodeSpec] = deque(specs)
    active: list[Episode] = []
    out = EpisodeResults()
    t_start = time.monotonic()

    def end(ep: Episode) -> None:
        source.release(ep.env)
        traj = ep.finish()
        out.trajectories[traj.traj_id] = traj
        if on_done:
            on_done(ep.spec, traj)

    def env_failed(ep: Episode, phase: str, e: EnvironmentFailure) -> None:
        retry = ep.spec.attempt < retries
        out.failures.append(EnvFailureRecord(ep.traj.traj_id, ep.spec.tuple.id, ep.spec.attempt, phase, str(e), retry))
        ep.failed(str(e))
        if not retry:
            end(ep)
            return
        source.release(ep.env)
        ep.finish()
        if run_dir:
            ep.archive(run_dir)
        s = ep.spec
        pending.appendleft(EpisodeSpec(s.tuple, s.traj_id, s.group_id, s.attempt + 1, s.tag, s.member))

    while pending or active:
        while pending:
            env = source.acquire()
            if env is None:
                break
            active.append(Episode(pending.popleft(), env, run_dir, policy_version))
        if not active:
            raise RuntimeError(f"no env is free for {len(pending)} waiting episodes and none is running")
        now = time.monotonic()
        for ep in active:
            if ep.phase == "act" and now - ep.t0 > cfg.episode_timeout_s:
                ep.traj.termination, ep.phase = "timeout", "score"
        acting = [ep for ep in active if ep.phase == "act"]
        plans: dict[int, list[Action]] = {}
        if acting:
            g0 = time.monotonic()
            outs = engine.generate([ep.request(builder, cfg) for ep in acting])
            out.generate_calls += 1
            gen_seconds = (time.monotonic() - g0) / len(acting)
            for ep, o in zip(acting, outs):
                plans[id(ep)] = ep.plan(o, tokenizer, cfg, gen_seconds)
        calls: list[tuple[Episode, str, float, Pending]] = []
        for ep in active:
            c0 = time.monotonic()
            if ep.phase == "reset":
                calls.append((ep, "reset", c0, submit(ep.env, "reset", ep.spec.tuple)))
            elif ep.phase == "act":
                calls.append((ep, "step", c0, submit(ep.env, "step", plans[id(ep)], ep.geometry)))
            elif ep.phase == "score":
                calls.append((ep, "score", c0, submit(ep.env, "score")))
        for ep, phase, c0, pend in calls:
            try:
                value = pend.result()
            except EnvironmentFailure as e:
                env_failed(ep, phase, e)
                continue
            if phase == "reset":
                ep.observed(value)
                ep.phase = "act"
            elif phase == "step":
                out.env_steps += 1
                ep.stepped(value[0], value[1], time.monotonic() - c0, cfg)
            else:
                ep.scored(value)
                end(ep)
        active = [ep for ep in active if ep.phase != "done"]
    out.seconds = time.monotonic() - t_start
    return out


class FixedEnvs:
    """An env source over a fixed list of envs, handed out in order."""

    def __init__(self, envs: Sequence[Env]) -> None:
        self.free: deque[Env] = deque(envs)

    def acquire(self) -> Env | None:
        return self.free.popleft() if self.free else None

    def release(self, env: Env) -> None:
        self.free.append(env)


def rollout_group(t: TaskTuple, envs: Sequence[Env], engine: Engine, builder: ContextBuilder, tokenizer: Any,
                  cfg: LoopConfig, *, run_dir: str | Path | None = None, group_id: str | None = None,
                  policy_version: int = 0) -> list[Trajectory]:
    """Roll out ``len(envs)`` episodes of ``t`` in lockstep and score them."""
    group_id = group_id or f"{t.id}-{secrets.token_hex(3)}"
    specs = [EpisodeSpec(t, f"{group_id}-{i}", group_id, member=i) for i in range(len(envs))]
    res = run_episodes(specs, FixedEnvs(envs), engine, builder, tokenizer, cfg, run_dir=run_dir,
                       policy_version=policy_version)
    return [res.trajectories[s.traj_id] for s in specs]


def group_metrics(trajs: Sequence[Trajectory]) -> dict[str, float]:
    """Rollout metrics of finished trajectories (environment failures are counted apart)."""
    ok = [t for t in trajs if t.termination != "env_failure"]
    steps = sum(len(t.steps) for t in ok)
    out = {"rollout/trajectories": float(len(ok)), "rollout/env_failures": float(len(trajs) - len(ok))}
    if ok:
        out.update({
            "rollout/success_rate": sum(t.reward == 1.0 for t in ok) / len(ok),
            "rollout/reward_mean": sum(t.reward or 0.0 for t in ok) / len(ok),
            "rollout/steps_per_trajectory": steps / len(ok),
            "rollout/actions_per_step": sum(t.num_actions for t in ok) / max(steps, 1),
            "rollout/invalid_tool_calls_per_step": sum(t.num_invalid for t in ok) / max(steps, 1),
        })
    return out
