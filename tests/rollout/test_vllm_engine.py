"""The vLLM engine adapter. vLLM is a GPU extra that cannot be installed here: the CPU tests cover
the factory's refusal and the adapter's own conversions (prompts, sampling params, log-probs);
the generation and weight-update test runs where vllm and a CUDA GPU are present."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch
from PIL import Image

from cuagym.config import load_config
from cuagym.modeling.processor import build_image_processor
from cuagym.modeling.tokenizer import build_tokenizer
from cuagym.rollout.setup import make_engine
from cuagym.rollout.engines.base import GenRequest, SamplingParams
from cuagym.rollout.engines.openai_compat import ChatContextBuilder
from cuagym.rollout.engines.vllm_engine import (VLLMUnavailable, image_runs, sampled_logprobs, sampling_kwargs,
                                                tokens_prompt, vllm_missing_reason)
from cuagym.scaffold.context import ContextBuilder, StepRecord

NO_VLLM = vllm_missing_reason()


@pytest.fixture(scope="module")
def tok():
    return build_tokenizer()


def builder(tok, cls=ChatContextBuilder, **kw):
    return cls(tok, build_image_processor(max_pixels=256 * 160), system="SYS", **kw)


@pytest.mark.skipif(NO_VLLM is None, reason="vllm is installed here: the refusal path cannot be exercised")
def test_factory_refuses_vllm_without_vllm_and_says_what_to_do(tok):
    cfg = load_config("configs/tiny.yaml", ["rollout.engine=vllm"])
    with pytest.raises(VLLMUnavailable) as e:
        make_engine(cfg, tokenizer=tok)
    msg = str(e.value)
    assert "rollout.engine=vllm needs the vllm package" in msg and "rollout.engine=hf" in msg
    assert "rollout.engine=openai" in msg


def test_token_prompt_is_the_exact_context_with_its_screenshots(tok):
    shots = [Image.new("RGB", (320, 200), (i * 40, 0, 0)) for i in range(3)]
    gen = tok.encode("<tool_call>{}</tool_call><|im_end|>", add_special_tokens=False)
    b = builder(tok, image_max=2, fold_size=1)  # the first of three screenshots is folded
    ctx = b.build("Pin it", shots, [StepRecord(gen, [-1.0] * len(gen), "OK")] * 2)
    req = GenRequest(b.model_inputs(ctx, shots))
    prompt = tokens_prompt(req)
    assert prompt["prompt_token_ids"] == ctx.input_ids
    assert [im is s for im, s in zip(prompt["multi_modal_data"]["image"], shots[1:])] == [True, True]
    assert image_runs(ctx.mm_token_type_ids) == 2


def test_token_prompt_refuses_requests_without_their_images(tok):
    shot = Image.new("RGB", (320, 200))
    plain = builder(tok, cls=ContextBuilder)
    ctx = plain.build("Pin it", [shot], [])
    with pytest.raises(ValueError, match="shows 1 screenshot\\(s\\) but carries no chat"):
        tokens_prompt(GenRequest(plain.model_inputs(ctx, [shot])))
    wrong = plain.chat(ctx, [shot])
    wrong[1]["content"].append(dict(wrong[1]["content"][-1]))  # one image too many
    with pytest.raises(ValueError, match="1 image runs in the tokens but 2 images"):
        tokens_prompt(GenRequest(plain.model_inputs(ctx, [shot]), chat=wrong))
    text_only = {"input_ids": torch.tensor([[5, 6, 7]]), "mm_token_type_ids": torch.zeros(1, 3, dtype=torch.long)}
    assert tokens_prompt(GenRequest(text_only)) == {"prompt_token_ids": [5, 6, 7]}


def test_sampling_params_ask_for_the_sampled_tokens_logprobs():
    kw = sampling_kwargs(SamplingParams(temperature=0.7, top_p=0.9, max_new_tokens=33, seed=5), [12, 7])
    assert kw == {"temperature": 0.7, "top_p": 0.9, "max_tokens": 33, "logprobs": 0, "stop_token_ids": [7, 12],
                  "skip_special_tokens": False, "detokenize": False, "seed": 5}
    with pytest.raises(ValueError, match="bad sampling params"):
        sampling_kwargs(SamplingParams(top_p=0.0), [1])


@dataclass
class Logprob:  # the shape of vllm.logprobs.Logprob
    logprob: float
    rank: int | None = None
    decoded_token: str | None = None


def test_sampled_logprobs_pick_each_sampled_token():
    # With logprobs=0 vLLM returns the sampled token, and with logprobs=k also the top k.
    steps = [{4: Logprob(-0.1, 1)}, {9: Logprob(-2.5, 3), 2: Logprob(-0.2, 1)}, {1: -0.7}]
    assert sampled_logprobs([4, 9, 1], steps) == [-0.1, -2.5, -0.7]
    with pytest.raises(RuntimeError, match="2 log-prob entries for 3 tokens"):
        sampled_logprobs([4, 9, 1], steps[:2])
    with pytest.raises(RuntimeError, match="was SamplingParams.logprobs set"):
        sampled_logprobs([4], None)


@pytest.mark.slow
@pytest.mark.gpu
@pytest.mark.skipif(NO_VLLM is not None or not torch.cuda.is_available(),
                    reason=f"needs vllm and a CUDA GPU: {NO_VLLM or 'no CUDA device'}")
def test_vllm_generates_with_logprobs_and_updates_weights_in_place(tmp_path, tok):
    from cuagym.modeling import load_policy
    from cuagym.modeling.tiny import build_tiny_policy
    from cuagym.rollout.engines.vllm_engine import VLLMEngine

    path = build_tiny_policy(tmp_path / "policy", seed=0, image_size=(256, 160))
    policy = load_policy(path, dtype="float32", attn_implementation="sdpa")
    b = ChatContextBuilder(policy.tokenizer, policy.processor.image_processor, system="SYS")
    shot = Image.new("RGB", (1280, 800), (30, 60, 90))
    ctx = b.build("Pin the note", [shot], [])
    im_end = policy.tokenizer.encode("<|im_end|>", add_special_tokens=False)
    engine = VLLMEngine(str(path), eos_token_ids=im_end, gpu_memory_utilization=0.3, dtype="float32")
    req = GenRequest(b.model_inputs(ctx, [shot]), SamplingParams(temperature=1.0, max_new_tokens=16, seed=1))
    [res] = engine.generate([req])
    assert 0 < len(res.token_ids) == len(res.logprobs) <= 16 and all(lp <= 0 for lp in res.logprobs)
    # The same tokens scored by the HF model under the same context: the contract the learner relies on.
    ids = torch.tensor([ctx.input_ids + res.token_ids])
    inputs = b.model_inputs(ctx, [shot])
    with torch.no_grad():
        logits = policy.model(input_ids=ids, attention_mask=torch.ones_like(ids),
                              mm_token_type_ids=torch.cat([inputs["mm_token_type_ids"],
                                                           torch.zeros(1, len(res.token_ids), dtype=torch.long)], 1),
                              pixel_values=inputs["pixel_values"], image_grid_thw=inputs["image_grid_thw"]).logits
    ref = torch.log_softmax(logits[0, len(ctx) - 1:-1].float(), -1).gather(-1, torch.tensor(res.token_ids)[:, None])
    assert torch.allclose(torch.tensor(res.logprobs), ref[:, 0], atol=2e-2)
    # In-place update: zeroing the LM head makes every token equally likely.
    head = [(n, torch.zeros_like(p)) for n, p in policy.model.named_parameters() if n.endswith("lm_head.weight")]
    engine.update_weights(head)
    [after] = engine.generate([req])
    vocab = policy.model.config.text_config.vocab_size
    assert engine.version() == 1 and after.logprobs == pytest.approx([-torch.log(torch.tensor(vocab)).item()] *
                                                                      len(after.logprobs), abs=1e-3)
