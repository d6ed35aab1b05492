"""The training driver end to end on CPU: real hub, real Chromium, sandboxed reward scripts, the
DeepSpeed GSPO learner and the HF engine; 2-step sync and async runs, and a SIGTERM + --resume.

The tuples here are the notes app with a reward script that returns a uniformly random score,
so every group has reward variance whatever the untrained policy does (the learning itself is
shown by launch/train_tiny.sh). Weight sync is checked through the recorded trajectories: the
log-probs the engine recorded for a rollout equal the learner's log-probs under the weights
that rollout was meant to use, and differ from the initial weights'.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from cuagym.config import load_config
from cuagym.data.dataset import Dataset, EpochSampler
from cuagym.modeling import load_policy
from cuagym.rollout.trajectory import StepLog, Trajectory, iter_trajectories, load_trajectory
from cuagym.scaffold import StepRecord
from cuagym.train.driver import build_batch, own_random_stream, train
from cuagym.rollout.setup import make_builder, vision_token_ids
from cuagym.train.export import export_checkpoint
from cuagym.train.logprobs import PolicyLogprobs, forward_logprobs
from cuagym.train.samples import collate, samples_from_trajectory
from cuagym.train.tracking import STEP_METRICS, read_metrics
from tests.data.tuplelib import SETUP, write_tuple
from tests.train.trajlib import make_builder as trajlib_builder, shot

ROOT = Path(__file__).resolve().parents[2]
COIN = "import random\nprint(f'REWARD: {random.random():.6f}')\n"


# ------------------------------------------------------------------- build_batch by hand
def fake(tid: str, reward: float | None, n_tokens: int = 3) -> Trajectory:
    t = Trajectory(f"{tid}", "notes.x", "g", ["notes"], "Archive the newest email.", reward=reward)
    t.steps.append(StepLog(0, "x", list(range(5, 5 + n_tokens)), [-0.5] * n_tokens, [], [], [], "OK"))
    t.screenshots = [shot(1), shot(2)]
    return t


def test_evaluation_samples_on_its_own_stream_and_leaves_the_training_stream_alone():
    torch.manual_seed(3)
    untouched = torch.rand(4)
    torch.manual_seed(3)
    first = torch.rand(2)
    with own_random_stream(11, enabled=True):
        inside = torch.rand(5)
    after = torch.rand(2)
    assert torch.equal(torch.cat([first, after]), untouched)   # as if the block never ran
    torch.manual_seed(11)
    assert torch.equal(inside, torch.rand(5))                   # the block's stream is its seed's
    # Disabled (async mode: a training rollout may run meanwhile), the block shares the stream.
    torch.manual_seed(3)
    torch.rand(2)
    with own_random_stream(11, enabled=False):
        shared = torch.rand(1)
    assert torch.equal(shared, untouched[2:3])


def test_build_batch_advantages_and_dropped_groups(shared_tiny_policy):
    builder = trajlib_builder(shared_tiny_policy)
    groups = [
        [fake("a0", 1.0), fake("a1", 0.0), fake("a2", 0.0), fake("a3", 1.0)],   # trained
        [fake("b0", 1.0), fake("b1", 1.0)],                                       # zero variance
        [fake("c0", 1.0), fake("c1", None)],                                      # env failure leaves one
    ]
    samples, m = build_batch(groups, builder, 1e-6, drop_zero_variance=True)
    assert m == {"rollout/zero_variance_groups": 1.0, "rollout/small_groups": 1.0, "rollout/groups_trained": 1.0}
    # rewards [1, 0, 0, 1]: mean 0.5, sample std sqrt(1/3) -> advantages +-0.5 * sqrt(3)
    by_id = {s.traj_id: s.advantage for s in samples}
    assert by_id == pytest.approx({"a0": 0.866025, "a1": -0.866025, "a2": -0.866025, "a3": 0.866025}, abs=1e-5)
    assert all(s.traj_num_tokens == 3 and s.num_policy_tokens == 3 for s in samples)
    # Keeping zero-variance groups gives them advantage 0.
    samples, m = build_batch(groups[:2], builder, 1e-6, drop_zero_variance=False)
    assert m["rollout/groups_trained"] == 2.0 and {s.advantage for s in samples if s.traj_id[0] == "b"} == {0.0}


# ------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def coin_tuples(tmp_path_factory):
    root = tmp_path_factory.mktemp("coin_tuples")
    for name in ("notes.coin.a", "notes.coin.b", "notes.coin.c"):
        write_tuple(root, name, setup=SETUP, reward=COIN, near={}, config={"family": "notes.coin"})
    return root


def overrides(run_dir: Path, policy_dir: Path, tuples: Path, **extra: str) -> list[str]:
    base = {
        "model.path": str(policy_dir), "model.build_tiny_if_missing": "false", "train.init_from": "''",
        "train.tuples": str(tuples), "train.task_filter": "[]", "train.eval_tuples": str(tuples),
        "train.eval_task_filter": "[notes.coin.a]", "train.eval_every": "2", "train.eval_group_size": "2",
        "train.steps": "2", "train.save_every": "1", "train.sample_table_every": "1", "train.run_dir": str(run_dir),
        "train.progress_bar": "false", "rollout.group_size": "2", "rollout.tasks_per_step": "1",
        "rollout.max_turns": "1", "rollout.max_new_tokens": "6", "rollout.env_workers": "1",
        "rollout.slots_per_worker": "2", "learner.minibatches_per_rollout": "1", "learner.lr": "1e-3",
        "wandb.mode": "offline",
    }
    base.update(extra)
    return [f"{k}={v}" for k, v in base.items()]


def recorded_vs(model, builder, traj_dir: Path) -> tuple[float, float]:
    """(max |recorded - model| log-prob over the trajectory's policy tokens, mean |difference|)."""
    tr = load_trajectory(traj_dir, with_images=True)
    steps = [StepRecord(s.gen_ids, s.logprobs, s.feedback) for s in tr.steps]
    samples = samples_from_trajectory(builder, tr.instruction, tr.screenshots, steps, 0.0, tr.traj_id)
    batch = collate(samples, 0)  # right padding never changes a causal row's log-probs
    scorer = PolicyLogprobs(model, 1.0, vision_token_ids(builder.tok))  # the engine's masked softmax (T = 1 here)
    with torch.no_grad():
        logp, _ = forward_logprobs(scorer, batch)
    diff = (logp - batch.rollout_logprobs)[batch.policy_mask].abs()
    return float(diff.max()), float(diff.mean())


def trajs_by_version(root: Path) -> dict[int, list[Path]]:
    out: dict[int, list[Path]] = {}
    for t in iter_trajectories(root):
        out.setdefault(t.policy_version, []).append(root / "trajectories" / t.traj_id)
    return out


def weights(folder: Path) -> dict[str, torch.Tensor]:
    out = {}
    for f in sorted(folder.glob("*.safetensors")):
        out.update(load_file(f))
    return out


def check_run(run: Path, policy_dir: Path, cfg, staleness: list[float]) -> None:
    recs = read_metrics(run)
    steps = [r for r in recs if "rollout/success_rate" in r]
    evals = [r for r in recs if "eval/success_rate" in r]
    assert [r["step"] for r in steps] == [1, 2] and [r["step"] for r in evals] == [0, 2]
    for r in steps:
        missing = [k for k in STEP_METRICS if k not in r]
        assert not missing, f"step {r['step']} did not log {missing}"
        assert r["rollout/success_rate/notes"] == r["rollout/success_rate"]
        assert r["rollout/groups_trained"] == 1.0 and r["train/policy_tokens"] > 0
        assert r["perf/tokens_per_s"] > 0 and r["perf/env_steps_per_s"] > 0
        assert 0.0 < r["rollout/reward_mean"] < 1.0
    assert [r["train/staleness"] for r in steps] == staleness
    assert "eval/success_rate/notes" in evals[0]
    # W&B offline run with the scalars and the sample tables under the run directory.
    (wdir,) = (run / "wandb").glob("offline-run-*")
    assert next(wdir.glob("run-*.wandb")).stat().st_size > 0
    assert len(list((wdir / "files" / "media" / "table").rglob("*.table.json"))) == 2
    assert sorted(p.name for p in (run / "checkpoints").glob("step_*")) == ["step_00000001", "step_00000002"]
    # Parameters changed.
    before, after = weights(policy_dir), weights(run / "policy")
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert len(changed) > 0.8 * len(before), f"only {len(changed)}/{len(before)} tensors changed"
    # Weight sync: the held-out evaluation at step 2 ran on the engine after the last sync, so
    # its recorded log-probs are the final policy's, and not the initial one's.
    final = load_policy(run / "policy", dtype="float32", attn_implementation="sdpa")
    initial = load_policy(policy_dir, dtype="float32", attn_implementation="sdpa")
    builder = make_builder(final.tokenizer, final.processor.image_processor, cfg.rollout)
    for traj_dir in trajs_by_version(run / "eval" / "step_000002")[2]:
        same, _ = recorded_vs(final.model, builder, traj_dir)
        _, moved = recorded_vs(initial.model, builder, traj_dir)
        assert same < 1e-3 and moved > 10 * max(same, 1e-5), (same, moved)


@pytest.mark.usefixtures("sandbox")
def test_two_sync_steps_end_to_end(tmp_path, tiny_policy_dir, coin_tuples):
    run = tmp_path / "run"
    cfg = load_config(ROOT / "configs" / "tiny.yaml", overrides(run, tiny_policy_dir, coin_tuples))
    t0 = time.monotonic()
    summary = train(cfg)
    print(f"\n2 sync steps in {time.monotonic() - t0:.1f} s")
    assert summary["stopped"] is False and summary["step"] == 2
    check_run(run, tiny_policy_dir, cfg, staleness=[0.0, 0.0])
    # Step 2's rollout used the weights after step 1 (on-policy): its recorded log-probs are
    # those of the step-1 checkpoint.
    step1 = export_checkpoint(run / "checkpoints", tmp_path / "step1", tag="step_00000001")
    model1 = load_policy(step1, dtype="float32", attn_implementation="sdpa")
    builder = make_builder(model1.tokenizer, model1.processor.image_processor, cfg.rollout)
    for traj_dir in trajs_by_version(run / "rollouts")[1]:
        same, _ = recorded_vs(model1.model, builder, traj_dir)
        assert same < 1e-3


@pytest.mark.usefixtures("sandbox")
def test_two_async_steps_end_to_end(tmp_path, tiny_policy_dir, coin_tuples):
    run = tmp_path / "run"
    cfg = load_config(ROOT / "configs" / "tiny.yaml",
                      overrides(run, tiny_policy_dir, coin_tuples, **{"train.mode": "async"}))
    t0 = time.monotonic()
    summary = train(cfg)
    print(f"\n2 async steps in {time.monotonic() - t0:.1f} s")
    assert summary["stopped"] is False and summary["step"] == 2
    # Step 2's rollout overlapped step 1's update: it ran on the initial weights (staleness 1).
    check_run(run, tiny_policy_dir, cfg, staleness=[0.0, 1.0])
    assert set(trajs_by_version(run / "rollouts")) == {0}


@pytest.mark.usefixtures("sandbox")
@pytest.mark.parametrize("runtime", [
    {},
    # Learner ranks and the engine as Ray actors, one step off-policy.
    pytest.param({"cluster.runtime": "ray", "learner.num_ranks": "2", "train.mode": "async"}, marks=pytest.mark.slow),
], ids=["local-sync", "ray-async"])
def test_sigterm_saves_and_resume_continues(tmp_path, tiny_policy_dir, coin_tuples, runtime):
    run = tmp_path / "run"
    args = overrides(run, tiny_policy_dir, coin_tuples, **{"train.steps": "4", "train.eval_every": "0",
                                                           "train.sample_table_every": "0", "train.save_every": "0",
                                                           **runtime})
    cmd = [sys.executable, "-m", "cuagym.commands.train_cli", "--config", str(ROOT / "configs" / "tiny.yaml"), *args]
    # A fresh process group for the child: not the rendezvous of a learner built in this process.
    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")}
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("RAY_AUTH_MODE", "disabled")  # a local Ray for the ray runtime, no token file
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    metrics = run / "metrics.jsonl"
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and proc.poll() is None:
        if metrics.exists() and any(json.loads(x)["step"] == 1 for x in metrics.read_text().splitlines() if x):
            break
        time.sleep(0.5)
    assert proc.poll() is None, proc.stdout.read()
    proc.send_signal(signal.SIGTERM)                         # mid-run: step 2's rollout is in flight
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out
    assert '"stopped": true' in out
    saved = sorted(p.name for p in (run / "checkpoints").glob("step_*"))
    assert saved and saved[-1] in ("step_00000001", "step_00000002"), saved
    stopped_at = int(saved[-1].split("_")[1])

    res = subprocess.run(cmd + ["--resume"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=900)
    assert res.returncode == 0, res.stdout
    assert '"step": 4' in res.stdout
    recs = read_metrics(run)
    assert [r["step"] for r in recs] == [1, 2, 3, 4]         # each step once, in order, across the restart
    assert [r["train/policy_version"] for r in recs] == [1.0, 2.0, 3.0, 4.0]
    # The data cursor continued: step k trained on the tuple an uninterrupted sampler gives k-th.
    expected = [t.id for t in EpochSampler(Dataset(coin_tuples), seed=0).next(4)]
    by_version = {}
    for t in iter_trajectories(run / "rollouts"):
        if t.tuple_id:  # an episode abandoned by the stop has no meta.json (no tuple id, no reward)
            by_version.setdefault(t.policy_version, set()).add(t.tuple_id)
    if runtime.get("train.mode") != "async":
        assert [sorted(by_version[v]) for v in range(4)] == [[tid] for tid in expected], (by_version, stopped_at)
        return
    # One step off-policy: after the resume from step s, step k > s trains on the rollout made with the
    # weights of step max(s, k - 2), on the tuple an uninterrupted sampler gives k-th.
    for k in range(stopped_at + 1, 5):
        assert expected[k - 1] in by_version[max(stopped_at, k - 2)], (k, by_version, stopped_at)
    assert [r["train/staleness"] for r in recs][stopped_at:] == [0.0] + [1.0] * (3 - stopped_at)


@pytest.mark.usefixtures("sandbox")
def test_multiturn_config_slices_folds_and_keeps_the_logprob_gap(tmp_path, tiny_policy_dir, coin_tuples):
    """configs/tiny_multiturn.yaml for 2 steps: five-turn episodes under image_max 3 / fold_size 2
    train as two slices with two screenshots folded, the four minibatches move sequence ratios
    off 1, and the learner's log-probs of the sampled tokens (at the rollout temperature 0.7)
    stay within the run's 1e-4 limit of the engine's."""
    run = tmp_path / "run"
    cfg = load_config(ROOT / "configs" / "tiny_multiturn.yaml", overrides(
        run, tiny_policy_dir, coin_tuples, **{
            "rollout.max_turns": "5", "rollout.max_new_tokens": "8", "rollout.group_size": "4",
            "rollout.temperature": "0.7", "learner.minibatches_per_rollout": "4", "train.eval_every": "0",
            "train.save_every": "0", "train.sample_table_every": "0", "learner.lr": "1e-2"}))
    assert (cfg.rollout.image_max, cfg.rollout.fold_size, cfg.train.max_logprob_gap) == (3, 2, 1e-4)
    summary = train(cfg)
    assert summary["stopped"] is False and summary["step"] == 2
    steps = [r for r in read_metrics(run) if "rollout/success_rate" in r]
    assert [r["step"] for r in steps] == [1, 2]
    for r in steps:
        # No random-weight episode ends before max_turns: 5 turns, screenshots 4 and 5 fold the
        # first two, so every trajectory is slices [0, 3) and [3, 5).
        assert r["rollout/steps_per_trajectory"] == 5.0
        assert r["scaffold/slices_per_trajectory"] == 2.0 and r["scaffold/multi_slice_frac"] == 1.0
        assert r["scaffold/folded_per_trajectory"] == 2.0
        assert r["consistency/logprob_gap_max"] <= 1e-4
        assert r["train/seq_ratio_min"] < 1.0 or r["train/seq_ratio_max"] > 1.0
        assert 0.0 <= r["train/clip_frac"] <= 1.0
