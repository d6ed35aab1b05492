"""Data parallel over gloo: 2 ranks under torchrun end with identical weights, equal to 1 rank."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("run_learner.py")


def run(args: list[str], nproc: int, timeout: float = 600) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(k, None)  # a fresh rendezvous, not the test process's own group
    if nproc > 1:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
               str(SCRIPT), *args]
    else:
        cmd = [sys.executable, str(SCRIPT), *args]
    res = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, f"{' '.join(cmd)} failed:\n{res.stdout[-3000:]}\n{res.stderr[-5000:]}"


@pytest.fixture(scope="module")
def saved_samples(tmp_path_factory, group_samples):
    path = tmp_path_factory.mktemp("samples") / "samples.pt"
    torch.save(group_samples, path)
    return path


@pytest.mark.parametrize("stage,chunk", [(2, 1024), (3, 1024), (3, 0)], ids=["zero2", "zero3", "zero3-full-logits"])
def test_two_ranks_equal_one_rank(tmp_path, tiny_policy_dir, saved_samples, stage, chunk):
    common = ["--policy", str(tiny_policy_dir), "--samples", str(saved_samples), "--updates", "1",
              "--zero-stage", str(stage), "--minibatches", "2", "--budget", "1000", "--chunk", str(chunk)]
    run([*common, "--out", str(tmp_path / "two")], nproc=2)
    run([*common, "--out", str(tmp_path / "one")], nproc=1)
    r0, r1 = (torch.load(tmp_path / "two" / f"rank{r}.pt", weights_only=False) for r in (0, 1))
    one = torch.load(tmp_path / "one" / "rank0.pt", weights_only=False)
    assert r0["world_size"] == 2 and one["world_size"] == 1
    assert all(torch.equal(r0["weights"][n], r1["weights"][n]) for n in r0["weights"])
    gap = max(float((r0["weights"][n] - one["weights"][n]).abs().max()) for n in one["weights"])
    m2, m1 = r0["metrics"][0], one["metrics"][0]
    print(f"\nZeRO-{stage} (log-prob chunk {chunk}): 2 ranks vs 1 rank max |weight diff| {gap:.3e}; loss {m2['loss']:.8f} vs {m1['loss']:.8f}; "
          f"grad norm {m2['grad_norm']:.6f} vs {m1['grad_norm']:.6f}; tokens {m2['tokens']:.0f} vs {m1['tokens']:.0f}")
    assert m2["tokens"] == m1["tokens"]
    assert m2["loss"] == pytest.approx(m1["loss"], abs=1e-7)
    assert m2["grad_norm"] == pytest.approx(m1["grad_norm"], rel=1e-5)
    assert gap < 2e-5  # lr 1e-3, two Adam steps; float rounding only
