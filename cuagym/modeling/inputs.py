"""Turn a chat with screenshots into the model inputs of a policy.

The chat is rendered with the policy's chat template, each image placeholder is expanded
to one ``<|image_pad|>`` per merged vision patch, and the screenshots are resized and
cut into patches. The result always carries ``mm_token_type_ids`` (1 on image tokens):
Qwen3.5 needs it to lay out its multimodal rotary positions whenever pixels are given.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

IMAGE_PLACEHOLDER = "<|vision_start|><|image_pad|><|vision_end|>"


def render_chat(policy, messages: list[dict], add_generation_prompt: bool = True, tools: list | None = None) -> str:
    """The prompt text of ``messages`` (one placeholder per image part, not yet expanded)."""
    return policy.processor.apply_chat_template(
        messages, tools=tools, tokenize=False, add_generation_prompt=add_generation_prompt
    )


def chat_inputs(
    policy,
    messages: list[dict],
    images: Sequence[Image.Image] = (),
    add_generation_prompt: bool = True,
    tools: list | None = None,
):
    """Model inputs for one chat: ``input_ids``, ``attention_mask``, ``mm_token_type_ids``
    (all ``[1, T]``) and, with images, ``pixel_values`` ``[patches, C*2*16*16]`` and
    ``image_grid_thw`` ``[n_images, 3]``; on the model's device.

    ``images`` are the screenshots of the image parts of ``messages``, in order of
    appearance (a part is ``{"type": "image"}``).
    """
    images = list(images)
    for i, image in enumerate(images):
        if not isinstance(image, Image.Image):
            raise TypeError(f"images[{i}] is a {type(image).__name__}; expected a PIL.Image.Image")
    text = render_chat(policy, messages, add_generation_prompt=add_generation_prompt, tools=tools)
    placeholders = text.count(IMAGE_PLACEHOLDER)
    if placeholders != len(images):
        raise ValueError(f"the chat has {placeholders} image part(s) but {len(images)} image(s) were given; "
                         "pass exactly one image per {'type': 'image'} part, in order")
    batch = policy.processor(
        text=[text], images=images or None, return_tensors="pt", return_mm_token_type_ids=True
    )
    return batch.to(policy.model.device)
