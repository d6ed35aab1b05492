"""JSON over HTTP with retries: the transport shared by every client of an OpenAI-compatible server
(the policy engine in :mod:`cuagym.rollout.engines.openai_compat`, the synthesis LLM client).

Transient failures (connection errors, timeouts, HTTP 408/409/429/5xx, a body that is not a
JSON object) are retried with exponential backoff and jitter, honouring ``Retry-After``; any
other 4xx fails at once with the server's own message.
"""

from __future__ import annotations

import json
import random
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable

RETRY_STATUS = (408, 409, 429, 500, 502, 503, 504)


class HTTPJSONError(RuntimeError):
    """A request that cannot succeed: a non-retryable HTTP error, or retries ran out."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Retryable(Exception):
    """One attempt failed in a way worth retrying (``retry_after`` seconds when the server said)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 4      # further attempts after the first, for transient failures only
    backoff_s: float = 0.5    # first retry delay; doubles per attempt, with +-25% jitter
    max_backoff_s: float = 16.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        d = min(self.max_backoff_s, self.backoff_s * 2 ** attempt) * (0.75 + 0.5 * random.random())
        if retry_after is not None:
            d = min(self.max_backoff_s, max(d, retry_after))
        return d


def error_detail(body: bytes) -> str:
    """The server's error message: OpenAI's {"error": {"message": ...}}, FastAPI's {"detail": ...}, or text."""
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text[:300] or "(empty body)"
    if isinstance(data, dict):
        err = data.get("error", data.get("detail", data.get("message")))
        if isinstance(err, dict):
            err = err.get("message", err)
        if err is not None:
            return str(err)[:500]
    return text[:300]


def attempt_json(req: urllib.request.Request, timeout_s: float,
                 error_cls: type[HTTPJSONError] = HTTPJSONError) -> dict[str, Any]:
    """One HTTP exchange returning a JSON object; raises Retryable or ``error_cls``."""
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            body = resp.read()
    except urllib.error.HTTPError as e:
        detail = error_detail(e.read())
        if e.code in RETRY_STATUS:
            retry_after = e.headers.get("Retry-After") if e.headers else None
            raise Retryable(f"HTTP {e.code}: {detail}",
                            float(retry_after) if retry_after and retry_after.isdigit() else None) from None
        raise error_cls(f"{req.full_url}: HTTP {e.code}: {detail}", status=e.code) from None
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as e:
        reason = getattr(e, "reason", e)
        raise Retryable(f"{type(reason).__name__}: {reason}") from None
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise Retryable(f"reply is not JSON ({e}); starts with {body[:120]!r}") from None
    if not isinstance(data, dict):
        raise Retryable(f"reply is JSON {type(data).__name__}, expected an object")
    return data


def with_retries(attempt: Callable[[], dict[str, Any]], policy: RetryPolicy, what: str, *,
                 on_event: Callable[[str], None] = lambda event: None,
                 error_cls: type[HTTPJSONError] = HTTPJSONError) -> dict[str, Any]:
    """Run ``attempt`` until it returns, retrying :class:`Retryable` failures by ``policy``.

    ``on_event`` hears "request" before every attempt and "retry" before every retry (for counters).
    """
    last = ""
    for k in range(policy.max_retries + 1):
        on_event("request")
        try:
            return attempt()
        except Retryable as e:
            last = str(e)
            if k == policy.max_retries:
                break
            on_event("retry")
            time.sleep(policy.delay(k, e.retry_after))
    raise error_cls(f"{what}: gave up after {policy.max_retries + 1} attempts; last error: {last}")


def json_headers(api_key: str = "") -> dict[str, str]:
    h = {"Content-Type": "application/json", "Accept": "application/json"}
    if api_key:
        h["Authorization"] = f"Bearer {api_key}"
    return h


def post_json(url: str, body: dict[str, Any], *, api_key: str = "", timeout_s: float, policy: RetryPolicy,
              on_event: Callable[[str], None] = lambda event: None,
              error_cls: type[HTTPJSONError] = HTTPJSONError) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    return with_retries(lambda: attempt_json(urllib.request.Request(url, raw, json_headers(api_key), method="POST"),
                                             timeout_s, error_cls), policy, url, on_event=on_event, error_cls=error_cls)


def get_json(url: str, *, api_key: str = "", timeout_s: float, policy: RetryPolicy,
             on_event: Callable[[str], None] = lambda event: None,
             error_cls: type[HTTPJSONError] = HTTPJSONError) -> dict[str, Any]:
    req = urllib.request.Request(url, headers=json_headers(api_key), method="GET")
    return with_retries(lambda: attempt_json(req, timeout_s, error_cls), policy, url, on_event=on_event,
                        error_cls=error_cls)
