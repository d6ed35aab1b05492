"""load_policy: same loader for every checkpoint, exact save/load round trip, clear errors; chat_inputs."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from cuagym.modeling import chat_inputs, load_policy, resolve_attn_implementation
from cuagym.modeling.factory import flash_attention_available

USER_TURN = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Open settings."}]}]


def screenshot(width, height):
    g = torch.Generator().manual_seed(width * height)
    return Image.fromarray(torch.randint(0, 256, (height, width, 3), generator=g, dtype=torch.uint8).numpy(), "RGB")


def logits_of(policy, batch):
    with torch.no_grad():
        return policy.model.eval()(**batch).logits


def test_save_and_reload_through_load_policy_gives_identical_logits(tiny_policy, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    batch = chat_inputs(tiny_policy, USER_TURN, [screenshot(640, 400)])
    tiny_policy.model.save_pretrained(tmp_path)
    tiny_policy.processor.save_pretrained(tmp_path)
    again = load_policy(tmp_path, dtype="float32", attn_implementation="sdpa")
    assert torch.equal(logits_of(tiny_policy, batch), logits_of(again, chat_inputs(again, USER_TURN, [screenshot(640, 400)])))
    assert again.processor.to_dict() == tiny_policy.processor.to_dict()
    assert again.tokenizer.chat_template == tiny_policy.tokenizer.chat_template


def test_eager_attention_and_bfloat16_load_the_same_model(tiny_dir, tiny_policy):
    batch = chat_inputs(tiny_policy, USER_TURN, [screenshot(320, 200)])
    eager = load_policy(tiny_dir, attn_implementation="eager")
    assert eager.model.config._attn_implementation == "eager" and eager.model.dtype == torch.float32  # "auto": as stored
    torch.testing.assert_close(logits_of(eager, batch), logits_of(tiny_policy, batch), atol=1e-5, rtol=1e-5)
    bf16 = load_policy(tiny_dir, dtype="bfloat16")
    assert bf16.model.dtype == torch.bfloat16
    assert torch.isfinite(logits_of(bf16, batch)).all()


def test_auto_attention_is_sdpa_without_cuda_flash_attn():
    expected = "flash_attention_2" if flash_attention_available() else "sdpa"
    assert resolve_attn_implementation("auto") == expected
    assert resolve_attn_implementation("eager") == "eager"


@pytest.mark.parametrize("size, grid, tokens", [
    # 1280x720 is above the 256*160 = 40960 pixel budget: beta = sqrt(1280*720/40960) = 4.743,
    # height floor(720/4.743/32)*32 = 128, width floor(1280/4.743/32)*32 = 256
    # -> 8x16 patches of 16 px -> 128 patches / (2x2 merge) = 32 tokens.
    ((1280, 720), [1, 8, 16], 32),
    # 200x100 fits the budget: sides round to multiples of 32 -> 96x192 -> 6x12 patches -> 18 tokens.
    ((200, 100), [1, 6, 12], 18),
])
def test_processor_expands_one_screenshot_to_the_hand_computed_number_of_image_tokens(tiny_policy, size, grid, tokens):
    batch = chat_inputs(tiny_policy, USER_TURN, [screenshot(*size)])
    image_id = tiny_policy.config.image_token_id
    assert batch["image_grid_thw"].tolist() == [grid]
    assert int((batch["input_ids"] == image_id).sum()) == tokens
    assert batch["pixel_values"].shape == (grid[1] * grid[2], 3 * 2 * 16 * 16)
    assert torch.equal(batch["mm_token_type_ids"], (batch["input_ids"] == image_id).long())
    ids = batch["input_ids"][0].tolist()
    start = ids.index(tiny_policy.config.vision_start_token_id)
    assert ids[start + 1 + tokens] == tiny_policy.config.vision_end_token_id


def test_chat_inputs_checks_images_against_the_chat(tiny_policy):
    with pytest.raises(ValueError, match="1 image part.* but 0 image"):
        chat_inputs(tiny_policy, USER_TURN, [])
    with pytest.raises(TypeError, match="images\\[0\\] is a str; expected a PIL.Image.Image"):
        chat_inputs(tiny_policy, USER_TURN, ["shot.png"])
    text_only = chat_inputs(tiny_policy, [{"role": "user", "content": "hello"}])
    assert "pixel_values" not in text_only and not text_only["mm_token_type_ids"].any()


def test_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="policy directory .*nope does not exist"):
        load_policy(tmp_path / "nope")


def test_directory_without_config_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="has no config.json"):
        load_policy(tmp_path)


def test_uncached_hub_id_is_not_downloaded(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(FileNotFoundError, match="not in the local Hugging Face cache"):
        load_policy("cuagym-test/not-a-cached-model")


@pytest.mark.parametrize("kwargs, message", [
    ({"attn_implementation": "flash"}, "unknown attn_implementation 'flash'; expected one of auto, sdpa, eager, flash_attention_2"),
    ({"dtype": "fp16"}, "unknown dtype 'fp16'; expected one of auto, float32, bfloat16"),
    ({"device": "gpu0"}, "unknown device 'gpu0'"),
])
def test_bad_options_name_the_valid_choices(tiny_dir, kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_policy(tiny_dir, **kwargs)


@pytest.mark.skipif(flash_attention_available(), reason="checks the refusal on machines without FlashAttention")
def test_flash_attention_is_refused_without_cuda(tiny_dir):
    with pytest.raises(ValueError, match="needs a CUDA device and the flash_attn package"):
        load_policy(tiny_dir, attn_implementation="flash_attention_2")


def test_cuda_device_without_cuda_is_refused(tiny_dir):
    if torch.cuda.is_available():
        pytest.skip("CUDA is available on this machine")
    with pytest.raises(ValueError, match="CUDA is not available"):
        load_policy(tiny_dir, device="cuda")


def test_a_checkpoint_in_the_released_qwen35_file_layout_loads_the_same(tiny_dir, tiny_policy, tmp_path):
    """Released checkpoints keep the image and video processor settings in their own files
    and name the Qwen tokenizer class; the same loader must read them."""
    import json
    import shutil

    legacy = tmp_path / "released_layout"
    shutil.copytree(tiny_dir, legacy)
    processor = json.loads((legacy / "processor_config.json").read_text())
    (legacy / "processor_config.json").unlink()
    image = dict(processor["image_processor"], image_processor_type="Qwen2VLImageProcessorFast",
                 processor_class="Qwen3VLProcessor")
    (legacy / "preprocessor_config.json").write_text(json.dumps(image))
    (legacy / "video_preprocessor_config.json").write_text(
        json.dumps(dict(processor["video_processor"], processor_class="Qwen3VLProcessor")))
    tok_config = json.loads((legacy / "tokenizer_config.json").read_text())
    (legacy / "tokenizer_config.json").write_text(json.dumps(dict(tok_config, tokenizer_class="Qwen2Tokenizer")))

    released = load_policy(legacy, dtype="float32", attn_implementation="sdpa")
    shot = screenshot(1280, 720)
    ours, theirs = chat_inputs(tiny_policy, USER_TURN, [shot]), chat_inputs(released, USER_TURN, [shot])
    assert torch.equal(ours["input_ids"], theirs["input_ids"]) and torch.equal(ours["pixel_values"], theirs["pixel_values"])
    assert torch.equal(logits_of(tiny_policy, ours), logits_of(released, theirs))
