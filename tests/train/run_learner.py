"""Run the learner on saved samples in its own process (one rank, or several under torchrun).

    torchrun --standalone --nproc_per_node 2 tests/train/run_learner.py --policy DIR --samples S.pt --out OUT

Writes OUT/rank{r}.pt with the metrics of every update and the final parameters, so a test
can compare ranks, world sizes, and an interrupted-and-resumed run with an uninterrupted one.
With --ckpt and --save-after K it checkpoints after K updates; with --resume it first loads
the newest checkpoint and runs the remaining updates.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch

from cuagym.config import GSPOConfig, LearnerConfig
from cuagym.modeling import load_policy
from cuagym.train.checkpoint import load_checkpoint, save_checkpoint
from cuagym.train.learner import Learner


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--policy", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--updates", type=int, default=2)
    ap.add_argument("--zero-stage", type=int, default=2)
    ap.add_argument("--minibatches", type=int, default=2)
    ap.add_argument("--budget", type=int, default=2000)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--eps", type=float, default=0.2)
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--save-after", type=int, default=0)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--chunk", type=int, default=1024, help="learner.logprob_chunk_tokens")
    args = ap.parse_args()

    torch.manual_seed(0)
    samples = torch.load(args.samples, weights_only=False)
    policy = load_policy(args.policy, dtype="float32", attn_implementation="sdpa")
    learner = Learner(policy, LearnerConfig(zero_stage=args.zero_stage, lr=args.lr, minibatches_per_rollout=args.minibatches,
                                            micro_batch_tokens=args.budget, logprob_chunk_tokens=args.chunk),
                      GSPOConfig(eps_low=args.eps, eps_high=args.eps))
    done = 0
    if args.resume:
        done = load_checkpoint(learner, args.ckpt).step
    metrics = []
    for k in range(done, args.updates):
        metrics.append(learner.update(samples))
        metrics[-1]["rng_draw"] = float(torch.rand(()))  # shows the RNG state is carried over exactly
        if args.ckpt and not args.resume and k + 1 == args.save_after:
            save_checkpoint(learner, args.ckpt, k + 1, data_cursor={"next_update": k + 1}, keep=2)
    weights = {n: t for chunk in learner.weight_chunks(1.0) for n, t in chunk}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rank = int(os.environ.get("RANK", "0"))
    torch.save({"metrics": metrics, "weights": weights, "world_size": learner.world_size},
               out / f"rank{rank}.pt")


if __name__ == "__main__":
    main()
