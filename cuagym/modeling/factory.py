"""Load a policy (model + tokenizer + processor) from a checkpoint, never downloading.

One code path for every policy: a real Qwen3.5-MoE checkpoint directory, a hub id that
is already in the local Hugging Face cache, or the tiny model of
:mod:`cuagym.modeling.tiny`. The model comes from ``AutoModelForImageTextToText``; the
processor is :class:`~cuagym.modeling.processor.QwenImageTextProcessor` (Qwen3.5's
processor minus video, which needs torchvision).
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForImageTextToText, PretrainedConfig

from cuagym.modeling.inputs import chat_inputs  # noqa: F401  (part of this module's API)
from cuagym.modeling.processor import QwenImageTextProcessor

DTYPES = {"auto": "auto", "float32": torch.float32, "bfloat16": torch.bfloat16}
ATTN_IMPLEMENTATIONS = ("auto", "sdpa", "eager", "flash_attention_2")


@dataclass
class Policy:
    """A loaded policy: the model and what turns chats and screenshots into its inputs."""

    model: Any  # a transformers model for image-text-to-text (Qwen3_5MoeForConditionalGeneration)
    tokenizer: Any  # the processor's tokenizer (chat template, special tokens)
    processor: QwenImageTextProcessor  # chat template + image resizing/patching
    config: PretrainedConfig  # the model's config (text_config, vision_config, token ids)


def flash_attention_available() -> bool:
    """True when FlashAttention 2 can run: a CUDA device and the ``flash_attn`` package."""
    return torch.cuda.is_available() and importlib.util.find_spec("flash_attn") is not None


def resolve_attn_implementation(name: str) -> str:
    """Map ``"auto"`` to flash_attention_2 when available, else sdpa; validate the rest."""
    if name not in ATTN_IMPLEMENTATIONS:
        raise ValueError(f"unknown attn_implementation {name!r}; expected one of {', '.join(ATTN_IMPLEMENTATIONS)}")
    if name == "auto":
        return "flash_attention_2" if flash_attention_available() else "sdpa"
    if name == "flash_attention_2" and not flash_attention_available():
        raise ValueError("attn_implementation 'flash_attention_2' needs a CUDA device and the flash_attn package; "
                         "use 'sdpa' or 'auto' here")
    return name


def resolve_dtype(name: str):
    """``"auto"`` keeps the checkpoint's stored dtype; the others force one."""
    if name not in DTYPES:
        raise ValueError(f"unknown dtype {name!r}; expected one of {', '.join(DTYPES)}")
    return DTYPES[name]


def _looks_like_hub_id(path: str) -> bool:
    # "org/name" with no filesystem markers; anything else is treated as a directory.
    parts = path.split("/")
    return len(parts) == 2 and all(parts) and not path.startswith((".", "~"))


def resolve_checkpoint(path: str | os.PathLike) -> str:
    """Check that ``path`` names a loadable checkpoint and return what transformers should open.

    A directory must exist and hold ``config.json``. A hub id ("org/name") that is not a
    directory is passed through, for transformers to resolve (from the local cache only,
    unless the caller allows downloads).
    """
    text = os.fspath(path)
    directory = Path(text).expanduser()
    if directory.is_dir():
        if not (directory / "config.json").is_file():
            raise FileNotFoundError(f"policy directory {directory} has no config.json; expected a saved "
                                    "transformers checkpoint (config.json, *.safetensors, tokenizer and processor files)")
        return str(directory)
    if directory.exists():
        raise NotADirectoryError(f"policy path {directory} is a file; expected a checkpoint directory or a hub id")
    if _looks_like_hub_id(text):
        return text
    raise FileNotFoundError(f"policy directory {directory} does not exist; expected a checkpoint directory "
                            "(e.g. one written by `python -m cuagym.modeling.tiny`) or a cached hub id like org/name")


def load_policy(
    path: str | os.PathLike,
    *,
    dtype: str = "auto",
    attn_implementation: str = "auto",
    device: str | torch.device = "cpu",
    local_files_only: bool = True,
) -> Policy:
    """Load model, tokenizer and processor from ``path`` (directory or cached hub id).

    ``dtype``: "auto" (as stored), "float32" or "bfloat16". ``attn_implementation``:
    "auto" (flash_attention_2 with CUDA + flash_attn, else sdpa), "sdpa", "eager" or
    "flash_attention_2". Nothing is downloaded unless ``local_files_only=False``.
    """
    torch_dtype = resolve_dtype(dtype)
    attn = resolve_attn_implementation(attn_implementation)
    try:
        target = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"unknown device {device!r}; expected e.g. 'cpu', 'cuda' or 'cuda:0'") from err
    if target.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for but CUDA is not available here; use device='cpu'")
    source = resolve_checkpoint(path)
    try:
        model = AutoModelForImageTextToText.from_pretrained(
            source, dtype=torch_dtype, attn_implementation=attn, local_files_only=local_files_only
        )
        processor = QwenImageTextProcessor.from_pretrained(source, local_files_only=local_files_only)
    except OSError as err:
        if source == os.fspath(path) and not Path(source).is_dir() and local_files_only:
            raise FileNotFoundError(f"hub id {source!r} is not in the local Hugging Face cache and downloads are "
                                    "off (local_files_only=True); download it beforehand or pass a directory") from err
        raise
    # A plain .to() (no device_map): the model stays an ordinary module that DeepSpeed
    # and optimizers can take over.
    model.to(target)
    return Policy(model=model, tokenizer=processor.tokenizer, processor=processor, config=model.config)
