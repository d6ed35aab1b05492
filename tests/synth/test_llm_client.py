"""The synthesis LLM client against an OpenAI-compatible test server over loopback HTTP: retries
with backoff on transient failures, immediate failure with the server's message otherwise, API key
from the configured environment variable, token accounting (reported or estimated), transcripts."""

from __future__ import annotations

import json
import time

import pytest

from cuagym.synth.config import LLMConfig
from cuagym.synth.llm import LLMClient, LLMError, Transcript

from ..openai_double import OpenAIDouble, completion


@pytest.fixture
def double():
    d = OpenAIDouble(models=("served-llm",))
    yield d
    d.close()


def ok(text: str, usage: dict | None = None):
    body = completion(text)
    if usage is not None:
        body["usage"] = usage
    return 200, body, {}


def cfg(double, **kw) -> LLMConfig:
    kw.setdefault("backoff_s", 0.01)
    return LLMConfig(base_url=double.url, **kw)


def test_model_discovery_key_and_usage(double, monkeypatch):
    monkeypatch.setenv("SYNTH_TEST_KEY", "sk-test-123")
    double.script = [ok("hello", {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14})]
    client = LLMClient(cfg(double, api_key_env="SYNTH_TEST_KEY", temperature=0.3, max_tokens=77))
    assert client.model == "served-llm"
    tr = Transcript()
    assert client.chat([{"role": "user", "content": "hi"}], agent="proposer", transcript=tr) == "hello"
    body, headers = double.requests[-1], double.headers[-1]
    assert body == {"model": "served-llm", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.3,
                    "max_tokens": 77}
    assert headers["Authorization"] == "Bearer sk-test-123"
    u = client.usage["proposer"]
    assert (u.calls, u.prompt_tokens, u.completion_tokens, u.estimated_calls) == (1, 11, 3, 0)
    assert tr.records[0].reply == "hello" and tr.records[0].finish_reason == "stop"


def test_transient_failures_are_retried_then_counted(double):
    double.script = [(503, {"error": {"message": "warming up"}}, {}), (429, {"error": {"message": "slow down"}},
                                                                       {"Retry-After": "0"}),
                     (200, "not json", {}), ok("finally", {"prompt_tokens": 5, "completion_tokens": 1})]
    client = LLMClient(cfg(double, model="m"))
    tr = Transcript()
    assert client.chat([{"role": "user", "content": "x"}], agent="generator", transcript=tr) == "finally"
    assert len(double.requests) == 4
    assert client.usage["generator"].retries == 3 and tr.records[0].usage.retries == 3


def test_client_errors_fail_at_once_with_the_server_message(double):
    double.script = [(400, {"error": {"message": "max_tokens is too large: 99999"}}, {})]
    client = LLMClient(cfg(double, model="m"))
    with pytest.raises(LLMError, match="HTTP 400: max_tokens is too large") as e:
        client.chat([{"role": "user", "content": "x"}], agent="judge")
    assert e.value.status == 400 and len(double.requests) == 1


def test_retries_run_out_with_the_last_error(double):
    double.default = lambda body: (502, {"error": {"message": "bad gateway"}}, {})
    client = LLMClient(cfg(double, model="m", max_retries=2))
    t0 = time.monotonic()
    with pytest.raises(LLMError, match="gave up after 3 attempts; last error: HTTP 502: bad gateway"):
        client.chat([{"role": "user", "content": "x"}], agent="judge")
    assert len(double.requests) == 3 and time.monotonic() - t0 < 5


def test_timeout_is_retried(double):
    def slow(body):
        time.sleep(1.0)
        return ok("late")

    double.script = [slow, ok("in time")]
    client = LLMClient(cfg(double, model="m", timeout_s=0.3))
    assert client.chat([{"role": "user", "content": "x"}], agent="judge") == "in time"
    assert client.usage["judge"].retries == 1


def test_missing_usage_is_estimated_and_said_so(double, tmp_path):
    double.script = [ok("x" * 40)]
    client = LLMClient(cfg(double, model="m"))
    tr = Transcript()
    client.chat([{"role": "user", "content": "y" * 400}], agent="discriminator", transcript=tr)
    u = tr.usage()["discriminator"]
    assert u.estimated_calls == 1 and u.completion_tokens == 10 and u.prompt_tokens > 100
    tr.write(tmp_path / "t.jsonl")
    rec = json.loads((tmp_path / "t.jsonl").read_text())
    assert rec["agent"] == "discriminator" and rec["usage"]["estimated_calls"] == 1
    assert rec["messages"] == [{"role": "user", "content": "y" * 400}]


def test_bad_configuration_is_named(double):
    with pytest.raises(ValueError, match="must start with http:// or https://"):
        LLMClient(LLMConfig(base_url="localhost:8000/v1"))
    d2 = OpenAIDouble(models=())
    try:
        with pytest.raises(LLMError, match="lists no model; set synth.llm.model"):
            LLMClient(cfg(d2))
    finally:
        d2.close()


def test_thinking_is_kept_in_the_transcript_and_out_of_the_answer(double):
    draft = "<think>First draft:\nFILE: reward.py\n```python\nprint('REWARD: 1')\n```\nNo, check more.</think>\n"
    answer = "FILE: reward.py\n```python\nprint('REWARD: 0')\n```"
    served = completion(answer)
    served["choices"][0]["message"]["reasoning_content"] = "served separately"
    double.script = [ok(draft + answer), (200, served, {}), ok("half a thought</think>\nDONE"),
                     ok("<think>ran out of tokens")]
    client = LLMClient(cfg(double, model="m"))
    tr = Transcript()
    got = [client.chat([{"role": "user", "content": "x"}], agent="discriminator", transcript=tr) for _ in range(4)]
    assert got == [answer, answer, "DONE", ""]
    assert [r.reasoning for r in tr.records] == [
        "First draft:\nFILE: reward.py\n```python\nprint('REWARD: 1')\n```\nNo, check more.", "served separately",
        "half a thought", "ran out of tokens"]
    from cuagym.synth.replies import parse_files

    assert parse_files(got[0], ("reward.py",)) == {"reward.py": "print('REWARD: 0')\n"}  # the draft is not read
