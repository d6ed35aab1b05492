"""The distributed runtime on a simulated two-node Ray cluster: learner ranks and engines as actors,
collective weight sync, an engine killed mid-run, and the same numbers as the local runtime."""

from __future__ import annotations

from pathlib import Path

import pytest

from cuagym.config import load_config
from cuagym.train.tracking import read_metrics
from tests.train.raylib import simulated_cluster

ROOT = Path(__file__).resolve().parents[2]
PINS = "[notes.pin.books, notes.pin.rust]"


@pytest.fixture(scope="module")
def warm_policy(tmp_path_factory, tiny_policy_dir, sandbox):
    """The tiny policy after a short supervised warm start on notes.pin golden trajectories: it clicks
    Pin in some sampled turns and not in others, so groups carry reward variance."""
    from cuagym.train.sft import run_sft

    out = tmp_path_factory.mktemp("warm_policy")
    cfg = load_config(ROOT / "configs" / "tiny.yaml", [
        f"model.path={tiny_policy_dir}", "model.build_tiny_if_missing=false", f"sft.out_dir={out}",
        f"sft.task_filter={PINS}", "sft.steps=25", "sft.batch_size=2", "rollout.env_workers=1",
        "rollout.slots_per_worker=2"])
    run_sft(cfg, log=lambda _: None)
    return out


def overrides(run_dir: Path, policy: Path, **extra: str) -> list[str]:
    base = {
        "model.path": str(policy), "model.build_tiny_if_missing": "false", "train.init_from": "''",
        "train.task_filter": PINS, "train.eval_every": "0", "train.steps": "2", "train.save_every": "1",
        "train.sample_table_every": "0", "train.run_dir": str(run_dir), "train.progress_bar": "false",
        "rollout.group_size": "4", "rollout.tasks_per_step": "2", "rollout.env_workers": "1",
        "rollout.slots_per_worker": "4", "rollout.seed_requests": "true", "learner.minibatches_per_rollout": "2",
        # Two ranks deal the shuffled minibatches among themselves. A small step keeps step 2's
        # groups mixed: at tiny.yaml's lr a shuffled first update can leave step 2 all-zero, and
        # then nothing would be trained or compared at step 2.
        "learner.shuffle_minibatches": "true", "learner.lr": "1e-4",
        "wandb.mode": "offline",
    }
    base.update(extra)
    return [f"{k}={v}" for k, v in base.items()]


def rewards_by_episode(run_dir: Path) -> dict[tuple[int, str, int], float]:
    from cuagym.rollout.trajectory import iter_trajectories

    return {(t.policy_version, t.tuple_id, int(t.traj_id.rsplit("-", 1)[1])): t.reward
            for t in iter_trajectories(run_dir / "rollouts")}


@pytest.fixture(scope="module")
def two_node_ray():
    with simulated_cluster({"num_cpus": 6, "object_store_memory": 300 << 20},
                           [{"num_cpus": 2, "object_store_memory": 100 << 20}]) as cluster:
        yield cluster


def test_runtime_refuses_what_it_cannot_honour():
    from cuagym.train.runtime import RuntimeRefused, check_runtime

    tiny = ROOT / "configs" / "tiny.yaml"
    cases = {
        "learner.num_ranks=2": "learner.num_ranks=2 with cluster.runtime=local",
        "rollout.num_engines=2": "rollout.num_engines=2 with cluster.runtime=local",
        "rollout.engine=openai": "rollout.engine=openai serves no log-probs",
        "rollout.engine_tp_size=2": "the hf engine runs on one device",
        "cluster.colocate=true": "only vLLM engines",
    }
    for override, message in cases.items():
        with pytest.raises(RuntimeRefused, match=message.replace(".", r"\.").replace("=", "=")):
            check_runtime(load_config(tiny, [override]))
    check_runtime(load_config(tiny, ["cluster.runtime=ray", "learner.num_ranks=2", "rollout.num_engines=2"]))


@pytest.mark.usefixtures("sandbox")
def test_ray_runtime_matches_local_syncs_bit_exactly_and_survives_an_engine_death(tmp_path, warm_policy,
                                                                                 two_node_ray):
    import ray
    from cuagym.train import runtime as R
    from cuagym.train.driver import train

    tiny = ROOT / "configs" / "tiny.yaml"
    local = load_config(tiny, overrides(tmp_path / "local", warm_policy))
    assert train(local)["step"] == 2

    syncs: list[dict] = []
    original_sync = R.Runtime.sync

    def observed_sync(self):  # the real sync, then what the test checks after it
        out = original_sync(self)
        alive = self.live_actors()
        syncs.append({"learner": self.learner.weights_checksum(), "engines": self.engines.weights_checksums(),
                      "actors": sorted(alive), "plan": sorted(self.actor_names), "bytes": out["bytes"],
                      "nodes": {name: alive[name] for name in alive},
                      "placed": list(self.placement.node_ids)})
        if len(syncs) == 1:  # kill an engine between the first sync and the next rollout
            ray.kill(self.engines.actors[1], no_restart=True)
        return out

    R.Runtime.sync = observed_sync
    try:
        cfg = load_config(tiny, overrides(tmp_path / "ray", warm_policy, **{
            "cluster.runtime": "ray", "learner.num_ranks": "2", "rollout.num_engines": "2"}))
        assert train(cfg)["step"] == 2
    finally:
        R.Runtime.sync = original_sync

    # (b) after every sync, each engine's weights equal the learner's bit for bit.
    assert len(syncs) == 2
    for s in syncs:
        assert s["engines"] == [s["learner"]] * 2, s
        assert s["bytes"] > 0
    assert syncs[0]["learner"] != syncs[1]["learner"]       # the update moved the weights
    # (c) the actors that exist are exactly the plan's: 2 learner ranks, 2 engines.
    plan = ["cuagym-engine-0", "cuagym-engine-1", "cuagym-learner-0", "cuagym-learner-1"]
    assert syncs[0]["plan"] == plan and syncs[0]["actors"] == plan and syncs[1]["actors"] == plan
    # ... on the Ray node the plan's node 0 placement group sits on (all CPU processes are on node 0).
    assert set(syncs[0]["nodes"].values()) == {syncs[0]["placed"][0]}
    # (d) the killed engine was restarted, its requests retried, and no step was lost.
    ray_m, local_m = read_metrics(tmp_path / "ray"), read_metrics(tmp_path / "local")
    assert [r["step"] for r in ray_m] == [1, 2]
    assert [r["rollout/engine_restarts"] for r in ray_m] == [0.0, 1.0]
    assert ray_m[1]["rollout/engine_retried_requests"] > 0
    # (a) the same rewards per episode, the same advantages and losses as the local runtime.
    # Sampling is seeded per request (rollout.seed_requests), so generation does not depend on how
    # requests are spread over engines; the learner's 2 ranks reduce in another order than 1 rank,
    # so losses agree to float32 rounding (1e-5 relative), not bit for bit.
    assert rewards_by_episode(tmp_path / "ray") == rewards_by_episode(tmp_path / "local")
    for r, l in zip(ray_m, local_m):
        assert r["rollout/groups_trained"] == l["rollout/groups_trained"] >= 1
        assert r["rollout/reward_mean"] == l["rollout/reward_mean"]
        assert r["train/loss"] == pytest.approx(l["train/loss"], rel=1e-5, abs=1e-7)
        assert r["train/policy_tokens"] == l["train/policy_tokens"]
        # The learner's recomputation on the sliced contexts matches what the engines reported
        # (fp32 on CPU), in another process for the ray runtime.
        assert r["consistency/logprob_gap_max"] <= 1e-4 and l["consistency/logprob_gap_max"] <= 1e-4
    assert (tmp_path / "ray" / "policy" / "config.json").is_file()
    assert sorted(p.name for p in (tmp_path / "ray" / "checkpoints").glob("step_*")) == [
        "step_00000001", "step_00000002"]
