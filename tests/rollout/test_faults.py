"""Fault tolerance of the env pool, with real faults on a real local Ray cluster: a Chromium
killed with SIGKILL and a worker actor killed with ``ray.kill`` in the middle of a group, and a
worker frozen with SIGSTOP (a hung call). The group completes; the lost episodes are
environment failures (or are retried and succeed); no trajectory is lost or duplicated on
disk; and the pool serves new episodes afterwards, on the replaced worker too."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from cuagym.data.format import load_tuple
from cuagym.rollout.agent_loop import LoopConfig
from cuagym.rollout.batch import rollout_batch
from cuagym.rollout.pool import EnvPool
from cuagym.rollout.scripted import GoldenEngine

from .test_pool import PIN, TAG, builder_for

pytestmark = [pytest.mark.usefixtures("sandbox"), pytest.mark.hub(["notes"])]


class FaultAt:
    """Runs ``fault()`` just before the engine's ``call``-th generate call (1-based): mid-rollout."""

    def __init__(self, engine, call, fault):
        self.engine, self.call, self.fault, self.calls = engine, call, fault, 0

    def generate(self, requests):
        self.calls += 1
        if self.calls == self.call:
            self.fault()
        return self.engine.generate(requests)


def kill_browser_and_actor(pool, ray):
    def fault():
        pool.call(0, "kill_browser")
        ray.kill(pool.actor(1), no_restart=True)
    return fault


def group_with_faults(run: Path, pool, ray, pol, retries: int):
    """G=4 golden episodes of TAG on 2 workers x 2 slots; before turn 2, worker 0's Chromium is
    killed (its 2 episodes lose their browser) and worker 1's actor is killed (its 2 episodes lose
    their worker)."""
    t = load_tuple(TAG)
    engine = FaultAt(GoldenEngine([t], pol.tokenizer), 2, kill_browser_and_actor(pool, ray))
    return rollout_batch([t], 4, pool, engine, builder_for(pol), pol.tokenizer, LoopConfig(max_turns=6),
                         run_dir=run, retries=retries)


def records_on_disk(run: Path) -> dict[str, dict]:
    out = {}
    for d in sorted((run / "trajectories").iterdir()):
        meta = json.loads((d / "meta.json").read_text())
        steps = [json.loads(line) for line in (d / "steps.jsonl").read_text().splitlines() if line.strip()]
        out[d.name] = {"meta": meta, "steps": steps}
    return out


def new_episode_works(pool, worker, t):
    env = pool.acquire(worker=worker)
    assert env is not None and env.generation == pool.generation(worker)
    try:
        env.reset(t)
        _, results = env.step([])
        return results == [] and env.score().reward == 0.0
    finally:
        pool.release(env)


@pytest.fixture
def pool(ray_session, hub):
    p = EnvPool(hub.urls, hub.admin_token, workers=2, slots_per_worker=2, cpus_per_worker=0.5, call_timeout_s=120)
    yield p
    p.close()


def test_killed_browser_and_actor_episodes_are_retried_once(tmp_path, pool, ray_session, shared_tiny_policy):
    groups = group_with_faults(tmp_path / "run", pool, ray_session, shared_tiny_policy, retries=1)
    trajs = groups[0]
    # Every episode was on the dead browser or the dead actor; each was started once more and solved the task.
    assert [tr.reward for tr in trajs] == [1.0] * 4
    assert all(tr.termination == "terminate" and len(tr.steps) == 3 for tr in trajs)
    fails = groups.failures
    assert sorted(f.traj_id for f in fails) == sorted(tr.traj_id for tr in trajs)
    assert all(f.retried and f.attempt == 0 and f.phase == "step" for f in fails)
    assert sum(f.reason.startswith("worker 1 ") for f in fails) == 2  # died, or replaced under it
    assert groups.metrics["rollout/env_failure_events"] == 4 and groups.metrics["rollout/env_retries"] == 4
    assert groups.metrics["rollout/env_failures"] == 0 and groups.metrics["rollout/success_rate"] == 1.0
    # On disk: one record per episode, holding only the successful attempt; the lost attempts kept apart.
    disk = records_on_disk(tmp_path / "run")
    assert sorted(disk) == sorted(tr.traj_id for tr in trajs)
    for tid, rec in disk.items():
        assert rec["meta"]["reward"] == 1.0 and [s["index"] for s in rec["steps"]] == [0, 1, 2]
    lost = sorted(p.name for p in (tmp_path / "run" / "env_failures").iterdir())
    assert lost == sorted(f"{tr.traj_id}.attempt0" for tr in trajs)
    # The browser was relaunched inside worker 0; worker 1 is a new actor. Both serve new episodes.
    assert pool.replacements == 1 and pool.generation(1) == 1 and pool.generation(0) == 0
    infos = pool.ping_all()
    assert infos[0]["launches"] == 2 and infos[1]["launches"] == 1 and all(i["browser_alive"] for i in infos)
    assert new_episode_works(pool, 1, load_tuple(PIN)) and new_episode_works(pool, 0, load_tuple(PIN))


def test_without_retries_lost_episodes_are_env_failures_not_policy_failures(tmp_path, pool, ray_session,
                                                                           shared_tiny_policy):
    groups = group_with_faults(tmp_path / "run", pool, ray_session, shared_tiny_policy, retries=0)
    trajs = groups[0]
    assert all(tr.termination == "env_failure" and tr.reward is None for tr in trajs)
    assert all(len(tr.steps) == 1 for tr in trajs)  # the first turn ran before the faults
    m = groups.metrics
    assert m["rollout/env_failures"] == 4 and m["rollout/trajectories"] == 0 and "rollout/success_rate" not in m
    assert m["rollout/env_retries"] == 0
    disk = records_on_disk(tmp_path / "run")
    assert sorted(disk) == sorted(tr.traj_id for tr in trajs)
    assert all(r["meta"]["termination"] == "env_failure" and len(r["steps"]) == 1 for r in disk.values())
    assert not (tmp_path / "run" / "env_failures").exists()
    assert new_episode_works(pool, 1, load_tuple(PIN))


@pytest.mark.slow  # waits out a 30 s call timeout
def test_hung_worker_is_replaced_after_the_call_timeout(tmp_path, ray_session, hub, shared_tiny_policy):
    pol = shared_tiny_policy
    t = load_tuple(PIN)
    with EnvPool(hub.urls, hub.admin_token, workers=1, slots_per_worker=1, cpus_per_worker=0.5,
                 call_timeout_s=30) as p:
        pid = p.ping_all()[0]["pid"]
        engine = FaultAt(GoldenEngine([t], pol.tokenizer), 1, lambda: os.kill(pid, signal.SIGSTOP))
        groups = rollout_batch([t], 1, p, engine, builder_for(pol), pol.tokenizer, LoopConfig(max_turns=4),
                               run_dir=tmp_path / "run", retries=1)
        assert groups[0][0].reward == 1.0
        assert len(groups.failures) == 1 and "hung" in groups.failures[0].reason
        assert p.timeouts == 1 and p.replacements == 1 and p.ping_all()[0]["pid"] != pid
