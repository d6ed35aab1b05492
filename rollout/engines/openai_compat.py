"""A policy engine over any OpenAI-compatible ``/v1/chat/completions`` endpoint.

``vllm serve``, SGLang or a hosted API can then drive rollouts for evaluation and teacher
data. Each request's conversation (``GenRequest.chat``, built by the scaffold from the exact
token context) is sent as OpenAI messages, screenshots as base64 ``image_url`` parts. The reply
comes back as text, with ``<tool_call>`` blocks in it or as OpenAI ``tool_calls`` (rendered to
the same ``computer_use`` text the agent loop parses), then tokenised with the local tokenizer
so the trajectory and the next context stay token-exact.

Log-probs: asked for when the server supports them (``logprobs: true``). They are kept only when
they provably belong to the tokens recorded: either the server names its token ids
(vLLM's ``return_tokens_as_token_ids``) and they decode to the reply, or the server's token
strings coincide one to one with the local tokenisation. Otherwise the result says
``has_logprobs=False`` and carries NaN log-probs: fine for evaluation, refused by training.

Transient failures (connection errors, timeouts, HTTP 408/409/429/5xx, a body that is not the
expected JSON) are retried with exponential backoff; other 4xx answers fail at once with the
server's own message.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from cuagym.actions import ActionError, Geometry, convert
from cuagym.httpjson import HTTPJSONError, RetryPolicy, get_json, post_json
from cuagym.rollout.engines.base import GenRequest, GenResult, SamplingParams
from cuagym.rollout.toolcalls import from_anthropic, from_openai, render_tool_call
from cuagym.scaffold.context import IM_END, ContextBuilder

TOKEN_ID_RE = re.compile(r"^token_id:(\d+)$")


class OpenAIEngineError(HTTPJSONError):
    """The server could not be used: an HTTP error, an unreadable reply, or retries ran out."""


@dataclass
class OpenAIEngineConfig:
    base_url: str  # e.g. http://127.0.0.1:8000/v1 (a trailing /chat/completions is accepted)
    model: str = ""  # model name sent in requests; empty = the first one /models lists
    api_key: str = ""  # sent as "Authorization: Bearer ..." when set
    timeout_s: float = 120.0  # per HTTP attempt
    max_retries: int = 4  # further attempts after the first, for transient failures only
    backoff_s: float = 0.5  # first retry delay; doubles per attempt, with jitter
    max_backoff_s: float = 16.0
    logprobs: Literal["auto", "on", "off"] = "auto"  # auto: ask, stop asking if the server refuses
    image_format: Literal["png", "jpeg"] = "png"
    frame: str = "relative_999"  # the loop's coordinate frame, for OpenAI/Anthropic-style pixel actions
    concurrency: int = 8  # requests of one batch in flight at once
    extra_body: dict[str, Any] = field(default_factory=dict)  # e.g. {"return_tokens_as_token_ids": True}


def chat_url(base_url: str) -> str:
    url = base_url.rstrip("/")
    if not re.match(r"^https?://", url):
        raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
    return url if url.endswith("/chat/completions") else url + "/chat/completions"


def encode_image(image: Any, fmt: str = "png") -> str:
    """A PIL image as a ``data:`` URL."""
    buf = io.BytesIO()
    if fmt == "jpeg":
        image.convert("RGB").save(buf, format="JPEG", quality=85)
    else:
        image.save(buf, format="PNG")
    return f"data:image/{fmt};base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def to_openai_messages(chat: list[dict[str, Any]], image_format: str = "png") -> list[dict[str, Any]]:
    """Scaffold chat -> OpenAI messages: text-only turns as strings, images as ``image_url`` parts."""
    out = []
    for m in chat:
        parts = []
        for p in m["content"]:
            if p["type"] == "text":
                parts.append({"type": "text", "text": p["text"]})
            elif p["type"] == "image":
                parts.append({"type": "image_url", "image_url": {"url": encode_image(p["image"], image_format)}})
            else:
                raise ValueError(f"unknown content part type {p['type']!r} (expected text or image)")
        if all(p["type"] == "text" for p in parts):
            out.append({"role": m["role"], "content": "".join(p["text"] for p in parts)})
        else:
            out.append({"role": m["role"], "content": parts})
    return out


def last_image_size(chat: list[dict[str, Any]]) -> tuple[int, int] | None:
    for m in reversed(chat):
        for p in reversed(m["content"]):
            if p["type"] == "image":
                return tuple(p["image"].size)  # type: ignore[return-value]
    return None


def tool_calls_to_text(tool_calls: list[Any], frame: str, image_size: tuple[int, int] | None) -> str:
    """OpenAI ``tool_calls`` -> ``<tool_call>`` text the agent loop parses.

    ``computer_use`` calls pass through unchanged (the parser judges them). A ``computer`` call
    with OpenAI ``computer_call`` arguments (``type``) or Anthropic ``computer`` arguments
    (``action``) is converted by the existing adapters from screenshot pixels to the loop's
    frame. Anything else is passed on verbatim, so the parser records it as an invalid call.
    """
    blocks = []
    for call in tool_calls:
        fn = call.get("function", {}) if isinstance(call, dict) else {}
        name, raw = fn.get("name"), fn.get("arguments", {})
        args: Any = raw
        if isinstance(raw, str):
            try:
                args = json.loads(raw)
            except json.JSONDecodeError:
                args = raw  # left as a string: the parser reports it as invalid JSON
        if name == "computer" and isinstance(args, dict) and image_size is not None:
            try:
                action = from_openai(args) if "type" in args else from_anthropic(args)
                if action.has_coordinates:
                    action = convert(action, frame, Geometry(image_size, image_size))
                blocks.append(render_tool_call(action))
                continue
            except (ActionError, TypeError, ValueError, KeyError):
                pass
        blocks.append("<tool_call>\n" + json.dumps({"name": name, "arguments": args},
                                                   ensure_ascii=False) + "\n</tool_call>")
    return "\n".join(blocks)


def reply_text(message: dict[str, Any], frame: str, image_size: tuple[int, int] | None) -> str:
    content = message.get("content") or ""
    if isinstance(content, list):  # some servers answer with content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if not isinstance(content, str):
        raise OpenAIEngineError(f"message.content is {type(content).__name__}, expected a string")
    calls = message.get("tool_calls") or []
    if calls:
        rendered = tool_calls_to_text(calls, frame, image_size)
        content = (content + "\n" if content.strip() else "") + rendered
    return content


def match_logprobs(content: str, entries: list[dict[str, Any]], tokenizer: Any) -> tuple[list[int], list[float]] | None:
    """Token ids and log-probs of ``content`` when the server's log-probs provably belong to them.

    1. The server names token ids ("token_id:123", vLLM): they must decode to ``content``
       (a trailing end-of-turn token is dropped: the context closes the turn itself).
    2. Plain token strings: they must equal the local tokenisation of ``content`` token by token.
    """
    if not entries:
        return None
    lps = [e.get("logprob") for e in entries]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in lps):
        return None
    toks = [e.get("token") for e in entries]
    named = [TOKEN_ID_RE.match(t) if isinstance(t, str) else None for t in toks]
    if all(named):
        ids = [int(m.group(1)) for m in named]  # type: ignore[union-attr]
        end_ids = tokenizer.encode(IM_END, add_special_tokens=False)
        if len(end_ids) == 1 and ids and ids[-1] == end_ids[0]:
            ids, lps = ids[:-1], lps[:-1]
        if tokenizer.decode(ids, skip_special_tokens=False) == content:
            return ids, [float(v) for v in lps]
        return None
    local = tokenizer.encode(content, add_special_tokens=False)
    if len(local) == len(toks) and all(tokenizer.decode([i], skip_special_tokens=False) == t
                                       for i, t in zip(local, toks)):
        return local, [float(v) for v in lps]
    return None


class OpenAIEngine:
    """Policy engine over an OpenAI-compatible HTTP server (see the module docstring)."""

    def __init__(self, cfg: OpenAIEngineConfig, tokenizer: Any) -> None:
        self.cfg = cfg
        self.url = chat_url(cfg.base_url)
        self.tok = tokenizer
        if cfg.max_retries < 0 or cfg.timeout_s <= 0 or cfg.concurrency < 1:
            raise ValueError("OpenAIEngineConfig needs max_retries >= 0, timeout_s > 0 and concurrency >= 1")
        self._want_logprobs = cfg.logprobs != "off"
        self.stats = {"requests": 0, "retries": 0, "with_logprobs": 0, "without_logprobs": 0}
        self._lock = threading.Lock()  # stats and the log-prob switch are shared by the batch's threads
        self.model = cfg.model or self.discover_model()

    # ---- PolicyEngine ---------------------------------------------------------------
    def version(self) -> int:
        return 0

    def update_weights(self, named_tensors: Any) -> None:
        raise NotImplementedError("an OpenAI-compatible server owns its weights; reload the served model instead "
                                  "(this engine is for evaluation and teacher rollouts, not for training)")

    def generate(self, requests: list[GenRequest]) -> list[GenResult]:
        for r in requests:
            r.params.check()
        if len(requests) <= 1:
            return [self._one(r) for r in requests]
        with ThreadPoolExecutor(max_workers=min(self.cfg.concurrency, len(requests))) as pool:
            return list(pool.map(self._one, requests))

    # ---- one request ----------------------------------------------------------------
    def _chat_of(self, r: GenRequest) -> list[dict[str, Any]]:
        chat = r.chat if r.chat is not None else getattr(r.inputs, "chat", None)
        if chat is None:
            raise ValueError(f"request {r.request_id!r} carries no conversation: an OpenAI-compatible engine needs "
                             "GenRequest.chat (ContextBuilder.chat) or inputs from ChatContextBuilder.model_inputs")
        return chat

    def payload(self, chat: list[dict[str, Any]], p: SamplingParams) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": to_openai_messages(chat, self.cfg.image_format),
                                "temperature": p.temperature, "top_p": p.top_p, "max_tokens": p.max_new_tokens}
        if p.seed is not None:
            body["seed"] = p.seed
        if self._want_logprobs:
            body["logprobs"] = True
        body.update(self.cfg.extra_body)
        return body

    def _one(self, r: GenRequest) -> GenResult:
        t0 = time.monotonic()
        chat = self._chat_of(r)
        data = self._post_with_logprob_fallback(chat, r.params)
        try:
            choice = data["choices"][0]
            message = choice["message"]
            text = reply_text(message, self.cfg.frame, last_image_size(chat))
        except (KeyError, IndexError, TypeError, AttributeError) as e:
            raise OpenAIEngineError(f"{self.url}: reply has no choices[0].message ({type(e).__name__}: {e}); "
                                    f"got {json.dumps(data)[:300]}") from None
        except OpenAIEngineError as e:
            raise OpenAIEngineError(f"{self.url}: {e}") from None
        finish = "length" if choice.get("finish_reason") == "length" else "stop"
        entries = ((choice.get("logprobs") or {}).get("content") or []) if isinstance(choice, dict) else []
        matched = None if message.get("tool_calls") else match_logprobs(text, entries, self.tok)
        if matched is not None:
            ids, lps = matched
            self._count("with_logprobs")
            return GenResult(ids, lps, finish, r.request_id, time.monotonic() - t0, has_logprobs=True)
        ids = self.tok.encode(text, add_special_tokens=False)
        self._count("without_logprobs")
        return GenResult(ids, [float("nan")] * len(ids), finish, r.request_id, time.monotonic() - t0,
                         has_logprobs=False)

    def _post_with_logprob_fallback(self, chat: list[dict[str, Any]], p: SamplingParams) -> dict[str, Any]:
        body = self.payload(chat, p)
        try:
            return self._post(body)
        except OpenAIEngineError as e:
            # A server without log-prob support answers 400/422 naming the field: ask without it.
            refused = e.status in (400, 422) and "logprob" in str(e).lower()
            if refused and body.pop("logprobs", None) and self.cfg.logprobs == "auto":
                with self._lock:
                    self._want_logprobs = False
                return self._post(body)
            raise

    def _count(self, key: str) -> None:
        with self._lock:
            self.stats[key] += 1

    # ---- HTTP -----------------------------------------------------------------------
    def _on_event(self, event: str) -> None:
        self._count({"request": "requests", "retry": "retries"}[event])

    def _retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.cfg.max_retries, self.cfg.backoff_s, self.cfg.max_backoff_s)

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        return post_json(self.url, body, api_key=self.cfg.api_key, timeout_s=self.cfg.timeout_s,
                         policy=self._retry_policy(), on_event=self._on_event, error_cls=OpenAIEngineError)

    def discover_model(self) -> str:
        """The first model the server lists at ``/models`` (vllm serve and SGLang serve one)."""
        url = self.url[: -len("/chat/completions")] + "/models"
        data = get_json(url, api_key=self.cfg.api_key, timeout_s=self.cfg.timeout_s, policy=self._retry_policy(),
                        on_event=self._on_event, error_cls=OpenAIEngineError)
        try:
            return str(data["data"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise OpenAIEngineError(f"{url} lists no model; pass the model name explicitly") from None


class _ChatInputs(dict):
    """Model inputs (a plain tensor dict to every consumer) that also carry the structured chat."""

    chat: list[dict[str, Any]] | None = None

    def __reduce__(self):  # pickles (e.g. to a Ray actor) with the chat materialised
        return (_restore_chat_inputs, (dict(self), self.chat))


def _restore_chat_inputs(d: dict, chat: Any) -> "_ChatInputs":
    out = _ChatInputs(d)
    out.chat = chat
    return out


class ChatContextBuilder(ContextBuilder):
    """A ContextBuilder whose ``model_inputs`` also carry ``ContextBuilder.chat`` of the context.

    The agent loop builds requests from ``model_inputs`` alone; with this builder a chat engine
    finds the conversation on ``request.inputs.chat`` without the loop knowing about it.
    """

    def model_inputs(self, ctx, screenshots):  # type: ignore[override]
        out = _ChatInputs(super().model_inputs(ctx, screenshots))
        out.chat = self.chat(ctx, screenshots)
        return out
