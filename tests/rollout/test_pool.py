"""The env pool on a real local Ray cluster: 2 browser workers x 2 slots driving real Chromium
through a real hub, the tiny policy's batched rollouts, episodes queued for slots, the
no-Ray local mode, and a close that leaves no Chromium or worker process behind."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest

from cuagym.actions import Action
from cuagym.config import RolloutConfig
from cuagym.data.format import load_tuple
from cuagym.rollout.agent_loop import LoopConfig
from cuagym.rollout.batch import rollout_batch
from cuagym.rollout.engines.base import SamplingParams
from cuagym.rollout.engines.hf import HFEngine
from cuagym.rollout.pool import EnvPool
from cuagym.rollout.scripted import GoldenEngine
from cuagym.rollout.slot import EnvironmentFailure
from cuagym.rollout.trajectory import iter_trajectories
from cuagym.scaffold import ContextBuilder
from cuagym.scaffold.prompt import system_prompt

pytestmark = [pytest.mark.usefixtures("sandbox"), pytest.mark.hub(["notes"])]

TUPLES = Path(__file__).resolve().parents[2] / "data" / "tuples"
PIN = TUPLES / "notes" / "notes.pin.hiring_plan"                  # 2 golden steps
TAG = TUPLES / "notes" / "notes.add_tag.apartment_urgent"         # 3 golden steps


@pytest.fixture(scope="module")
def pool(ray_session, hub):
    p = EnvPool(hub.urls, hub.admin_token, workers=2, slots_per_worker=2, cpus_per_worker=0.5,
                call_timeout_s=120, failure_retries=0)
    yield p
    p.close()


def builder_for(policy):
    return ContextBuilder(policy.tokenizer, policy.processor.image_processor,
                          system=system_prompt("relative_999", (256, 160), 3), image_max=20, fold_size=10)


class CountingEngine:
    """Records the batch size of every generate call of the engine it wraps."""

    def __init__(self, engine):
        self.engine, self.batches = engine, []

    def generate(self, requests):
        self.batches.append(len(requests))
        return self.engine.generate(requests)


def process_tree(pool: EnvPool) -> list[psutil.Process]:
    """The pool's worker processes and their Chromium processes, as they are now."""
    procs = []
    for info in pool.ping_all():
        for pid in [info["pid"], *info["chromium_pids"]]:
            try:
                procs.append(psutil.Process(pid))
            except psutil.NoSuchProcess:
                pass
    return procs


def alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def test_tiny_policy_group_of_four_on_two_workers(tmp_path, pool, shared_tiny_policy):
    pol = shared_tiny_policy
    builder = builder_for(pol)
    engine = CountingEngine(HFEngine(pol.model, eos_token_ids=[builder.im_end],
                                     pad_token_id=pol.tokenizer.pad_token_id))
    t = load_tuple(PIN)
    cfg = LoopConfig(max_turns=2, sampling=SamplingParams(max_new_tokens=12, seed=0))
    groups = rollout_batch([t], 4, pool, engine, builder, pol.tokenizer, cfg, run_dir=tmp_path / "run")
    assert len(groups) == 1 and len(groups[0]) == 4
    # One generate call per turn over the whole group: 2 turns, 4 episodes each.
    assert engine.batches == [4, 4]
    assert all(tr.termination in ("max_turns", "terminate") and tr.reward is not None for tr in groups[0])
    on_disk = {tr.traj_id: tr for tr in iter_trajectories(tmp_path / "run")}
    assert sorted(on_disk) == sorted(tr.traj_id for tr in groups[0]) == [f"{groups.group_ids[0]}-{i}" for i in range(4)]
    for tr in on_disk.values():
        assert tr.tuple_id == t.id and tr.steps
        assert all(len(s.gen_ids) == len(s.logprobs) > 0 for s in tr.steps)
        assert all(lp <= 0.0 for s in tr.steps for lp in s.logprobs)
    assert (tmp_path / "run" / "trajectories" / groups[0][0].traj_id / "obs_0.png").exists()
    m = groups.metrics
    assert m["rollout/env_failures"] == 0 and m["rollout/generate_calls"] == 2
    assert m["rollout/steps_per_trajectory"] == 2.0 and m["perf/env_steps_per_s"] > 0
    assert pool.free_slots == 4 and pool.replacements == 0


def test_more_episodes_than_slots_wait_for_a_free_slot(tmp_path, pool, shared_tiny_policy):
    pol = shared_tiny_policy
    tuples = [load_tuple(PIN), load_tuple(TAG)]
    engine = CountingEngine(GoldenEngine(tuples, pol.tokenizer))
    streamed = []
    groups = rollout_batch(tuples, 3, pool, engine, builder_for(pol), pol.tokenizer, LoopConfig(max_turns=6),
                           run_dir=tmp_path / "run", on_group=lambda g, trajs: streamed.append((g, len(trajs))))
    assert [[tr.reward for tr in g] for g in groups] == [[1.0] * 3, [1.0] * 3]
    assert [len(tr.steps) for tr in groups[0]] == [2] * 3 and [len(tr.steps) for tr in groups[1]] == [3] * 3
    # 6 episodes on 4 slots: never more than 4 in one generate call, and the batch was shared.
    assert max(engine.batches) == 4 and sum(engine.batches) == 3 * 2 + 3 * 3
    assert sorted(streamed) == [(0, 3), (1, 3)]
    ids = sorted(tr.traj_id for tr in iter_trajectories(tmp_path / "run"))
    assert ids == sorted(tr.traj_id for g in groups for tr in g) and len(set(ids)) == 6
    assert groups.metrics["rollout/success_rate"] == 1.0 and groups.metrics["rollout/success_rate/notes"] == 1.0
    assert pool.free_slots == 4


def test_remote_env_calls_and_bad_input(pool):
    env = pool.acquire(worker=1)
    assert env is not None and env.worker == 1
    try:
        obs = env.reset(load_tuple(PIN))
        assert obs.screenshot.size == (1280, 800) and obs.png[:8] == b"\x89PNG\r\n\x1a\n"
        # Several steps in flight at once on one slot run in order.
        a = env.submit_step([Action("move", x=10, y=10, frame="screen")])
        b = env.submit_step([Action("wait", seconds=0.0)])
        (_, ra), (_, rb) = a.result(), b.result()
        assert ra[0].ok and ra[0].action["type"] == "move" and rb[0].action["type"] == "wait"
        assert env.score().reward == 0.0
        with pytest.raises(EnvironmentFailure, match="cannot be loaded"):
            pool.call(1, "reset", 0, "/nonexistent/tuple")
        with pytest.raises(ValueError, match="slot must be an int in 0..1"):
            pool.call(1, "step", 7, [])
    finally:
        pool.release(env)
    with pytest.raises(ValueError, match="not leased"):
        pool.release(env)


def test_pool_rejects_bad_settings(hub):
    with pytest.raises(ValueError, match="mode must be one of"):
        EnvPool(hub.urls, hub.admin_token, mode="threads")
    with pytest.raises(ValueError, match="slots_per_worker must be >= 1"):
        EnvPool(hub.urls, hub.admin_token, mode="local", slots_per_worker=0)


def test_local_mode_runs_without_ray_and_cleans_up(tmp_path, hub, shared_tiny_policy):
    pol = shared_tiny_policy
    t = load_tuple(PIN)
    rc = RolloutConfig(env_mode="local", env_workers=1, slots_per_worker=2, env_call_timeout_s=90)
    with EnvPool.from_config(rc, hub.urls, hub.admin_token) as local:
        assert (local.mode, local.num_slots, local.call_timeout_s, local.failure_retries) == ("local", 2, 90, 1)
        procs = process_tree(local)
        assert len(procs) >= 2 and procs[0].pid == os.getpid()
        groups = rollout_batch([t], 2, local, GoldenEngine([t], pol.tokenizer), builder_for(pol), pol.tokenizer,
                               LoopConfig(max_turns=4), run_dir=tmp_path / "run")
        assert [tr.reward for tr in groups[0]] == [1.0, 1.0]
    chromium = procs[1:]
    assert alive(chromium) == [], "Chromium outlived the local pool"


def test_close_leaves_no_worker_or_chromium_process(ray_session, hub):
    p = EnvPool(hub.urls, hub.admin_token, workers=2, slots_per_worker=1, cpus_per_worker=0.5)
    env = p.acquire()
    env.reset(load_tuple(PIN))
    procs = process_tree(p)
    workers = {info["pid"] for info in p.ping_all()}
    assert len(workers) == 2 and len(procs) > 2
    p.close()
    import time

    deadline = time.monotonic() + 20
    while alive(procs) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert alive(procs) == [], f"left running: {[(q.pid, q.name()) for q in alive(procs)]}"
    with pytest.raises(RuntimeError, match="closed"):
        p.acquire()
