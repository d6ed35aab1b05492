"""The tiny Qwen3.5-MoE VL policy: architecture as built, training step, generation with log-probs."""

from __future__ import annotations

import json

import pytest
import torch
from PIL import Image

from cuagym.modeling import chat_inputs, parameter_count, special_token_ids
from cuagym.modeling.tiny import layer_types, mrope_section

USER_TURN = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Click the Save button."}]}]


def screenshot(width=1280, height=720, seed=0):
    """A deterministic noisy RGB image (so vision features differ across patches)."""
    g = torch.Generator().manual_seed(seed)
    pixels = torch.randint(0, 256, (height, width, 3), generator=g, dtype=torch.uint8)
    return Image.fromarray(pixels.numpy(), "RGB")


def test_config_has_both_attention_kinds_and_the_moe_as_built(tiny_policy):
    text = tiny_policy.config.text_config
    assert text.layer_types == ["linear_attention", "linear_attention", "linear_attention", "full_attention"]
    assert (text.num_experts, text.num_experts_per_tok) == (4, 2)
    assert text.shared_expert_intermediate_size > 0 and 16 <= text.head_dim <= 64
    assert tiny_policy.config.vision_config.depth == 1
    # The modules match the config: linear attention in layers 0-2, softmax attention in 3.
    layers = tiny_policy.model.model.language_model.layers
    assert [hasattr(layer, "linear_attn") for layer in layers] == [True, True, True, False]
    assert hasattr(layers[3], "self_attn")
    assert layers[0].mlp.experts.gate_up_proj.shape[0] == 4 and hasattr(layers[0].mlp, "shared_expert")
    assert parameter_count(tiny_policy.model) < 5_000_000


def test_config_token_ids_agree_with_the_tokenizer(tiny_policy):
    ids = special_token_ids(tiny_policy.tokenizer)
    cfg = tiny_policy.config
    assert cfg.text_config.vocab_size == len(tiny_policy.tokenizer)
    assert (cfg.image_token_id, cfg.video_token_id) == (ids["image"], ids["video"])
    assert (cfg.vision_start_token_id, cfg.vision_end_token_id) == (ids["vision_start"], ids["vision_end"])
    assert cfg.text_config.eos_token_id == ids["im_end"] and cfg.text_config.pad_token_id == ids["endoftext"]
    gen = tiny_policy.model.generation_config
    assert gen.eos_token_id == [ids["im_end"], ids["endoftext"]] and gen.pad_token_id == ids["endoftext"]


def test_checkpoint_directory_looks_like_a_real_qwen35_checkpoint(tiny_dir):
    names = {p.name for p in tiny_dir.iterdir()}
    assert {"config.json", "model.safetensors", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "processor_config.json", "chat_template.jinja"} <= names
    config = json.loads((tiny_dir / "config.json").read_text())
    assert config["model_type"] == "qwen3_5_moe" and config["architectures"] == ["Qwen3_5MoeForConditionalGeneration"]
    processor = json.loads((tiny_dir / "processor_config.json").read_text())
    assert processor["processor_class"] == "Qwen3VLProcessor"
    assert processor["image_processor"]["patch_size"] == 16 and processor["video_processor"]["merge_size"] == 2


def test_helpers_reproduce_qwen35_layout():
    assert layer_types(2) == ["linear_attention", "full_attention"]
    assert layer_types(8) == ["linear_attention"] * 3 + ["full_attention"] + ["linear_attention"] * 3 + ["full_attention"]
    assert mrope_section(256, 0.25) == [11, 11, 10]  # the released Qwen3.5 value
    assert mrope_section(64, 0.25) == [3, 3, 2]
    with pytest.raises(ValueError, match="num_layers must be at least 2"):
        layer_types(1)


def test_forward_backward_reaches_every_parameter_and_a_step_changes_them(tiny_dir):
    from cuagym.modeling import load_policy

    policy = load_policy(tiny_dir, dtype="float32", attn_implementation="sdpa")  # private copy: it gets trained
    model = policy.model.train()
    batch = chat_inputs(policy, USER_TURN + [{"role": "assistant", "content": "Clicking Save now."}],
                        [screenshot()], add_generation_prompt=False)
    labels = batch["input_ids"].masked_fill(batch["mm_token_type_ids"] == 1, -100)
    out = model(**batch, labels=labels)
    assert torch.isfinite(out.loss)
    # Random init: next-token loss is close to log(vocab).
    assert abs(out.loss.item() - torch.log(torch.tensor(float(len(policy.tokenizer)))).item()) < 0.5
    out.loss.backward()

    missing = [n for n, p in model.named_parameters() if p.requires_grad and (p.grad is None or not p.grad.abs().sum())]
    assert missing == []
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())
    vision_grads = [p.grad for n, p in model.named_parameters() if ".visual." in n]
    assert len(vision_grads) > 10 and all(g.abs().sum() > 0 for g in vision_grads)

    watched = {n: p.detach().clone() for n, p in model.named_parameters()
               if n.endswith(("visual.patch_embed.proj.weight", "layers.0.linear_attn.in_proj_qkv.weight",
                              "layers.3.mlp.experts.gate_up_proj", "lm_head.weight"))}
    assert len(watched) == 4
    torch.optim.AdamW(model.parameters(), lr=1e-3).step()
    params = dict(model.named_parameters())
    for name, before in watched.items():
        assert not torch.equal(params[name].detach(), before), name


def test_generate_with_a_screenshot_returns_scores_matching_a_forward_pass(tiny_policy):
    model = tiny_policy.model.eval()
    batch = chat_inputs(tiny_policy, USER_TURN, [screenshot(seed=1)])
    prompt_len = batch["input_ids"].shape[1]
    torch.manual_seed(0)
    out = model.generate(**batch, max_new_tokens=4, min_new_tokens=4, do_sample=True,
                         output_logits=True, output_scores=True, return_dict_in_generate=True)
    new_tokens = out.sequences[0, prompt_len:]
    assert new_tokens.shape == (4,) and len(out.scores) == 4
    logprobs = torch.stack([torch.log_softmax(s[0].float(), -1)[t] for s, t in zip(out.logits, new_tokens)])
    assert torch.isfinite(logprobs).all() and (logprobs <= 0).all()

    # Teacher forcing the sampled sequence gives the same log-probs as the cached decoding.
    full_ids = out.sequences
    mm = torch.zeros_like(full_ids)
    mm[:, :prompt_len] = batch["mm_token_type_ids"]
    with torch.no_grad():
        logits = model(input_ids=full_ids, attention_mask=torch.ones_like(full_ids), mm_token_type_ids=mm,
                       pixel_values=batch["pixel_values"], image_grid_thw=batch["image_grid_thw"]).logits
    forced = torch.log_softmax(logits[0, prompt_len - 1:-1].float(), -1).gather(-1, new_tokens[:, None])[:, 0]
    torch.testing.assert_close(forced, logprobs, atol=1e-4, rtol=1e-4)


def test_building_again_with_the_same_seed_writes_identical_files(tiny_dir, tmp_path):
    from cuagym.modeling import build_tiny_policy

    again = build_tiny_policy(tmp_path / "again", seed=0)
    for name in ("model.safetensors", "tokenizer.json", "config.json", "processor_config.json", "chat_template.jinja"):
        assert (again / name).read_bytes() == (tiny_dir / name).read_bytes(), name


def test_bad_image_size_is_refused(tmp_path):
    from cuagym.modeling import build_tiny_policy

    with pytest.raises(ValueError, match="image_size 16x16 is smaller than one merged patch"):
        build_tiny_policy(tmp_path, image_size=(16, 16))
    with pytest.raises(ValueError, match="image_size must be a \\(width, height\\) pair"):
        build_tiny_policy(tmp_path, image_size="big")
