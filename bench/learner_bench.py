"""GSPO update throughput of the learner on the tiny policy, with and without token-budget packing.

    OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python bench/learner_bench.py [--repeats 2]

Records a group of tiny-model trajectories with slices of mixed length (long pre-fold
slices, short trajectories), then times ``Learner.update`` (one process, ZeRO-2, CPU) with
micro-batches packed by token budget and with fixed 4-row micro-batches in arrival order. Writes
bench/results/learner.json and learner.md. Figures are ratios within one run: the machine
is shared.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from datetime import date
from pathlib import Path

import torch

from cuagym.config import GSPOConfig, LearnerConfig
from cuagym.gspo import group_advantages
from cuagym.modeling import build_tiny_policy, load_policy
from cuagym.train import samples as S
from cuagym.train.learner import Learner

RESULTS = Path(__file__).resolve().parent / "results"


def record_batch(policy_dir: Path):
    from tests.train.trajlib import record, to_samples

    ref = load_policy(policy_dir, dtype="float32", attn_implementation="sdpa")
    trajs = record(ref, num_traj=4, num_steps=5, seed=0) + record(ref, num_traj=4, num_steps=1, seed=1)
    for n, tr in enumerate(trajs):
        tr.traj_id = f"t{n}"
    adv, _ = group_advantages(torch.tensor([1.0, 0.0, 0.0, 0.5, 1.0, 0.0, 1.0, 0.0]),
                              torch.tensor([0, 0, 0, 0, 1, 1, 1, 1]))
    return to_samples(ref, trajs, adv.tolist())


def timed_updates(policy_dir: Path, samples, budget: int, fixed_rows: int | None, repeats: int) -> dict:
    policy = load_policy(policy_dir, dtype="float32", attn_implementation="sdpa")
    # the baseline: consecutive fixed-size groups, as a plain data loader would make them
    batcher = None if fixed_rows is None else (lambda items: S.fixed_microbatches(list(items), fixed_rows))
    learner = Learner(policy, LearnerConfig(lr=1e-4, minibatches_per_rollout=1, micro_batch_tokens=budget),
                      GSPOConfig(), microbatcher=batcher)
    learner.update(samples)  # warm-up (first-call allocations)
    runs = [learner.update(samples) for _ in range(repeats)]
    seconds = sum(m["seconds"] for m in runs) / len(runs)
    # every update runs 1 no-grad + 1 grad pass over all tokens (one minibatch)
    tokens = sum(len(s) for s in samples)
    return {"seconds_per_update": seconds, "input_tokens_per_s": tokens / seconds,
            "policy_tokens_per_s": runs[0]["tokens"] / seconds, "padding_frac": runs[0]["padding_frac"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--budget", type=int, default=2600)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        policy_dir = build_tiny_policy(Path(tmp) / "tiny", seed=0)
        samples = record_batch(policy_dir)
        import random
        random.Random(0).shuffle(samples)  # arrival order mixes long and short slices
        lengths = sorted(len(s) for s in samples)
        packed = timed_updates(policy_dir, samples, args.budget, None, args.repeats)
        fixed = timed_updates(policy_dir, samples, args.budget, 4, args.repeats)
    result = {
        "date": date.today().isoformat(), "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads",
        "samples": len(samples), "slice_lengths": lengths, "token_budget": args.budget,
        "packed": packed, "fixed_4_rows": fixed,
        "speedup": packed["input_tokens_per_s"] / fixed["input_tokens_per_s"],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "learner.json").write_text(json.dumps(result, indent=2))
    md = [
        "# Learner GSPO update throughput (tiny Qwen3.5-MoE, 1 CPU process, ZeRO-2)", "",
        f"{result['date']}, {result['machine']}; {len(samples)} slices of {lengths[0]}..{lengths[-1]} tokens; "
        f"one minibatch per update (a no-grad pass and a grad pass); mean of {args.repeats} updates after a warm-up. "
        "Shared, noisy machine: compare the two rows, not the absolute figures.", "",
        "| micro-batching | s / update | input tokens / s | policy tokens / s | padding |",
        "|---|---|---|---|---|",
    ]
    for name, r in ((f"token budget {args.budget}", packed), ("fixed 4 rows", fixed)):
        md.append(f"| {name} | {r['seconds_per_update']:.2f} | {r['input_tokens_per_s']:.0f} | "
                  f"{r['policy_tokens_per_s']:.1f} | {100 * r['padding_frac']:.1f}% |")
    md += ["", f"Packing speed-up: {result['speedup']:.2f}x", ""]
    (RESULTS / "learner.md").write_text("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
