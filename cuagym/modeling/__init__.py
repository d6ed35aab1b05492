"""Policy models: the offline tiny Qwen3.5-MoE VL policy and the loader shared by all policies.

* :func:`build_tokenizer` - Qwen-style byte-level BPE tokenizer with chat template, built offline.
* :func:`build_tiny_policy` - writes a random-weight Qwen3.5-MoE VL checkpoint (``python -m cuagym.modeling.tiny``).
* :func:`load_policy` - loads any Qwen3.5 VL checkpoint (directory or cached hub id) as a :class:`Policy`.
* :func:`chat_inputs` - turns a chat with screenshots into model inputs.

Names are imported on first use, so ``python -m cuagym.modeling.tiny`` runs its module
once, as ``__main__`` only.
"""

from importlib import import_module

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


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'cuagym.modeling' has no attribute {name!r}")
    value = getattr(import_module(f"cuagym.modeling.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
