"""A test double for an OpenAI-compatible server (an external service that cannot run here):
a real HTTP server on loopback answering /v1/chat/completions and /v1/models with the real
protocol, from scripted replies. Shared by the engine tests and the synthesis tests."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

Reply = tuple[int, Any, dict[str, str]]  # status, body (dict -> JSON, bytes/str as is), headers


class OpenAIDouble:
    """A loopback HTTP server answering /v1/chat/completions and /v1/models like an OpenAI server.

    ``script`` is consumed one entry per chat request; an entry is a Reply or a function of the
    request JSON returning one. When it runs out, ``default`` answers.
    """

    def __init__(self, default: Callable[[dict], Reply] | None = None, models: tuple[str, ...] = ("served-policy",)):
        self.script: list[Reply | Callable[[dict], Reply]] = []
        self.default = default or (lambda body: (200, completion("<tool_call>\n{}\n</tool_call>"), {}))
        self.models = models
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # keep test output clean
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
                raw = body if isinstance(body, bytes) else (body.encode() if isinstance(body, str)
                                                            else json.dumps(body).encode())
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout test)

            def do_GET(self):
                if self.path == "/v1/models":
                    self._send(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in double.models]},
                               {})
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}}, {})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path != "/v1/chat/completions":
                    self._send(404, {"error": {"message": f"no route {self.path}"}}, {})
                    return
                double.requests.append(body)
                double.headers.append(dict(self.headers))
                entry = double.script.pop(0) if double.script else double.default
                status, out, headers = entry(body) if callable(entry) else entry
                self._send(status, out, headers)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def completion(content: str | None, *, logprobs: list[dict] | None = None, tool_calls: list | None = None,
               finish: str = "stop") -> dict:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    choice: dict[str, Any] = {"index": 0, "message": message, "finish_reason": finish}
    if logprobs is not None:
        choice["logprobs"] = {"content": logprobs}
    return {"id": "cmpl-1", "object": "chat.completion", "created": 0, "model": "served-policy", "choices": [choice]}
