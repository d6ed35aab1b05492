"""launch/train_a3b.sh and launch/train_a17b.sh: argument and cluster-variable handling,
dry runs that print the plan (exit 0) or refuse it (exit 1), and, marked slow, a real Ray
head (and worker) started, joined, used by a driver and torn down on this machine."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
SHORT = ["train.mode=sync", "rollout.image_width=640", "rollout.image_height=384", "rollout.image_max=8",
         "rollout.fold_size=4", "rollout.max_turns=15", "rollout.max_new_tokens=256", "learner.micro_batch_tokens=8192"]
A17B_FIT = SHORT
CLUSTER_VARS = ("NODE_RANK", "NNODES", "MASTER_ADDR", "MASTER_PORT", "SLURM_NNODES", "SLURM_NODEID", "SLURM_PROCID",
                "SLURM_JOB_NODELIST", "SLURM_JOB_ID", "CUAGYM_MODEL", "CUAGYM_DRIVER")


def run(script: str, *args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in CLUSTER_VARS}
    base["CUAGYM_PYTHON"] = PY
    return subprocess.run(["bash", str(ROOT / "launch" / script), *args], cwd=ROOT, env={**base, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


def test_a3b_dry_run_prints_the_plan():
    out = run("train_a3b.sh", "--dry-run", *SHORT)
    assert out.returncode == 0, out.stderr + out.stdout
    text = out.stdout
    assert "placement plan: Qwen/Qwen3.5-35B-A3B on 1 node(s) x 8 GPU(s)" in text
    assert "35.11B parameters (32.21B in routed experts)" in text
    assert "learner: 8 rank(s), DeepSpeed ZeRO-3, dp size 8, optimizer offloaded to host RAM: node 0 gpu 0-7" in text
    assert "engine 0: tp 2, ep 1, 2 GPU(s), 16 concurrent sequences: node 0 gpu 0-1" in text
    # 2 x 35.107e9 / 8 bytes of bf16 weights and as much of gradients per rank.
    assert "learner: weights 8.2 GiB, gradients 8.2 GiB, optimizer 0.0 GiB" in text
    assert "engine: weights 32.7 GiB" in text
    assert text.rstrip().endswith("OK: the plan fits")


def test_a3b_dry_run_refuses_zero0_on_24gb_gpus():
    out = run("train_a3b.sh", "--dry-run", *SHORT, "learner.zero_stage=0", "learner.offload_optimizer=false",
              "cluster.gpu_memory_gb=24")
    assert out.returncode == 1
    assert "REFUSED: the run does not fit" in out.stdout
    assert "but 22.8 GiB is usable (24 GiB x cluster.usable_memory_fraction 0.95)" in out.stdout
    assert "mostly optimizer (392.4 GiB)" in out.stdout


def test_a3b_model_from_flag_or_environment(tmp_path):
    text = {"num_hidden_layers": 4, "hidden_size": 2048, "num_attention_heads": 16, "num_key_value_heads": 2,
            "head_dim": 256, "num_experts": 256, "num_experts_per_tok": 8, "moe_intermediate_size": 512,
            "shared_expert_intermediate_size": 512, "vocab_size": 248320}
    (tmp_path / "config.json").write_text(json.dumps({"text_config": text, "vision_config": {"depth": 1}}))
    by_flag = run("train_a3b.sh", "--dry-run", "--model", str(tmp_path), *SHORT)
    by_env = run("train_a3b.sh", "--dry-run", *SHORT, env={"CUAGYM_MODEL": str(tmp_path)})
    for out in (by_flag, by_env):
        assert out.returncode == 0, out.stderr + out.stdout
        assert f"placement plan: {tmp_path} on 1 node(s)" in out.stdout


def test_a3b_bad_arguments_are_named():
    out = run("train_a3b.sh", "--dry-rnu")
    assert out.returncode == 2 and "unknown option --dry-rnu" in out.stderr
    out = run("train_a3b.sh", "--dry-run", "--config", "configs/nope.yaml")
    assert out.returncode == 2 and "config file not found: configs/nope.yaml" in out.stderr
    out = run("train_a3b.sh", "--dry-run", "rollout.group_sise=4")
    assert out.returncode == 2 and "did you mean 'group_size'" in out.stderr
    out = run("train_a3b.sh", "stray")
    assert out.returncode == 2 and "unexpected argument 'stray'" in out.stderr


def test_a17b_dry_run_with_node_variables():
    env = {"NODE_RANK": "3", "NNODES": "16", "MASTER_ADDR": "10.0.0.1", "MASTER_PORT": "7000"}
    out = run("train_a17b.sh", "--dry-run", *A17B_FIT, env=env)
    assert out.returncode == 0, out.stderr + out.stdout
    text = out.stdout
    assert text.startswith("node 3 of 16: Ray worker, head at 10.0.0.1:7000")
    assert "placement plan: Qwen/Qwen3.5-397B-A17B on 16 node(s) x 8 GPU(s)" in text
    assert "learner: 128 rank(s), DeepSpeed ZeRO-3, dp size 128, optimizer offloaded to host RAM: nodes 0-15 gpu 0-7" in text
    assert "engine 3: tp 2, ep 32, 32 GPU(s), 256 concurrent sequences: nodes 12-15 gpu 0-7" in text
    assert "env workers: 4 per node (64 episode slots, 4 CPUs), nodes 0-15" in text
    assert "learner: weights 5.8 GiB, gradients 5.8 GiB" in text       # 2 x 396.8e9 / 128 bytes each
    assert "OK: the plan fits" in text


def test_a17b_dry_run_refusals():
    env = {"NODE_RANK": "0", "NNODES": "4", "MASTER_ADDR": "10.0.0.1"}
    out = run("train_a17b.sh", "--dry-run", *A17B_FIT, env=env)
    assert out.returncode == 1
    assert "the cluster has 4 node(s) but cluster.nodes is 16" in out.stdout
    # Engines of tp 16 (2 KV heads: every shard keeps a replica) with 128 sequences each overflow.
    wide_tp = ["rollout.num_engines=8", "rollout.engine_tp_size=16", "rollout.engine_ep_size=1",
               "rollout.max_new_tokens=1024"]
    out = run("train_a17b.sh", "--dry-run", *SHORT[:1], *wide_tp, env={**env, "NNODES": "16"})
    assert out.returncode == 1 and "the engine needs" in out.stdout and "mostly kv_cache" in out.stdout


def test_a17b_missing_or_bad_cluster_variables():
    out = run("train_a17b.sh", "--dry-run")
    assert out.returncode == 2
    assert "missing cluster variable(s): NODE_RANK NNODES MASTER_ADDR" in out.stderr
    out = run("train_a17b.sh", "--dry-run", env={"NODE_RANK": "0", "NNODES": "2"})
    assert out.returncode == 2 and "missing cluster variable(s): MASTER_ADDR." in out.stderr
    out = run("train_a17b.sh", "--dry-run", env={"NODE_RANK": "2", "NNODES": "2", "MASTER_ADDR": "h"})
    assert out.returncode == 2 and "NODE_RANK (2) must be below NNODES (2)" in out.stderr
    out = run("train_a17b.sh", "--dry-run", env={"NODE_RANK": "x", "NNODES": "2", "MASTER_ADDR": "h"})
    assert out.returncode == 2 and "NODE_RANK must be a non-negative integer, got 'x'" in out.stderr


def test_a17b_reads_slurm_variables(tmp_path):
    slurm = {"SLURM_NNODES": "16", "SLURM_NODEID": "0", "SLURM_PROCID": "0", "SLURM_JOB_NODELIST": "gpu[001-016]"}
    out = run("train_a17b.sh", "--dry-run", *A17B_FIT, env=slurm)
    assert out.returncode == 2 and "scontrol is not on PATH" in out.stderr
    # scontrol expands the node list; its first host is the head.
    (tmp_path / "scontrol").write_text(textwrap.dedent("""\
        #!/usr/bin/env bash
        [ "$1 $2 $3" = "show hostnames gpu[001-016]" ] || exit 3
        for i in $(seq -w 1 16); do echo "gpu0$i"; done
        """))
    (tmp_path / "scontrol").chmod(0o755)
    out = run("train_a17b.sh", "--dry-run", *A17B_FIT,
              env={**slurm, "SLURM_NODEID": "5", "PATH": f"{tmp_path}:{os.environ['PATH']}"})
    assert out.returncode == 0, out.stderr + out.stdout
    assert out.stdout.startswith("node 5 of 16: Ray worker, head at gpu001:6379")


# ---- real Ray processes -----------------------------------------------------------------

PROBE = textwrap.dedent("""\
    import os, sys, ray
    ray.init(address=os.environ["RAY_ADDRESS"], logging_level="ERROR", log_to_driver=False)
    alive = [n for n in ray.nodes() if n["Alive"]]
    marks = sorted(k for n in alive for k in n["Resources"] if k.startswith("cuagym_node_"))
    print("PROBE", len(alive), ",".join(marks), " ".join(sys.argv[1:]))
    ray.shutdown()
    """)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ray_env(tmp_path: Path, rank: int, nnodes: int, port: int, *, probe: bool = True, cpus: int = 1) -> dict:
    """The environment of one launcher process; ``probe`` replaces the driver with PROBE."""
    base = {k: v for k, v in os.environ.items() if k not in CLUSTER_VARS}
    env = {**base, "CUAGYM_PYTHON": PY, "CUAGYM_SKIP_SETUP": "1", "NODE_RANK": str(rank), "NNODES": str(nnodes),
           "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
           # Short socket paths for Ray; small nodes on this 2-core machine.
           "CUAGYM_RAY_TEMP_DIR": f"/tmp/cgr{port}",
           "CUAGYM_RAY_START_ARGS": f"--num-cpus {cpus} --num-gpus 0 --object-store-memory 200000000",
           "RAY_gcs_rpc_server_reconnect_timeout_s": "5",
           # Ray 2.60 starts clusters with token authentication; nodes of a real cluster share the
           # token (RAY_AUTH_TOKEN), these loopback nodes run without it.
           "RAY_AUTH_MODE": "disabled"}
    if probe:
        (tmp_path / "probe.py").write_text(PROBE)
        env["CUAGYM_DRIVER"] = f"{PY} {tmp_path / 'probe.py'}"
    return env


def ray_processes(port: int) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if f"/tmp/cgr{port}" in line or f"--port={port}" in line
            or f":{port} " in line and "ray" in line]


@pytest.mark.slow
def test_a17b_head_and_worker_join_run_the_driver_and_tear_down(tmp_path):
    """The real training driver (one step of the tiny config, ray runtime, browsers on both nodes)
    on the two-node Ray cluster the script starts: RAY_ADDRESS is set, so the driver connects
    without resource options."""
    port = free_port()
    run_dir = tmp_path / "run"
    script = [str(ROOT / "launch" / "train_a17b.sh"), "--config", "configs/tiny.yaml", "cluster.nodes=2",
              "cluster.runtime=ray", f"model.path={tmp_path / 'policy'}", "train.init_from=''", "train.steps=1",
              "train.eval_every=0", "train.save_every=0", "train.sample_table_every=0", f"train.run_dir={run_dir}",
              "train.progress_bar=false", "train.task_filter=[notes.pin.books]", "rollout.env_mode=ray",
              "rollout.env_workers=1", "rollout.slots_per_worker=2", "rollout.group_size=2",
              "rollout.tasks_per_step=1", "rollout.max_new_tokens=8", "wandb.mode=offline"]
    head = subprocess.Popen(["bash", *script], cwd=ROOT, env=ray_env(tmp_path, 0, 2, port, probe=False, cpus=4),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    worker = subprocess.Popen(["bash", *script], cwd=ROOT, env=ray_env(tmp_path, 1, 2, port, probe=False, cpus=4),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        head_out, _ = head.communicate(timeout=900)
        worker_out, _ = worker.communicate(timeout=180)
    finally:
        for p in (head, worker):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(30)
        shutil.rmtree(f"/tmp/cgr{port}", ignore_errors=True)
    assert head.returncode == 0, head_out
    assert "all 2 node(s) joined: NODE_RANKs [0, 1]" in head_out
    # The plan printed before the start names the actors the runtime then started.
    assert "ray actors: 2 (cuagym-learner-0, cuagym-engine-0)" in head_out
    assert "train: sync mode, ray runtime, steps 1..1" in head_out
    (record,) = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines() if x.strip()]
    assert record["step"] == 1 and record["rollout/trajectories"] == 2.0 and record["perf/sync_bytes"] > 0
    assert (run_dir / "policy" / "config.json").is_file()
    assert worker.returncode == 0, worker_out
    assert "the Ray head is gone; worker 1 exits" in worker_out
    time.sleep(1)
    assert ray_processes(port) == []


@pytest.mark.slow
def test_a17b_head_gives_up_when_nodes_do_not_join(tmp_path):
    port = free_port()
    env = {**ray_env(tmp_path, 0, 2, port), "CUAGYM_JOIN_TIMEOUT_S": "8"}
    try:
        out = subprocess.run(["bash", str(ROOT / "launch" / "train_a17b.sh"), "--config", "configs/tiny.yaml",
                              "cluster.nodes=2"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    finally:
        shutil.rmtree(f"/tmp/cgr{port}", ignore_errors=True)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "only 1 of 2 nodes joined the Ray cluster within" in out.stderr
    assert "missing NODE_RANKs: [1]" in out.stderr
    assert "PROBE" not in out.stdout
    time.sleep(1)
    assert ray_processes(port) == []
