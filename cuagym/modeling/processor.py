"""The image + text processor of Qwen3.5 vision-language policies.

transformers pairs Qwen3.5 models with ``Qwen3VLProcessor``, which insists on a video
processor; video processors need torchvision, and the PyPI torchvision wheel does not
import beside this project's CPU torch. A computer-use agent only ever sees screenshots,
so :class:`QwenImageTextProcessor` is ``Qwen3VLProcessor`` without the video part: same
chat template, same ``<|image_pad|>`` expansion, same ``mm_token_type_ids``. It loads
from a real Qwen3.5 checkpoint directory as well as from the tiny one.

When saved, it writes the directory a real checkpoint has (``processor_class`` is
``Qwen3VLProcessor`` and a video-processor entry is included), so tools that load the
full processor where torchvision exists (e.g. vLLM) read our checkpoints unchanged.

:func:`build_image_processor` makes the PIL image processor with Qwen3.5's patch
geometry (16-pixel patches, 2x2 merge, 2 frames per temporal patch, mean/std 0.5) and a
pixel budget sized for small screenshots.
"""

from __future__ import annotations

import json
import os

from transformers import Qwen2VLImageProcessorPil, Qwen3VLProcessor

# Qwen3.5's vision geometry (the values of the released checkpoints).
PATCH_SIZE = 16
MERGE_SIZE = 2
TEMPORAL_PATCH_SIZE = 2
IMAGE_MEAN = (0.5, 0.5, 0.5)
IMAGE_STD = (0.5, 0.5, 0.5)
SAVED_PROCESSOR_CLASS = "Qwen3VLProcessor"


def build_image_processor(max_pixels: int, min_pixels: int | None = None) -> Qwen2VLImageProcessorPil:
    """PIL image processor that resizes every image to at most ``max_pixels`` pixels.

    Sides are rounded to multiples of 32 (patch 16 x merge 2), so an image becomes
    ``(H/32) * (W/32)`` ``<|image_pad|>`` tokens. ``min_pixels`` defaults to a 2x2 grid of
    merged patches (4 tokens), the least that keeps tiny crops meaningful.
    """
    factor = PATCH_SIZE * MERGE_SIZE
    if min_pixels is None:
        min_pixels = 4 * factor * factor
    if min_pixels < factor * factor:
        raise ValueError(f"min_pixels={min_pixels} is below one merged patch ({factor}x{factor}={factor * factor})")
    if max_pixels < min_pixels:
        raise ValueError(f"max_pixels={max_pixels} must be at least min_pixels={min_pixels}")
    return Qwen2VLImageProcessorPil(
        patch_size=PATCH_SIZE,
        merge_size=MERGE_SIZE,
        temporal_patch_size=TEMPORAL_PATCH_SIZE,
        image_mean=list(IMAGE_MEAN),
        image_std=list(IMAGE_STD),
        min_pixels=min_pixels,
        max_pixels=max_pixels,
    )


def _video_processor_entry(image_processor) -> dict:
    """Settings for ``Qwen3VLVideoProcessor`` that match ``image_processor``'s geometry."""
    return {
        "video_processor_type": "Qwen3VLVideoProcessor",
        "patch_size": image_processor.patch_size,
        "temporal_patch_size": image_processor.temporal_patch_size,
        "merge_size": image_processor.merge_size,
        "image_mean": list(image_processor.image_mean),
        "image_std": list(image_processor.image_std),
        "size": dict(image_processor.size),
    }


class QwenImageTextProcessor(Qwen3VLProcessor):
    """``Qwen3VLProcessor`` for images and text only (no torchvision needed)."""

    def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
        # The parent forwards (image_processor, tokenizer, video_processor) positionally to
        # ProcessorMixin, which pairs them with *this* class's attributes (image_processor,
        # tokenizer, read from this signature), so the video slot is simply not used.
        super().__init__(image_processor, tokenizer, None, chat_template=chat_template, **kwargs)

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["processor_class"] = SAVED_PROCESSOR_CLASS
        out["video_processor"] = _video_processor_entry(self.image_processor)
        return out

    def save_pretrained(self, save_directory, push_to_hub: bool = False, **kwargs):
        files = super().save_pretrained(save_directory, push_to_hub=push_to_hub, **kwargs)
        # The tokenizer records the class of the processor that saved it; name the real one.
        tok_config = os.path.join(save_directory, "tokenizer_config.json")
        if os.path.exists(tok_config):
            with open(tok_config, encoding="utf-8") as f:
                config = json.load(f)
            config["processor_class"] = SAVED_PROCESSOR_CLASS
            with open(tok_config, "w", encoding="utf-8") as f:
                json.dump(config, f, indent=2, ensure_ascii=False)
                f.write("\n")
        return files
