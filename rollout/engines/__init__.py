"""Policy engines: a batch of token-exact prompts with images in, generated ids with per-token
log-probs out. HF ``generate`` on CPU, vLLM on GPU, any OpenAI-compatible server over HTTP.

``make_engine(cfg, ...)`` picks one by ``rollout.engine``.
"""

from __future__ import annotations

import re
from typing import Any

from cuagym.rollout.engines.base import GenRequest, GenResult, PolicyEngine, SamplingParams

__all__ = ["GenRequest", "GenResult", "PolicyEngine", "SamplingParams", "make_engine", "is_url", "loop_frame"]

ENGINES = ("hf", "vllm", "openai")


def is_url(text: str) -> bool:
    return bool(re.match(r"^https?://", str(text)))


def loop_frame(coordinate_frame: str) -> str:
    """``rollout.coordinate_frame`` -> the action frame the parser uses ("absolute" means screenshot pixels)."""
    return "image" if coordinate_frame == "absolute" else coordinate_frame


def _eos_ids(tokenizer: Any) -> list[int]:
    ids = tokenizer.encode("<|im_end|>", add_special_tokens=False)
    if len(ids) != 1:
        raise ValueError(f"the tokenizer must encode <|im_end|> as one token, got {ids}")
    return ids


def make_engine(cfg: Any, *, policy: Any = None, tokenizer: Any = None, base_url: str | None = None,
                model_name: str = "", **options: Any) -> PolicyEngine:
    """The policy engine ``cfg.rollout.engine`` names.

    hf:     needs ``policy`` (a loaded :class:`cuagym.modeling.Policy`).
    vllm:   loads ``cfg.model.path`` in vLLM (GPU extra); needs ``tokenizer`` or ``policy`` for the
            end-of-turn id.
    openai: talks to ``base_url`` (default: ``cfg.model.path`` when it is a URL); needs ``tokenizer``
            (the local one that turns replies into token ids); ``model_name`` empty = ask the server.
    ``options`` go to the engine's constructor (vLLM) or its config (OpenAI).
    """
    kind = cfg.rollout.engine
    if kind not in ENGINES:
        raise ValueError(f"unknown rollout.engine {kind!r}; expected one of {', '.join(ENGINES)}")
    tok = tokenizer if tokenizer is not None else getattr(policy, "tokenizer", None)
    if kind == "hf":
        if policy is None:
            raise ValueError("rollout.engine=hf needs a loaded policy (model + tokenizer): pass policy=load_policy(...)")
        from cuagym.rollout.engines.hf import HFEngine

        return HFEngine(policy.model, eos_token_ids=_eos_ids(policy.tokenizer),
                        pad_token_id=policy.tokenizer.pad_token_id)
    if kind == "vllm":
        from cuagym.rollout.engines.vllm_engine import VLLMEngine, VLLMUnavailable, vllm_missing_reason

        reason = vllm_missing_reason()
        if reason:
            raise VLLMUnavailable(reason)
        if tok is None:
            raise ValueError("rollout.engine=vllm needs the policy's tokenizer (for the end-of-turn token id)")
        r = cfg.rollout
        return VLLMEngine(cfg.model.path, eos_token_ids=_eos_ids(tok), tensor_parallel_size=r.engine_tp_size,
                          enable_expert_parallel=r.engine_ep_size > 1, gpu_memory_utilization=r.gpu_memory_utilization,
                          dtype=cfg.model.dtype, enable_sleep_mode=cfg.cluster.colocate, seed=cfg.train.seed,
                          max_images=r.image_max, **options)
    from cuagym.rollout.engines.openai_compat import OpenAIEngine, OpenAIEngineConfig

    url = base_url or (cfg.model.path if is_url(cfg.model.path) else "")
    if not url:
        raise ValueError(f"rollout.engine=openai needs the server's URL (e.g. http://127.0.0.1:8000/v1) as base_url "
                         f"or model.path; model.path is {cfg.model.path!r}")
    if tok is None:
        raise ValueError("rollout.engine=openai needs a local tokenizer to record replies as token ids")
    return OpenAIEngine(OpenAIEngineConfig(base_url=url, model=model_name,
                                           frame=loop_frame(cfg.rollout.coordinate_frame), **options), tok)
