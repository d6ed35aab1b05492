"""One training step's rollouts: G episodes for each of several tuples, over a pool of browser slots.

Every episode of every group advances in rounds with ONE ``engine.generate`` call per round
over all episodes that act in it (what a training step wants from a batched engine), and
the round's env calls run concurrently on the pool's workers. When there are more episodes
than slots, new episodes start as slots free up. Episodes lost to the environment are
counted, and started again from scratch up to ``retries`` times; a failed attempt's record
moves to ``RUN/env_failures/`` so that ``RUN/trajectories/`` holds exactly one record per
episode.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Sequence

from cuagym.data.format import TaskTuple
from cuagym.rollout.agent_loop import (
    Engine, EnvFailureRecord, EnvSource, EpisodeSpec, LoopConfig, group_metrics, run_episodes,
)
from cuagym.rollout.trajectory import Trajectory
from cuagym.scaffold.context import ContextBuilder


class BatchResult(list):
    """``list[list[Trajectory]]`` (one inner list per tuple, in order) plus what happened on the way."""

    failures: list[EnvFailureRecord]
    metrics: dict[str, float]
    group_ids: list[str]


def rollout_batch(tuples: Sequence[TaskTuple], group_size: int, pool: EnvSource, engine: Engine,
                  builder: ContextBuilder, tokenizer: Any, loop_cfg: LoopConfig, run_dir: str | Path | None = None,
                  policy_version: int = 0, *, retries: int | None = None,
                  on_group: Callable[[int, list[Trajectory]], None] | None = None) -> BatchResult:
    """Roll out ``group_size`` episodes of each tuple; returns one scored group per tuple.

    ``retries`` (default: the pool's ``failure_retries``, else 0) is how many times an episode
    lost to the environment starts again. ``on_group(index, trajectories)`` is called as soon
    as a group's episodes are all finished (groups stream out while others still run).
    """
    if group_size < 1:
        raise ValueError(f"group_size must be >= 1, got {group_size}")
    if not tuples:
        raise ValueError("tuples is empty: nothing to roll out")
    if retries is None:
        retries = int(getattr(pool, "failure_retries", 0))
    group_ids = [f"{t.id}-{secrets.token_hex(3)}" for t in tuples]
    specs = [EpisodeSpec(t, f"{gid}-{i}", gid, tag=(g, i), member=i)
             for g, (t, gid) in enumerate(zip(tuples, group_ids)) for i in range(group_size)]
    done: dict[int, dict[int, Trajectory]] = defaultdict(dict)

    def on_done(spec: EpisodeSpec, traj: Trajectory) -> None:
        g, i = spec.tag
        done[g][i] = traj
        if on_group and len(done[g]) == group_size:
            on_group(g, [done[g][k] for k in range(group_size)])

    res = run_episodes(specs, pool, engine, builder, tokenizer, loop_cfg, run_dir=run_dir,
                       policy_version=policy_version, retries=retries, on_done=on_done)
    out = BatchResult([done[g][i] for i in range(group_size)] for g in range(len(tuples)))
    out.failures, out.group_ids = res.failures, group_ids
    out.metrics = batch_metrics(out, res.failures, env_steps=res.env_steps, seconds=res.seconds,
                                generate_calls=res.generate_calls)
    return out


def by_app(trajs: Sequence[Trajectory], *, failures: bool = False) -> dict[str, list[Trajectory]]:
    """Trajectories per app (a multi-app tuple's apps joined with '+'), sorted by app; environment
    failures are left out unless ``failures``. The one grouping every report uses."""
    out: dict[str, list[Trajectory]] = defaultdict(list)
    for t in trajs:
        if failures or t.termination != "env_failure":
            out["+".join(t.apps)].append(t)
    return dict(sorted(out.items()))


def summary_metrics(trajs: Sequence[Trajectory]) -> dict[str, float]:
    """:func:`group_metrics` without the section prefix, plus invalid calls and env steps (for reports)."""
    m = {k.split("/", 1)[1]: v for k, v in group_metrics(trajs).items()}
    m["invalid_calls"] = float(sum(t.num_invalid for t in trajs if t.termination != "env_failure"))
    m["env_steps"] = float(sum(len(t.steps) for t in trajs))
    return m


def batch_metrics(groups: Sequence[Sequence[Trajectory]], failures: Sequence[EnvFailureRecord], *,
                  env_steps: int, seconds: float, generate_calls: int) -> dict[str, float]:
    """:func:`group_metrics` over the whole batch, per-app success, env failure counts and throughput."""
    trajs = [t for g in groups for t in g]
    m = group_metrics(trajs)
    for app, ts in by_app(trajs).items():
        m[f"rollout/success_rate/{app}"] = sum(t.reward == 1.0 for t in ts) / len(ts)
    m["rollout/env_failure_events"] = float(len(failures))
    m["rollout/env_retries"] = float(sum(f.retried for f in failures))
    m["rollout/generate_calls"] = float(generate_calls)
    m["perf/env_steps_per_s"] = env_steps / seconds if seconds > 0 else 0.0
    m["timing_s/rollout"] = seconds
    return m
