"""The GPU engine: vLLM's offline ``LLM`` behind the same interface as the HF engine.

Thin on purpose; it follows vLLM's documented offline API (``logprobs_mode`` needs vLLM >= 0.10.2;
written against the documentation up to 0.20, and not exercised here, where vLLM cannot run):

* prompts are token prompts, ``{"prompt_token_ids": [...], "multi_modal_data": {"image": [...]}}``:
  the scaffold's exact context (image placeholders already expanded) plus the raw screenshots,
  which vLLM's processor, configured from the same checkpoint, resizes to the same grid;
* ``SamplingParams(logprobs=0)`` returns the log-prob of each sampled token, and the engine is
  built with ``logprobs_mode="processed_logprobs"`` so those are taken after temperature,
  i.e. log_softmax(logits / T) as the HF engine and the learner compute them;
* weights are updated in place on every worker through ``LLM.collective_rpc`` calling
  ``model_runner.model.load_weights`` (names as in the HF checkpoint), then the prefix cache is
  dropped so no KV computed under old weights is reused;
* ``sleep`` / ``wake_up`` free and restore GPU memory when engine and learner share GPUs
  (``enable_sleep_mode=True``).

vLLM is imported only inside :class:`VLLMEngine`, so this module imports anywhere.
"""

from __future__ import annotations

import importlib.util
import time
from typing import Any, Iterable

from cuagym.rollout.engines.base import GenRequest, GenResult, SamplingParams


class VLLMUnavailable(RuntimeError):
    """vLLM is not installed (it is a GPU extra)."""


def vllm_missing_reason() -> str | None:
    """None when ``import vllm`` can work here, else why not (with what to do)."""
    if importlib.util.find_spec("vllm") is None:
        return ("rollout.engine=vllm needs the vllm package, a GPU extra that is not installed here; install it on "
                "a CUDA machine (pip install vllm), or use rollout.engine=hf (transformers, CPU or one GPU) or "
                "rollout.engine=openai (a served model over HTTP)")
    return None


def image_runs(mm_token_type_ids: list[int]) -> int:
    """Number of contiguous image-token runs, i.e. screenshots shown, in a context."""
    runs, prev = 0, 0
    for v in mm_token_type_ids:
        if v and not prev:
            runs += 1
        prev = v
    return runs


def tokens_prompt(r: GenRequest) -> dict[str, Any]:
    """A vLLM token prompt for one request: the exact context ids and the screenshots it shows."""
    ids = r.inputs["input_ids"][0].tolist()
    mm = r.inputs["mm_token_type_ids"][0].tolist() if "mm_token_type_ids" in r.inputs else [0] * len(ids)
    wanted = image_runs(mm)
    prompt: dict[str, Any] = {"prompt_token_ids": ids}
    if wanted:
        chat = r.chat if r.chat is not None else getattr(r.inputs, "chat", None)
        if chat is None:
            raise ValueError(f"request {r.request_id!r} shows {wanted} screenshot(s) but carries no chat with the "
                             "images: build requests with ContextBuilder.chat (or ChatContextBuilder)")
        images = [p["image"] for m in chat for p in m["content"] if p["type"] == "image"]
        if len(images) != wanted:
            raise ValueError(f"request {r.request_id!r}: {wanted} image runs in the tokens but {len(images)} "
                             "images in the chat")
        prompt["multi_modal_data"] = {"image": images}
    return prompt


def sampling_kwargs(p: SamplingParams, eos_token_ids: Iterable[int]) -> dict[str, Any]:
    """Keyword arguments of ``vllm.SamplingParams`` for our sampling params."""
    p.check()
    kw: dict[str, Any] = {"temperature": p.temperature, "top_p": p.top_p, "max_tokens": p.max_new_tokens,
                          "logprobs": 0, "stop_token_ids": sorted(int(i) for i in eos_token_ids),
                          "skip_special_tokens": False, "detokenize": False}
    if p.seed is not None:
        kw["seed"] = p.seed
    return kw


def sampled_logprobs(token_ids: list[int], step_logprobs: list[dict[int, Any]] | None) -> list[float]:
    """The log-prob of each sampled token from vLLM's per-step ``{token_id: Logprob}`` maps."""
    if step_logprobs is None or len(step_logprobs) != len(token_ids):
        raise RuntimeError(f"vLLM returned {0 if step_logprobs is None else len(step_logprobs)} log-prob entries "
                           f"for {len(token_ids)} tokens; was SamplingParams.logprobs set?")
    out = []
    for tok, entry in zip(token_ids, step_logprobs):
        lp = entry[tok]
        out.append(float(getattr(lp, "logprob", lp)))
    return out


def _load_weights_on_worker(worker: Any, weights: list[tuple[str, Any]]) -> int:
    """Runs inside each vLLM worker (sent by ``collective_rpc``): load HF-named tensors in place."""
    device = next(worker.model_runner.model.parameters()).device
    worker.model_runner.model.load_weights(weights=[(n, t.to(device)) for n, t in weights])
    return len(weights)


class VLLMEngine:
    """vLLM generation for GSPO rollouts: sampled ids with their log-probs, in-place weight sync."""

    def __init__(self, model_path: str, *, eos_token_ids: Iterable[int], tensor_parallel_size: int = 1,
                 enable_expert_parallel: bool = False, gpu_memory_utilization: float = 0.85, dtype: str = "auto",
                 enable_sleep_mode: bool = False, seed: int = 0, max_images: int = 20,
                 max_model_len: int | None = None, **llm_kwargs: Any) -> None:
        reason = vllm_missing_reason()
        if reason:
            raise VLLMUnavailable(reason)
        import vllm

        self._vllm = vllm
        self.eos = [int(i) for i in eos_token_ids]
        kwargs: dict[str, Any] = dict(
            model=model_path, tensor_parallel_size=tensor_parallel_size, gpu_memory_utilization=gpu_memory_utilization,
            dtype=dtype, enable_sleep_mode=enable_sleep_mode, seed=seed, limit_mm_per_prompt={"image": max_images},
            logprobs_mode="processed_logprobs", enable_prefix_caching=True)
        if enable_expert_parallel:
            kwargs["enable_expert_parallel"] = True
        if max_model_len:
            kwargs["max_model_len"] = max_model_len
        kwargs.update(llm_kwargs)
        self.llm = vllm.LLM(**kwargs)
        self._version = 0

    def version(self) -> int:
        return self._version

    def generate(self, requests: list[GenRequest]) -> list[GenResult]:
        if not requests:
            return []
        t0 = time.monotonic()
        prompts = [tokens_prompt(r) for r in requests]
        params = [self._vllm.SamplingParams(**sampling_kwargs(r.params, self.eos)) for r in requests]
        outputs = self.llm.generate(prompts, params, use_tqdm=False)
        seconds = time.monotonic() - t0
        results = []
        for r, out in zip(requests, outputs):
            c = out.outputs[0]
            ids = list(c.token_ids)
            results.append(GenResult(ids, sampled_logprobs(ids, c.logprobs),
                                     "stop" if c.finish_reason == "stop" else "length", r.request_id, seconds))
        return results

    def update_weights(self, named_tensors: Iterable[tuple[str, Any]]) -> None:
        """Load learner weights (HF names) into every worker in place; bumps ``version()``."""
        weights = [(name, t.detach().to("cpu")) for name, t in named_tensors]
        self.llm.collective_rpc(_load_weights_on_worker, args=(weights,))
        self.llm.reset_prefix_cache()
        self._version += 1

    def sleep(self, level: int = 1) -> None:
        """Free GPU memory while the learner runs (level 1 keeps weights in CPU memory)."""
        self.llm.sleep(level=level)

    def wake_up(self) -> None:
        self.llm.wake_up()
