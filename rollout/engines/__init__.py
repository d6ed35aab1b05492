"""Policy engines: a batch of token-exact prompts with images in, generated ids with per-token
log-probs out. HF ``generate`` on CPU, vLLM on GPU, any OpenAI-compatible server over HTTP.

:func:`cuagym.rollout.setup.make_engine` picks one by ``rollout.engine``.
"""

from cuagym.rollout.engines.base import GenRequest, GenResult, PolicyEngine, SamplingParams

__all__ = ["GenRequest", "GenResult", "PolicyEngine", "SamplingParams"]
