"""The LLM client the synthesis agents share: any OpenAI-compatible ``/v1/chat/completions``.

    client = LLMClient(cfg.synth.llm)
    transcript = Transcript()
    text = client.chat(messages, agent="generator", transcript=transcript)

Every call is retried on transient failures (see :mod:`cuagym.httpjson`), accounted (calls,
prompt and completion tokens, retries) per agent in ``client.usage``, and appended to the
caller's :class:`Transcript`, which the pipeline saves with the tuple's provenance. Token
counts are the server's ``usage`` block; a server that sends none is counted by a
4-characters-per-token estimate and the record says so.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cuagym.httpjson import HTTPJSONError, RetryPolicy, get_json, post_json
from cuagym.synth.config import LLMConfig


class LLMError(HTTPJSONError):
    """The LLM endpoint could not be used: HTTP error, unreadable reply, or retries ran out."""


@dataclass
class Usage:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: int = 0
    estimated_calls: int = 0  # calls whose tokens were estimated (the server sent no usage)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: "Usage") -> None:
        for k in ("calls", "prompt_tokens", "completion_tokens", "retries", "estimated_calls"):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def to_dict(self) -> dict[str, int]:
        return {**asdict(self), "total_tokens": self.total_tokens}


@dataclass
class CallRecord:
    agent: str
    model: str
    messages: list[dict[str, Any]]
    reply: str
    finish_reason: str
    usage: Usage
    seconds: float
    reasoning: str = ""   # the model's thinking, when it sent any (not part of the answer)
    started: float = field(default_factory=time.time)

    def to_json(self) -> str:
        d = asdict(self)
        d["usage"] = self.usage.to_dict()
        return json.dumps(d, ensure_ascii=False)


class Transcript:
    """The calls made for one tuple, in order (thread-safe)."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []
        self._lock = threading.Lock()

    def append(self, rec: CallRecord) -> None:
        with self._lock:
            self.records.append(rec)

    def usage(self) -> dict[str, Usage]:
        """Per agent, plus "total"."""
        out: dict[str, Usage] = {}
        total = Usage()
        with self._lock:
            for r in self.records:
                out.setdefault(r.agent, Usage()).add(r.usage)
                total.add(r.usage)
        out["total"] = total
        return out

    def write(self, path: str | Path) -> None:
        """One JSON line per call. A call that continues an earlier call's conversation (its messages
        start with that call's messages and reply) stores only the new messages, with
        ``"continues": k`` naming the earlier line; :func:`read_transcript` restores them."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = []
        with self._lock:
            for i, r in enumerate(self.records):
                d = json.loads(r.to_json())
                for k in range(i - 1, -1, -1):
                    prev = self.records[k]
                    full = prev.messages + [{"role": "assistant", "content": prev.reply}]
                    if prev.agent == r.agent and r.messages[:len(full)] == full:
                        d["continues"] = k
                        d["messages"] = r.messages[len(full):]
                        break
                lines.append(json.dumps(d, ensure_ascii=False) + "\n")
        path.write_text("".join(lines))


def read_transcript(path: str | Path) -> list[dict[str, Any]]:
    """The calls of a transcript file with every call's full message list restored."""
    out: list[dict[str, Any]] = []
    for line in Path(path).read_text().splitlines():
        d = json.loads(line)
        k = d.pop("continues", None)
        if k is not None:
            prev = out[k]
            d["messages"] = prev["messages"] + [{"role": "assistant", "content": prev["reply"]}] + d["messages"]
        out.append(d)
    return out


THINK_RE = re.compile(r"<think>(.*?)</think>", re.DOTALL)


def split_thinking(text: str) -> tuple[str, str]:
    """(answer, thinking) of a reply that may hold ``<think>...</think>`` blocks. A reply whose
    opening tag was in the prompt (some chat templates) starts with thinking and a bare
    ``</think>``; an unclosed ``<think>`` (the reply ran out of tokens while thinking) leaves no answer."""
    thoughts = THINK_RE.findall(text)
    answer = THINK_RE.sub("", text)
    if "</think>" in answer:
        before, _, answer = answer.rpartition("</think>")
        thoughts.insert(0, before)
    if "<think>" in answer:
        answer, _, rest = answer.partition("<think>")
        thoughts.append(rest)
    return answer.strip(), "\n".join(t.strip() for t in thoughts if t.strip())


def _estimate(text: str) -> int:
    return max(1, len(text) // 4)


class LLMClient:
    def __init__(self, cfg: LLMConfig, *, api_key: str | None = None) -> None:
        if not cfg.base_url.startswith(("http://", "https://")):
            raise ValueError(f"synth.llm.base_url must start with http:// or https://, got {cfg.base_url!r}")
        self.cfg = cfg
        base = cfg.base_url.rstrip("/")
        if base.endswith("/chat/completions"):
            base = base[: -len("/chat/completions")]
        self.base = base
        self.api_key = api_key if api_key is not None else os.environ.get(cfg.api_key_env, "") if cfg.api_key_env else ""
        self.policy = RetryPolicy(cfg.max_retries, cfg.backoff_s, cfg.max_backoff_s)
        self.usage: dict[str, Usage] = {}
        self._lock = threading.Lock()
        self.model = cfg.model or self._discover_model()

    def _discover_model(self) -> str:
        data = get_json(f"{self.base}/models", api_key=self.api_key, timeout_s=min(self.cfg.timeout_s, 30.0),
                        policy=self.policy, error_cls=LLMError)
        try:
            return str(data["data"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise LLMError(f"{self.base}/models lists no model; set synth.llm.model (--model)") from None

    def chat(self, messages: list[dict[str, Any]], *, agent: str, transcript: Transcript | None = None,
             temperature: float | None = None, max_tokens: int | None = None) -> str:
        """The assistant's reply text to ``messages`` (OpenAI chat format)."""
        body = {"model": self.model, "messages": messages,
                "temperature": self.cfg.temperature if temperature is None else temperature,
                "max_tokens": max_tokens or self.cfg.max_tokens}
        retries = [0]

        def on_event(event: str) -> None:
            if event == "retry":
                retries[0] += 1

        t0 = time.monotonic()
        data = post_json(f"{self.base}/chat/completions", body, api_key=self.api_key, timeout_s=self.cfg.timeout_s,
                         policy=self.policy, on_event=on_event, error_cls=LLMError)
        try:
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError) as e:
            raise LLMError(f"{self.base}/chat/completions: reply has no choices[0].message "
                           f"({type(e).__name__}: {e}); got {json.dumps(data)[:300]}") from None
        if not isinstance(text, str):  # content parts
            text = "".join(p.get("text", "") for p in text if isinstance(p, dict))
        # A reasoning model's thinking is not its answer: a server's reasoning parser puts it in
        # reasoning_content; without one it arrives inline as <think>...</think>. Either way it is
        # kept in the transcript and left out of what the agents parse.
        served = choice["message"].get("reasoning_content") or choice["message"].get("reasoning") or ""
        text, inline = split_thinking(text)
        reasoning = "\n".join(x for x in (str(served), inline) if x)
        u = data.get("usage") if isinstance(data.get("usage"), dict) else None
        if u and isinstance(u.get("prompt_tokens"), int) and isinstance(u.get("completion_tokens"), int):
            usage = Usage(1, u["prompt_tokens"], u["completion_tokens"], retries[0])
        else:
            usage = Usage(1, _estimate(json.dumps(messages)), _estimate(text), retries[0], estimated_calls=1)
        # A copy: the caller goes on appending to its conversation list after the call.
        rec = CallRecord(agent, self.model, [dict(m) for m in messages], text, str(choice.get("finish_reason") or ""),
                         usage, round(time.monotonic() - t0, 3), reasoning=reasoning)
        with self._lock:
            self.usage.setdefault(agent, Usage()).add(usage)
        if transcript is not None:
            transcript.append(rec)
        return text

    def total_usage(self) -> Usage:
        total = Usage()
        with self._lock:
            for u in self.usage.values():
                total.add(u)
        return total
