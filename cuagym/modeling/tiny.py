"""Build a tiny Qwen3.5-MoE vision-language policy offline, with random weights.

CPU machines and CI cannot hold Qwen3.5-35B-A3B, but they can run the *same
architecture* at toy size: ``Qwen3_5MoeForConditionalGeneration`` with hybrid
linear-attention (Gated DeltaNet) and full-attention layers, a routed mixture of
experts plus a shared expert, and a vision tower whose patch merger feeds the language
model. Everything the real checkpoint directory holds is written: safetensors weights,
config, generation config, tokenizer (built by :mod:`cuagym.modeling.tokenizer`),
image processor, processor and chat template. :func:`cuagym.modeling.factory.load_policy`
loads it exactly like a real checkpoint.

Usage::

    python -m cuagym.modeling.tiny OUT_DIR [--seed N] [--image-size 256x160] [--layers 4]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import GenerationConfig, Qwen3_5MoeConfig, Qwen3_5MoeForConditionalGeneration

from cuagym.modeling.processor import (
    MERGE_SIZE,
    PATCH_SIZE,
    TEMPORAL_PATCH_SIZE,
    QwenImageTextProcessor,
    build_image_processor,
)
from cuagym.modeling.tokenizer import build_tokenizer, special_token_ids

DEFAULT_IMAGE_SIZE = (256, 160)


@dataclass(frozen=True)
class TinySpec:
    """Dimensions of the tiny policy (defaults give about 0.8M parameters)."""

    num_layers: int = 4  # every 4th layer full attention, the rest linear, as in Qwen3.5
    hidden_size: int = 64  # text model width; also the vision merger's output width
    num_attention_heads: int = 2  # full-attention query heads
    num_key_value_heads: int = 1  # full-attention KV heads (grouped-query attention)
    head_dim: int = 64  # per-head width; 64 keeps vLLM's kernels usable
    linear_num_key_heads: int = 2  # Gated DeltaNet key heads
    linear_num_value_heads: int = 4  # Gated DeltaNet value heads
    linear_head_dim: int = 16  # Gated DeltaNet key and value head width
    num_experts: int = 4  # routed experts per MoE layer
    num_experts_per_tok: int = 2  # experts active per token
    moe_intermediate_size: int = 32  # width of each routed expert
    shared_expert_intermediate_size: int = 32  # width of the always-on shared expert
    vision_hidden_size: int = 64  # vision tower width
    vision_heads: int = 2  # vision attention heads
    vision_depth: int = 1  # vision transformer blocks
    vision_position_grid: int = 16  # learned position table side (interpolated per image)


def layer_types(num_layers: int) -> list[str]:
    """Qwen3.5's hybrid pattern (three linear-attention layers, then one full), with the
    last layer always full attention so that even two layers hold both kinds."""
    if num_layers < 2:
        raise ValueError(f"num_layers must be at least 2 (one linear and one full attention layer), got {num_layers}")
    types = ["full_attention" if (i + 1) % 4 == 0 else "linear_attention" for i in range(num_layers)]
    types[-1] = "full_attention"
    return types


def mrope_section(head_dim: int, partial_rotary_factor: float) -> list[int]:
    """Split the rotary frequencies over (time, height, width), as Qwen3.5 does for
    head_dim 256 ([11, 11, 10] of 32 frequencies): near-equal thirds, time first."""
    freqs = int(head_dim * partial_rotary_factor) // 2
    if freqs < 3:
        raise ValueError(f"head_dim={head_dim} leaves {freqs} rotary frequencies; 3 are needed (time, height, width)")
    third = -(-freqs // 3)
    return [third, third, freqs - 2 * third]


def tiny_config(tokenizer, spec: TinySpec = TinySpec()) -> Qwen3_5MoeConfig:
    """The ``Qwen3_5MoeConfig`` of a tiny policy whose ids agree with ``tokenizer``."""
    ids = special_token_ids(tokenizer)
    partial_rotary_factor = 0.25  # Qwen3.5 rotates a quarter of each head
    text = dict(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden_size,
        num_hidden_layers=spec.num_layers,
        layer_types=layer_types(spec.num_layers),
        num_attention_heads=spec.num_attention_heads,
        num_key_value_heads=spec.num_key_value_heads,
        head_dim=spec.head_dim,
        linear_num_key_heads=spec.linear_num_key_heads,
        linear_num_value_heads=spec.linear_num_value_heads,
        linear_key_head_dim=spec.linear_head_dim,
        linear_value_head_dim=spec.linear_head_dim,
        linear_conv_kernel_dim=4,
        num_experts=spec.num_experts,
        num_experts_per_tok=spec.num_experts_per_tok,
        moe_intermediate_size=spec.moe_intermediate_size,
        shared_expert_intermediate_size=spec.shared_expert_intermediate_size,
        max_position_embeddings=32768,
        rope_parameters={
            "rope_type": "default",
            "rope_theta": 10_000_000.0,
            "partial_rotary_factor": partial_rotary_factor,
            "mrope_section": mrope_section(spec.head_dim, partial_rotary_factor),
            "mrope_interleaved": True,
        },
        tie_word_embeddings=False,
        eos_token_id=ids["im_end"],
        pad_token_id=ids["endoftext"],
        bos_token_id=None,
    )
    vision = dict(
        depth=spec.vision_depth,
        hidden_size=spec.vision_hidden_size,
        intermediate_size=2 * spec.vision_hidden_size,
        num_heads=spec.vision_heads,
        patch_size=PATCH_SIZE,
        temporal_patch_size=TEMPORAL_PATCH_SIZE,
        spatial_merge_size=MERGE_SIZE,
        out_hidden_size=spec.hidden_size,
        num_position_embeddings=spec.vision_position_grid**2,
    )
    return Qwen3_5MoeConfig(
        text_config=text,
        vision_config=vision,
        image_token_id=ids["image"],
        video_token_id=ids["video"],
        vision_start_token_id=ids["vision_start"],
        vision_end_token_id=ids["vision_end"],
        tie_word_embeddings=False,
    )


def tiny_generation_config(tokenizer) -> GenerationConfig:
    """Plain sampling at temperature 1, stopping at the end of the assistant turn."""
    ids = special_token_ids(tokenizer)
    return GenerationConfig(
        do_sample=True,
        temperature=1.0,
        top_p=1.0,
        eos_token_id=[ids["im_end"], ids["endoftext"]],
        pad_token_id=ids["endoftext"],
    )


def _check_image_size(image_size) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in image_size)
    except (TypeError, ValueError):
        raise ValueError(f"image_size must be a (width, height) pair of integers, got {image_size!r}") from None
    factor = PATCH_SIZE * MERGE_SIZE
    if width < factor or height < factor:
        raise ValueError(f"image_size {width}x{height} is smaller than one merged patch ({factor}x{factor})")
    return width, height


def build_tiny_policy(
    out_dir: str | Path,
    seed: int = 0,
    image_size: tuple[int, int] = DEFAULT_IMAGE_SIZE,
    spec: TinySpec = TinySpec(),
) -> Path:
    """Write a randomly initialised tiny Qwen3.5-MoE VL policy to ``out_dir`` and return it.

    ``seed`` fixes the weights (the tokenizer is the same for every seed). ``image_size``
    (width, height) is the pixel budget of one screenshot after resizing: larger
    screenshots shrink to about that area, e.g. 1280x720 becomes 256x128 for the default
    256x160, i.e. 32 ``<|image_pad|>`` tokens.
    """
    width, height = _check_image_size(image_size)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    tokenizer = build_tokenizer()
    config = tiny_config(tokenizer, spec)
    torch.manual_seed(seed)
    model = Qwen3_5MoeForConditionalGeneration(config).to(torch.float32)
    model.generation_config = tiny_generation_config(tokenizer)
    model.save_pretrained(out)

    processor = QwenImageTextProcessor(
        image_processor=build_image_processor(max_pixels=width * height),
        tokenizer=tokenizer,
        chat_template=tokenizer.chat_template,
    )
    processor.save_pretrained(out)
    return out


def parameter_count(model) -> int:
    """Number of scalar parameters of ``model``."""
    return sum(p.numel() for p in model.parameters())


def _parse_image_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 256x160, got {text!r}") from None
    return width, height


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cuagym.modeling.tiny", description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", help="directory to write the checkpoint to (created if missing)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    parser.add_argument("--image-size", type=_parse_image_size, default=DEFAULT_IMAGE_SIZE,
                        help="screenshot pixel budget WIDTHxHEIGHT (default 256x160)")
    parser.add_argument("--layers", type=int, default=TinySpec.num_layers, help="number of text layers (>= 2)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    out = build_tiny_policy(args.out_dir, seed=args.seed, image_size=args.image_size,
                            spec=TinySpec(num_layers=args.layers))
    seconds = time.perf_counter() - start
    model = Qwen3_5MoeForConditionalGeneration.from_pretrained(out)
    print(f"tiny policy written to {out}: {parameter_count(model):,} parameters, built in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
