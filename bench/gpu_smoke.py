"""GPU smoke run of the ray runtime with a vLLM engine: two GSPO steps with weight sync.

    bash bench/gpu_smoke.sh                 # one CUDA GPU with vLLM installed; under 10 minutes

It builds the tiny Qwen3.5-MoE vision-language policy (same architecture as the released
models), starts the ``ray`` runtime exactly as ``cuagym train`` does (one vLLM engine actor and a
1-rank DeepSpeed learner colocated on the GPU, engines asleep during the update), and per step:
generates from screenshot prompts on the engine, has the learner recompute the log-probs of
the sampled tokens (the gap BEFORE the update), runs one GSPO update on alternating rewards,
measures the gap again with the engine's stale samples (AFTER the update, before the sync),
syncs the weights and generates again (AFTER the sync). It prints every gap, the sync time and
bytes, and exits 1 when the post-sync gap exceeds ``--tolerance`` (bf16 default 0.05).

No browser is involved: the prompts are the scaffold's contexts around synthetic screenshots, so
this checks the learner/engine/sync path that the CPU tests cannot run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def screenshots(n: int, size: tuple[int, int]) -> list:
    from PIL import Image, ImageDraw

    shots = []
    for k in range(n):
        im = Image.new("RGB", size, (240, 240, 240))
        d = ImageDraw.Draw(im)
        d.rectangle([10 + 20 * k, 10, 60 + 20 * k, 40], fill=(30 * k % 255, 90, 200))
        d.text((10, 60), f"Pin note {k}", fill=(0, 0, 0))
        shots.append(im)
    return shots


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="", help="work directory (default: a temporary one)")
    p.add_argument("--group-size", type=int, default=4)
    p.add_argument("--tolerance", type=float, default=0.05, help="max |rollout - learner| log-prob after a sync")
    p.add_argument("--json", default="", help="also write the figures to this JSON file")
    p.add_argument("--cpu", action="store_true", help="the same run with the HF engine on CPU (fp32, gloo): checks "
                   "this script and the runtime here; it is not the vLLM/NCCL path")
    args = p.parse_args(argv)

    import torch

    if not args.cpu and not torch.cuda.is_available():
        print("gpu_smoke: no CUDA GPU here; this script needs one (and vLLM)", file=sys.stderr)
        return 2
    from cuagym.config import load_config
    from cuagym.gspo import group_advantages
    from cuagym.modeling.tiny import build_tiny_policy
    from cuagym.rollout.engines.base import GenRequest, SamplingParams
    from cuagym.rollout.setup import make_builder
    from cuagym.scaffold import StepRecord
    from cuagym.train.runtime import start_runtime
    from cuagym.train.samples import samples_from_trajectory

    work = Path(args.out or tempfile.mkdtemp(prefix="cuagym_gpu_smoke_"))
    policy_dir = work / "policy"
    build_tiny_policy(policy_dir, seed=0, image_size=(256, 160))
    common = [f"model.path={policy_dir}", "rollout.num_engines=1", "learner.num_ranks=1", "learner.lr=1e-3",
              "learner.minibatches_per_rollout=2", "cluster.runtime=ray", f"train.run_dir={work / 'run'}",
              "rollout.env_cpus_per_worker=0",  # no browsers in this run
              "train.steps=2"]
    device = ["model.dtype=float32", "model.attn_implementation=sdpa", "rollout.engine=hf", "learner.zero_stage=2",
              "cluster.gpus_per_node=0"] if args.cpu else [
        "model.dtype=bfloat16", "model.attn_implementation=auto", "rollout.engine=vllm",
        "rollout.gpu_memory_utilization=0.3", "learner.zero_stage=3", "cluster.gpus_per_node=1",
        "cluster.learner_gpus=1", "cluster.colocate=true"]
    cfg = load_config(ROOT / "configs" / "tiny.yaml", common + device)
    from cuagym.modeling.processor import QwenImageTextProcessor

    processor = QwenImageTextProcessor.from_pretrained(str(policy_dir), local_files_only=True)
    builder = make_builder(processor.tokenizer, processor.image_processor, cfg.rollout, chat=not args.cpu)
    shots = screenshots(2, (cfg.rollout.image_width, cfg.rollout.image_height))
    instruction = "Pin the note about the quarterly plan."
    ctx = builder.build(instruction, shots[:1], [])
    params = SamplingParams(temperature=1.0, max_new_tokens=24)

    def rollout() -> tuple[list, list]:
        reqs = [GenRequest(builder.model_inputs(ctx, shots[:1]), params, request_id=f"r{i}")
                for i in range(args.group_size)]
        outs = rt.engines.generate(reqs)
        samples = []
        rewards = torch.tensor([float(i % 2) for i in range(len(outs))])
        adv, _ = group_advantages(rewards[None])
        for i, (o, a) in enumerate(zip(outs, adv[0].tolist())):
            steps = [StepRecord(o.token_ids, o.logprobs, "")]
            samples += samples_from_trajectory(builder, instruction, shots[:1], steps, a, f"t{i}")
        return outs, samples

    figures: dict = {"steps": []}
    t0 = time.monotonic()
    rt = start_runtime(cfg, str(policy_dir), total_steps=2)
    figures["start_s"] = time.monotonic() - t0
    try:
        for step in (1, 2):
            outs, samples = rollout()
            before = rt.learner.logprob_gap(samples)
            if cfg.cluster.colocate:
                rt.engines.sleep()
            metrics = rt.learner.update(samples)
            if cfg.cluster.colocate:
                rt.engines.wake_up()
            stale = rt.learner.logprob_gap(samples)
            sync = rt.sync()
            _, fresh = rollout()
            after = rt.learner.logprob_gap(fresh)
            row = {"step": step, "gap_before_update": before, "gap_after_update_before_sync": stale,
                   "gap_after_sync": after, "sync_s": sync["seconds"], "sync_bytes": sync["bytes"],
                   "loss": metrics["loss"], "tokens": sum(len(o.token_ids) for o in outs)}
            figures["steps"].append(row)
            print(json.dumps(row))
    finally:
        rt.close()
    figures["total_s"] = time.monotonic() - t0
    worst = max(r["gap_after_sync"]["max"] for r in figures["steps"])
    # The engine's stale samples must score off under the updated learner by more than the tolerance,
    # or a sync that changed nothing would pass as well.
    stale = min(r["gap_after_update_before_sync"]["max"] for r in figures["steps"])
    figures["sync_observable"] = stale > args.tolerance
    print(f"gpu_smoke: max |rollout - learner| log-prob after sync {worst:.4g} (tolerance {args.tolerance}); "
          f"stale samples after the update {stale:.4g}; "
          f"sync {figures['steps'][-1]['sync_s']:.3f} s for {figures['steps'][-1]['sync_bytes'] / 2**20:.1f} MiB; "
          f"total {figures['total_s']:.0f} s")
    if not figures["sync_observable"]:
        print(f"gpu_smoke: the update moved the stale samples' log-probs by at most {stale:.4g}, not more than the "
              f"tolerance: this run cannot tell a sync from none (raise learner.lr)", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0 if worst <= args.tolerance and figures["sync_observable"] else 1


if __name__ == "__main__":
    sys.exit(main())
