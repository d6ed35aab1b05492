"""``cuagym hub serve``: one line per app once it answers, clean SIGTERM, clear CLI errors."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import requests

from cuagym.hub.core.registry import app_names, load_spec
from cuagym.hub.launcher import HubProcess


def test_every_app_is_a_valid_spec_with_docs_and_seed():
    names = app_names()
    assert len(names) >= 6, names
    for name in names:
        spec = load_spec(name)
        assert spec.name == name
        seed = spec.seed_state()
        assert spec.validate(seed) == seed
        assert spec.schema_doc is not None and spec.schema_doc.exists(), name
        assert "Observable state changes" in spec.schema_doc.read_text(), name
        assert (spec.static_dir / "index.html").exists(), name


def test_serve_all_prints_each_app_and_stops_on_sigterm():
    t0 = time.monotonic()
    hub = HubProcess("all").start()
    elapsed = time.monotonic() - t0
    try:
        assert sorted(hub.urls) == app_names()
        for name, url in hub.urls.items():
            health = requests.get(f"{url}/health", timeout=5).json()
            assert health == {"ok": True, "app": name, "hardened": True, "sessions": 0}
            page = requests.get(url + "/", timeout=5)
            assert page.status_code == 200 and "/_cua/cua.js" in page.text
        print(f"hub serve: {len(hub.urls)} apps ready in {elapsed:.2f} s "
              f"({elapsed / len(hub.urls):.2f} s per app, including interpreter start)")
    finally:
        hub.proc.send_signal(signal.SIGTERM)
        rc = hub.proc.wait(15)
    assert rc == 0


def _serve(*args):
    return subprocess.run([sys.executable, "-m", "cuagym.cli", "hub", "serve", *args],
                          capture_output=True, text=True, timeout=60)


def test_serve_cli_errors():
    r = _serve("--apps", "mail,nosuchapp")
    assert r.returncode == 2 and "unknown hub app(s) nosuchapp" in r.stderr and "valid apps:" in r.stderr
    r = _serve("--frobnicate")
    assert r.returncode == 2 and "unrecognized arguments" in r.stderr
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        r = _serve("--apps", app_names()[0], "--port", str(busy.getsockname()[1]))
        assert r.returncode != 0 and "cannot bind" in r.stderr
    finally:
        busy.close()
