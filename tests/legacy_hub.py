"""A stand-in for one CUA-Gym-Hub app in its legacy mode, written from the protocol description.

    with LegacyHub() as hub:        # a to-do app on http://127.0.0.1:PORT
        hub.url, hub.requests

    python -m tests.legacy_hub --port 5173     # the same, in the foreground, to try commands against

Protocol (no auth at all):
  POST /post?sid=S  {"action": "set", "state"}  writes the initial file only if none exists,
                                                 and the current file
                    {"action": "set_current", "state"}  writes the current file
                    {"action": "reset"}          deletes both files (the app falls back to its
                                                 built-in defaults)
                    anything else                {"error": "Unknown action"}
  GET /go?sid=S     {"initial_state", "current_state", "state_diff"}, the diff by top-level key:
                    {key: {"added": value} | {"modified": value}}
  GET /state?sid=S  {"stored_state", "has_custom_state", "sid"}
  GET /?sid=S       the app's page: it reads /state, renders after a short delay (as a React
                    app's effects do), sets no ready marker, and writes each edit back with
                    set_current
"""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DEFAULT_STATE = {"list": "Home", "items": [{"id": 1, "text": "Buy milk", "done": False},
                                           {"id": 2, "text": "Water the plants", "done": False}]}

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>To-do</title>
<style>
body{margin:0;font-family:"DejaVu Sans",Arial,sans-serif;font-size:16px;background:#fafafa}
h1{margin:0;height:60px;line-height:60px;padding:0 24px;background:#3f51b5;color:#fff;font-size:22px}
ul{list-style:none;margin:0;padding:0}
li{height:48px;display:flex;align-items:center;padding:0 24px;border-bottom:1px solid #ddd}
li button{width:28px;height:28px;margin-right:16px;border:2px solid #3f51b5;background:#fff;cursor:pointer}
li.done button{background:#3f51b5}
li.done span{text-decoration:line-through;color:#888}
</style></head><body><div id="root">Loading...</div>
<script>
const sid = new URLSearchParams(location.search).get("sid");
const DEFAULTS = __DEFAULTS__;
let state = null;
function render() {
  const root = document.getElementById("root");
  root.innerHTML = "";
  const h = document.createElement("h1");
  h.textContent = state.list;
  const ul = document.createElement("ul");
  state.items.forEach((it, i) => {
    const li = document.createElement("li");
    li.className = it.done ? "done" : "";
    li.dataset.id = it.id;
    const b = document.createElement("button");
    b.title = it.done ? "Mark as not done" : "Mark as done";
    b.onclick = () => toggle(i);
    const s = document.createElement("span");
    s.textContent = it.text;
    li.append(b, s);
    ul.append(li);
  });
  root.append(h, ul);
}
async function toggle(i) {
  state.items[i].done = !state.items[i].done;
  render();
  await fetch(`/post?sid=${encodeURIComponent(sid)}`, {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({action: "set_current", state})});
}
fetch(`/state?sid=${encodeURIComponent(sid)}`).then((r) => r.json()).then((j) => {
  state = j.has_custom_state ? j.stored_state : JSON.parse(JSON.stringify(DEFAULTS));
  setTimeout(render, 150);
});
__SPINNER__
</script></body></html>"""
# A page that never goes quiet (an animated title), for the readiness bound.
SPINNER = 'setInterval(() => { document.title = "To-do " + Date.now(); }, 30);'



def top_level_diff(initial: dict | None, current: dict | None) -> dict:
    out = {}
    for k, v in (current or {}).items():
        if initial is None or k not in initial:
            out[k] = {"added": v}
        elif initial[k] != v:
            out[k] = {"modified": v}
    return out


class LegacyHub:
    """The legacy stand-in server in a thread; ``files`` is its store: sid -> {"initial", "current"}."""

    def __init__(self, port: int = 0, *, spinner: bool = False) -> None:
        self.files: dict[str, dict[str, dict]] = {}
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, headers) of every request
        self.lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a) -> None:
                pass

            def _reply(self, obj, status: int = 200, ctype: str = "application/json") -> None:
                body = obj.encode() if isinstance(obj, str) else json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def _sid(self) -> str:
                return (parse_qs(urlsplit(self.path).query).get("sid") or [""])[0]

            def do_GET(self) -> None:
                path, sid = urlsplit(self.path).path, self._sid()
                with hub.lock:
                    hub.requests.append(("GET", self.path, dict(self.headers)))
                    files = copy.deepcopy(hub.files.get(sid, {}))
                if path == "/":
                    page = PAGE.replace("__DEFAULTS__", json.dumps(DEFAULT_STATE))
                    return self._reply(page.replace("__SPINNER__", SPINNER if spinner else ""), ctype="text/html")
                if path == "/go":
                    return self._reply({"initial_state": files.get("initial"), "current_state": files.get("current"),
                                        "state_diff": top_level_diff(files.get("initial"), files.get("current"))})
                if path == "/state":
                    return self._reply({"stored_state": files.get("current"), "has_custom_state": "current" in files,
                                        "sid": sid})
                return self._reply({"error": "Not found"}, 404)

            def do_POST(self) -> None:
                sid = self._sid()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with hub.lock:
                    hub.requests.append(("POST", self.path, dict(self.headers)))
                if urlsplit(self.path).path != "/post":
                    return self._reply({"error": "Not found"}, 404)
                try:
                    payload = json.loads(body or b"{}")
                except ValueError:
                    return self._reply({"error": "Invalid JSON"}, 400)
                action = payload.get("action")
                with hub.lock:
                    files = hub.files.setdefault(sid, {})
                    if action == "set":
                        files.setdefault("initial", copy.deepcopy(payload.get("state")))
                        files["current"] = copy.deepcopy(payload.get("state"))
                    elif action == "set_current":
                        files["current"] = copy.deepcopy(payload.get("state"))
                    elif action == "reset":
                        hub.files.pop(sid, None)
                    else:
                        return self._reply({"error": "Unknown action"}, 400)
                return self._reply({"success": True})

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "LegacyHub":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="A legacy-protocol CUA-Gym-Hub stand-in (a to-do app) on loopback.")
    ap.add_argument("--port", type=int, default=5173)
    port = ap.parse_args().port
    with LegacyHub(port) as hub:
        print(f"todo {hub.url}", flush=True)
        threading.Event().wait()
