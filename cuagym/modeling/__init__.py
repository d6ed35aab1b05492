"""Policy models: the offline tiny Qwen3.5-MoE VL policy and the loader shared by all policies.

* :func:`build_tokenizer` - Qwen-style byte-level BPE tokenizer with chat template, built offline.
* :func:`build_tiny_policy` - writes a random-weight Qwen3.5-MoE VL checkpoint (``python -m cuagym.modeling.tiny``).
* :func:`load_policy` - loads any Qwen3.5 VL checkpoint (directory or cached hub id) as a :class:`Policy`.
* :func:`chat_inputs` - turns a chat with screenshots into model inputs.

Names are imported on first use, so ``python -m cuagym.modeling.tiny`` runs its module
once, as ``__main__`` only.
"""

from cuagym.lazy import lazy_exports

_EXPORTS = {
    "ATTN_IMPLEMENTATIONS": "factory",
    "DTYPES": "factory",
    "Policy": "factory",
    "load_policy": "factory",
    "resolve_attn_implementation": "factory",
    "chat_inputs": "inputs",
    "render_chat": "inputs",
    "QwenImageTextProcessor": "processor",
    "build_image_processor": "processor",
    "TinySpec": "tiny",
    "build_tiny_policy": "tiny",
    "parameter_count": "tiny",
    "tiny_config": "tiny",
    "SPECIAL_TOKENS": "tokenizer",
    "TAG_TOKENS": "tokenizer",
    "build_tokenizer": "tokenizer",
    "special_token_ids": "tokenizer",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports("cuagym.modeling", _EXPORTS, globals())
