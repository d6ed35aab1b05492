"""The OpenAI-compatible engine against a server that speaks the real protocol over loopback HTTP:
messages and screenshots on the wire, token ids and log-probs mapped back (or marked absent),
tool calls rendered for the parser, retries with backoff, clear errors. Also the scaffold's
structured chat that the engine sends, read back from the exact token context."""

from __future__ import annotations

import base64
import io
import json
import math
import time

import pytest
from PIL import Image

from cuagym.config import load_config
from cuagym.modeling.processor import build_image_processor
from cuagym.modeling.tokenizer import build_tokenizer
from cuagym.rollout.setup import make_engine
from cuagym.rollout.engines.base import GenRequest, SamplingParams
from cuagym.rollout.engines.openai_compat import (ChatContextBuilder, OpenAIEngine, OpenAIEngineConfig,
                                                  OpenAIEngineError)
from cuagym.rollout.toolcalls import parse_turn
from cuagym.scaffold.context import ContextBuilder, StepRecord

from ..openai_double import OpenAIDouble, completion

@pytest.fixture(scope="module")
def tok():
    return build_tokenizer()


@pytest.fixture
def double():
    d = OpenAIDouble()
    yield d
    d.close()


def engine_for(double: OpenAIDouble, tok, **kw) -> OpenAIEngine:
    kw.setdefault("backoff_s", 0.01)
    return OpenAIEngine(OpenAIEngineConfig(base_url=double.url, model=kw.pop("model", "served-policy"), **kw), tok)


def shot(color: tuple[int, int, int], size=(200, 100)) -> Image.Image:
    return Image.new("RGB", size, color)


def request_with(tok, screenshots, steps=(), **builder_kw) -> GenRequest:
    builder = ChatContextBuilder(tok, build_image_processor(max_pixels=256 * 160), system="SYS", **builder_kw)
    ctx = builder.build("Pin the note", list(screenshots), list(steps))
    return GenRequest(builder.model_inputs(ctx, screenshots), SamplingParams(temperature=0.7, max_new_tokens=40, seed=3),
                      request_id="t|t-0|0")


# ---- the structured chat ---------------------------------------------------------------

def test_chat_is_read_back_from_the_exact_context(tok):
    builder = ContextBuilder(tok, build_image_processor(max_pixels=256 * 160), system="You act.", image_max=2,
                             fold_size=1)
    shots = [shot((255, 0, 0)), shot((0, 255, 0)), shot((0, 0, 255))]
    gen0 = tok.encode('<tool_call>\n{"name": "computer_use"}\n</tool_call><|im_end|>', add_special_tokens=False)
    gen1 = tok.encode("thinking <|im_start|> still mine", add_special_tokens=False)  # cut off, no end token
    steps = [StepRecord(gen0, [-0.5] * len(gen0), "OK"), StepRecord(gen1, [-0.1] * len(gen1), "Error: no tool call")]
    ctx = builder.build("Pin the note", shots, steps)
    chat = builder.chat(ctx, shots)
    assert [m["role"] for m in chat] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert chat[0]["content"] == [{"type": "text", "text": "You act."}]
    # Three screenshots with image_max=2 and fold_size=1: the first is folded into its placeholder.
    assert chat[1]["content"] == [{"type": "text", "text": "Pin the note\n[screenshot 0 omitted]"}]
    assert chat[2]["content"] == [{"type": "text", "text": '<tool_call>\n{"name": "computer_use"}\n</tool_call>'}]
    assert chat[3]["content"][0] == {"type": "text", "text": "OK\n"}
    assert chat[3]["content"][1]["index"] == 1 and chat[3]["content"][1]["image"] is shots[1]
    # A control token the policy emitted stays inside its own turn.
    assert chat[4]["content"] == [{"type": "text", "text": "thinking <|im_start|> still mine"}]
    assert chat[5]["content"][0]["text"] == "Error: no tool call\n" and chat[5]["content"][1]["image"] is shots[2]
    assert [p["index"] for m in chat for p in m["content"] if p["type"] == "image"] == ctx.images == [1, 2]


def test_chat_inputs_stay_a_tensor_dict_and_survive_pickling(tok):
    import pickle

    r = request_with(tok, [shot((9, 9, 9))])
    assert set(r.inputs) >= {"input_ids", "attention_mask", "mm_token_type_ids", "pixel_values", "image_grid_thw"}
    back = pickle.loads(pickle.dumps(r.inputs))
    assert back.chat[1]["content"][1]["image"].getpixel((0, 0)) == (9, 9, 9)
    assert back["input_ids"].equal(r.inputs["input_ids"])


# ---- requests and replies ----------------------------------------------------------------

def test_request_carries_messages_images_and_sampling(double, tok):
    screenshot = Image.new("RGB", (200, 100), (10, 20, 30))
    screenshot.putpixel((5, 7), (250, 1, 2))
    engine = engine_for(double, tok, api_key="k-123")
    [res] = engine.generate([request_with(tok, [screenshot])])
    body, headers = double.requests[0], double.headers[0]
    assert headers["Authorization"] == "Bearer k-123"
    assert body["model"] == "served-policy" and body["temperature"] == 0.7 and body["max_tokens"] == 40
    assert body["seed"] == 3 and body["logprobs"] is True and body["top_p"] == 1.0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][0]["content"] == "SYS"
    text, image = body["messages"][1]["content"]
    assert text == {"type": "text", "text": "Pin the note\n"} and image["type"] == "image_url"
    prefix = "data:image/png;base64,"
    assert image["image_url"]["url"].startswith(prefix)
    sent = Image.open(io.BytesIO(base64.b64decode(image["image_url"]["url"][len(prefix):])))
    assert sent.size == (200, 100) and sent.convert("RGB").getpixel((5, 7)) == (250, 1, 2)
    assert res.request_id == "t|t-0|0" and res.finish == "stop"


def test_vllm_token_ids_and_logprobs_are_kept(double, tok):
    text = '<tool_call>\n{"name": "computer_use", "arguments": {"action": "wait"}}\n</tool_call>'
    ids = tok.encode(text, add_special_tokens=False) + tok.encode("<|im_end|>", add_special_tokens=False)
    lps = [-0.01 * (i + 1) for i in range(len(ids))]
    double.script.append((200, completion(text, logprobs=[{"token": f"token_id:{i}", "logprob": lp}
                                                          for i, lp in zip(ids, lps)]), {}))
    [res] = engine_for(double, tok).generate([request_with(tok, [shot((1, 1, 1))])])
    # The end-of-turn token is dropped: the context closes the turn itself (not a policy token).
    assert res.has_logprobs and res.token_ids == ids[:-1] and res.logprobs == pytest.approx(lps[:-1])


def test_plain_token_strings_must_match_the_local_tokenisation(double, tok):
    text = "<tool_call>\n{}\n</tool_call>"
    local = tok.encode(text, add_special_tokens=False)
    same = [{"token": tok.decode([i]), "logprob": -0.25} for i in local]
    other = [{"token": "<tool", "logprob": -0.1}, {"token": "_call>", "logprob": -0.2}]  # another tokenizer's pieces
    double.script += [(200, completion(text, logprobs=same), {}), (200, completion(text, logprobs=other), {}),
                      (200, completion(text), {})]
    engine = engine_for(double, tok)
    matched, foreign, missing = (engine.generate([request_with(tok, [shot((1, 1, 1))])])[0] for _ in range(3))
    assert matched.has_logprobs and matched.token_ids == local and matched.logprobs == [-0.25] * len(local)
    for res in (foreign, missing):
        assert not res.has_logprobs and res.token_ids == local
        assert len(res.logprobs) == len(local) and all(math.isnan(v) for v in res.logprobs)
    assert engine.stats["with_logprobs"] == 1 and engine.stats["without_logprobs"] == 2


def test_openai_tool_calls_become_computer_use_calls(double, tok):
    calls = [
        {"id": "c1", "type": "function", "function": {"name": "computer_use",
                                                       "arguments": '{"action": "type", "text": "milk"}'}},
        # OpenAI computer action in pixels of the 200x100 screenshot the model saw.
        {"id": "c2", "type": "function", "function": {"name": "computer",
                                                       "arguments": '{"type": "click", "x": 100, "y": 50}'}},
        # Anthropic computer action, also in screenshot pixels.
        {"id": "c3", "type": "function", "function": {"name": "computer", "arguments": json.dumps(
            {"action": "left_click_drag", "start_coordinate": [0, 0], "coordinate": [199, 99]})}},
        {"id": "c4", "type": "function", "function": {"name": "browser", "arguments": "{not json"}},
    ]
    double.script.append((200, completion("Let me do it.", tool_calls=calls, finish="tool_calls"), {}))
    [res] = engine_for(double, tok).generate([request_with(tok, [shot((1, 1, 1))])])
    text = tok.decode(res.token_ids)
    assert text.startswith("Let me do it.\n<tool_call>") and not res.has_logprobs and res.finish == "stop"
    turn = parse_turn(text, "relative_999")
    assert [a.type for a in turn.actions] == ["type", "click", "drag"]
    assert turn.actions[0].text == "milk"
    click = turn.actions[1]
    assert click.x == pytest.approx(100 / 199 * 999, abs=0.06) and click.y == pytest.approx(50 / 99 * 999, abs=0.06)
    assert turn.actions[2].path[0] == (0, 0) and turn.actions[2].path[1] == (999, 999)
    assert turn.errors == ["tool call 4: arguments is a string that is not valid JSON"]


def test_length_finish_and_batches_keep_request_order(double, tok):
    double.default = lambda body: (200, completion(body["messages"][1]["content"][0]["text"].strip(),
                                                   finish="length"), {})
    reqs = []
    for k in range(5):
        r = request_with(tok, [shot((k, k, k))])
        builder = ChatContextBuilder(tok, build_image_processor(max_pixels=256 * 160), system="SYS")
        ctx = builder.build(f"task {k}", [shot((k, k, k))], [])
        reqs.append(GenRequest(builder.model_inputs(ctx, [shot((k, k, k))]), request_id=str(k)))
        del r
    out = engine_for(double, tok, concurrency=5).generate(reqs)
    assert [tok.decode(r.token_ids) for r in out] == [f"task {k}" for k in range(5)]
    assert [r.request_id for r in out] == [str(k) for k in range(5)] and {r.finish for r in out} == {"length"}


# ---- failures ------------------------------------------------------------------------------

def test_transient_failures_are_retried_with_backoff(double, tok):
    double.script += [(503, {"error": {"message": "overloaded"}}, {}), (200, b"<html>proxy error", {}),
                      (429, {"error": {"message": "slow down"}}, {"Retry-After": "0"}),
                      (200, completion("done"), {})]
    engine = engine_for(double, tok)
    t0 = time.monotonic()
    [res] = engine.generate([request_with(tok, [shot((1, 1, 1))])])
    assert tok.decode(res.token_ids) == "done" and len(double.requests) == 4
    assert engine.stats["retries"] == 3 and time.monotonic() - t0 < 2.0


def test_client_errors_fail_at_once_with_the_server_message(double, tok):
    double.script.append((401, {"error": {"message": "Incorrect API key provided"}}, {}))
    with pytest.raises(OpenAIEngineError, match="HTTP 401: Incorrect API key provided") as e:
        engine_for(double, tok).generate([request_with(tok, [shot((1, 1, 1))])])
    assert e.value.status == 401 and len(double.requests) == 1


def test_gives_up_after_the_retry_budget(double, tok):
    double.default = lambda body: (500, {"detail": "model crashed"}, {})
    with pytest.raises(OpenAIEngineError, match=r"gave up after 3 attempts; last error: HTTP 500: model crashed"):
        engine_for(double, tok, max_retries=2).generate([request_with(tok, [shot((1, 1, 1))])])
    assert len(double.requests) == 3


def test_a_hanging_server_times_out_and_is_retried(double, tok):
    def slow(body):
        time.sleep(1.0)
        return 200, completion("late"), {}

    double.script.append(slow)
    double.default = lambda body: (200, completion("on time"), {})
    [res] = engine_for(double, tok, timeout_s=0.3).generate([request_with(tok, [shot((1, 1, 1))])])
    assert tok.decode(res.token_ids) == "on time" and len(double.requests) == 2


def test_a_reply_without_choices_is_a_clear_error(double, tok):
    double.script.append((200, {"object": "chat.completion", "choices": []}, {}))
    with pytest.raises(OpenAIEngineError, match=r"reply has no choices\[0\]\.message"):
        engine_for(double, tok, max_retries=0).generate([request_with(tok, [shot((1, 1, 1))])])


def test_logprobs_are_dropped_when_the_server_refuses_them(double, tok):
    def strict(body):
        if "logprobs" in body:
            return 400, {"error": {"message": "logprobs is not supported for this model"}}, {}
        return 200, completion("fine"), {}

    double.default = strict
    engine = engine_for(double, tok)
    first, second = (engine.generate([request_with(tok, [shot((1, 1, 1))])])[0] for _ in range(2))
    assert tok.decode(first.token_ids) == "fine" and not first.has_logprobs and not second.has_logprobs
    assert ["logprobs" in b for b in double.requests] == [True, False, False]  # asked once, then never again
    with pytest.raises(OpenAIEngineError, match="logprobs is not supported"):
        engine_for(double, tok, logprobs="on").generate([request_with(tok, [shot((1, 1, 1))])])


def test_the_served_model_is_discovered_and_bad_urls_are_refused(double, tok):
    assert OpenAIEngine(OpenAIEngineConfig(base_url=double.url + "/chat/completions"), tok).model == "served-policy"
    with pytest.raises(ValueError, match="must start with http"):
        OpenAIEngine(OpenAIEngineConfig(base_url="127.0.0.1:8000/v1", model="m"), tok)
    with pytest.raises(OpenAIEngineError, match="gave up after 1 attempts; last error: ConnectionRefusedError"):
        OpenAIEngine(OpenAIEngineConfig(base_url="http://127.0.0.1:9/v1", max_retries=0), tok)


def test_requests_without_a_chat_are_refused(double, tok):
    builder = ContextBuilder(tok, build_image_processor(max_pixels=256 * 160), system="SYS")
    ctx = builder.build("x", [shot((1, 1, 1))], [])
    with pytest.raises(ValueError, match="carries no conversation"):
        engine_for(double, tok).generate([GenRequest(builder.model_inputs(ctx, [shot((1, 1, 1))]))])
    # An explicit GenRequest.chat works with the plain builder.
    req = GenRequest(builder.model_inputs(ctx, [shot((1, 1, 1))]), chat=builder.chat(ctx, [shot((1, 1, 1))]))
    assert engine_for(double, tok).generate([req])[0].token_ids


def test_factory_builds_the_openai_engine_from_the_config(double, tok):
    cfg = load_config(None, ["rollout.engine=openai", f"model.path={double.url}"])
    engine = make_engine(cfg, tokenizer=tok)
    assert isinstance(engine, OpenAIEngine) and engine.model == "served-policy" and engine.cfg.frame == "relative_999"
    with pytest.raises(ValueError, match="needs the server's URL"):
        make_engine(load_config(None, ["rollout.engine=openai"]), tokenizer=tok)
    with pytest.raises(NotImplementedError, match="owns its weights"):
        engine.update_weights([])
