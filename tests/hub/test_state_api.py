"""The State API of hub/core over real HTTP on loopback, with a small counter app.

Covers the CUA-Gym-Hub wire contract (set / set_current / reset / go / state / upload /
files), bad input, session isolation, legacy mode and hardened mode seen from inside a real
Chromium page.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import requests
import uvicorn
from pydantic import BaseModel, ConfigDict

from cuagym.hub.core import AppSpec, create_app
from cuagym.hub.core.auth import COOKIE_ALIAS

from .conftest import wait_idle

TOKEN = "test-admin-token"


class CounterState(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int = 0
    label: str = ""
    toast: str = ""


SPEC = AppSpec(name="counter", title="Counter", state_model=CounterState,
               seed=lambda: {"count": 0, "label": "seed"}, static_dir=Path(__file__).parent / "toyapp",
               transient_keys=("toast",))


class Served:
    def __init__(self, hardened: bool, max_state_bytes: int = 4096):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(SPEC, admin_token=TOKEN, hardened=hardened, max_state_bytes=max_state_bytes)
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                break
            time.sleep(0.02)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(5)


@pytest.fixture(scope="module")
def hard():
    s = Served(hardened=True)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def legacy():
    s = Served(hardened=False)
    yield s
    s.stop()


ADMIN = {"X-CUA-Admin-Token": TOKEN}


def post(server, sid, payload, headers=ADMIN, **kw):
    return requests.post(f"{server.url}/post", params={"sid": sid} if sid is not None else {}, json=payload,
                         headers=headers, **kw)


def go(server, sid, headers=ADMIN):
    return requests.get(f"{server.url}/go", params={"sid": sid}, headers=headers)


def test_fresh_session_starts_from_seed(hard):
    r = go(hard, "fresh-1")
    assert r.status_code == 200
    body = r.json()
    assert body["initial_state"] == {"count": 0, "label": "seed", "toast": ""}
    assert body["current_state"] == body["initial_state"] and body["state_diff"] == {}


def test_set_set_current_reset_and_diff(hard):
    assert post(hard, "s1", {"action": "set", "state": {"count": 3, "label": "a"}}).json()["ok"]
    assert post(hard, "s1", {"action": "set_current", "state": {"count": 5, "label": "a", "toast": "hi"}}).ok
    body = go(hard, "s1").json()
    assert body["initial_state"]["count"] == 3 and body["current_state"]["count"] == 5
    assert body["state_diff"] == {"count": {"old": 3, "new": 5}}  # toast is transient
    assert requests.get(f"{hard.url}/state", params={"sid": "s1"}, headers=ADMIN).json()["count"] == 5
    assert post(hard, "s1", {"action": "reset"}).ok
    assert go(hard, "s1").json()["current_state"]["count"] == 3


def test_go_reencodes_after_every_write(hard):
    """/go keeps the initial state's encoding between calls: every write must show at once."""
    assert post(hard, "enc", {"action": "set", "state": {"count": 1, "label": "a"}}).ok
    for _ in range(2):
        body = go(hard, "enc").json()
        assert body["current_state"] == body["initial_state"] == {"count": 1, "label": "a", "toast": ""}
        assert body["state_diff"] == {}
    assert post(hard, "enc", {"action": "set_current", "state": {"count": 2, "label": "a"}}).ok
    assert go(hard, "enc").json()["state_diff"] == {"count": {"old": 1, "new": 2}}
    assert post(hard, "enc", {"action": "set_current", "state": {"label": "b"}, "merge": True}).ok
    assert go(hard, "enc").json()["state_diff"] == {"count": {"old": 1, "new": 2}, "label": {"old": "a", "new": "b"}}
    assert post(hard, "enc", {"action": "reset"}).ok
    assert go(hard, "enc").json()["state_diff"] == {}
    assert post(hard, "enc", {"action": "set", "state": {"count": 7, "label": "\u00e9"}}).ok
    r = go(hard, "enc")
    assert r.headers["content-type"] == "application/json" and r.headers["cache-control"] == "no-store"
    assert r.json() == {"initial_state": {"count": 7, "label": "\u00e9", "toast": ""},
                        "current_state": {"count": 7, "label": "\u00e9", "toast": ""}, "state_diff": {}}


def test_merge_updates_only_given_keys(hard):
    post(hard, "m1", {"action": "set", "state": {"count": 1, "label": "keep"}})
    assert post(hard, "m1", {"action": "set_current", "state": {"count": 9}, "merge": True}).ok
    assert go(hard, "m1").json()["current_state"] == {"count": 9, "label": "keep", "toast": ""}
    assert post(hard, "m1", {"action": "set", "state": {"label": "new"}, "merge": True}).ok
    assert go(hard, "m1").json()["initial_state"]["label"] == "new"


@pytest.mark.parametrize("kwargs, status, fragment", [
    ({"data": b"{not json"}, 400, "malformed JSON"),
    ({"json": {"action": "explode"}}, 400, "unknown action 'explode'"),
    ({"json": ["set"]}, 400, "expected a JSON object"),
    ({"json": {"action": "set", "state": {"count": "many"}}}, 422, "count"),
    ({"json": {"action": "set", "state": {"count": 1, "colour": "red"}}}, 422, "colour"),
    ({"json": {"action": "set_current", "state": [1]}}, 400, "needs \"state\""),
    ({"json": {"action": "set", "state": {"count": 1}, "merge": "yes"}}, 400, "merge"),
    ({"json": {"action": "set", "state": {"count": 1, "label": "x" * 10_000}}}, 413, "exceeds the limit"),
])
def test_bad_input_is_refused_and_loses_nothing(hard, kwargs, status, fragment):
    post(hard, "bad", {"action": "set", "state": {"count": 7, "label": "safe"}})
    before = go(hard, "bad").json()
    r = requests.post(f"{hard.url}/post", params={"sid": "bad"}, headers=ADMIN, **kwargs)
    assert r.status_code == status, r.text
    assert fragment in r.json()["error"]
    assert go(hard, "bad").json() == before


@pytest.mark.parametrize("sid, fragment", [(None, "missing session id"), ("", "missing session id"),
                                           ("../etc", "invalid session id"), ("a" * 65, "invalid session id"),
                                           ("a b", "invalid session id")])
def test_sid_is_required_and_sanitised(hard, sid, fragment):
    params = {} if sid is None else {"sid": sid}
    r = requests.get(f"{hard.url}/go", params=params, headers=ADMIN)
    assert r.status_code == 400 and fragment in r.json()["error"]


def test_hardened_refusals_outside_the_browser(hard):
    post(hard, "h1", {"action": "set", "state": {"count": 1, "label": "x"}})
    assert go(hard, "h1", headers={}).status_code == 401
    assert go(hard, "h1", headers={"X-CUA-Admin-Token": "wrong"}).status_code == 403
    assert go(hard, "h1", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert post(hard, "h1", {"action": "reset"}, headers={}).status_code == 401
    assert post(hard, "h1", {"action": "set_current", "state": {"count": 2}}, headers={}).status_code == 403
    assert requests.get(f"{hard.url}/state", params={"sid": "h1"}).status_code == 403
    assert requests.get(f"{hard.url}/state", params={"sid": COOKIE_ALIAS}).status_code == 403
    assert requests.post(f"{hard.url}/upload", params={"sid": "h1"}, files={"f": ("a.txt", b"x")}).status_code == 403
    for r in (go(hard, "h1", headers={}), requests.get(f"{hard.url}/state", params={"sid": "h1"})):
        assert r.headers["content-type"].startswith("application/json") and r.json()["error"]
    assert go(hard, "h1").json()["current_state"]["count"] == 1


def test_upload_and_files(hard):
    r = requests.post(f"{hard.url}/upload", params={"sid": "u1"}, headers=ADMIN,
                      files=[("file", ("notes.txt", b"hello", "text/plain")), ("file", ("b.csv", b"1,2", "text/csv"))])
    assert r.status_code == 200
    recs = {f["name"]: f for f in r.json()["files"]}
    assert recs["notes.txt"]["size"] == 5 and recs["b.csv"]["content_type"] == "text/csv"
    got = requests.get(f"{hard.url}/files/u1/notes.txt", headers=ADMIN)
    assert got.content == b"hello"
    assert requests.get(f"{hard.url}/files/u1/notes.txt").status_code == 403
    assert requests.get(f"{hard.url}/files/u2/notes.txt", headers=ADMIN).status_code == 404
    bad = requests.post(f"{hard.url}/upload", params={"sid": "u1"}, headers=ADMIN, files={"f": ("..", b"x")})
    assert bad.status_code == 400
    empty = requests.post(f"{hard.url}/upload", params={"sid": "u1"}, headers=ADMIN, data={"a": "b"})
    assert empty.status_code == 400 and "no files" in empty.json()["error"]


def test_legacy_mode_is_open_by_sid(legacy):
    r = post(legacy, "L1", {"action": "set", "state": {"count": 2, "label": "l"}}, headers={})
    assert r.ok and r.json()["launch_url"].endswith("/?sid=L1")
    assert go(legacy, "L1", headers={}).json()["current_state"]["count"] == 2
    assert post(legacy, "L1", {"action": "reset"}, headers={}).ok


def _launch(browser, server, sid, state):
    url = post(server, sid, {"action": "set", "state": state}).json()["launch_url"]
    ctx = browser.new_context(viewport={"width": 640, "height": 400})
    page = ctx.new_page()
    page.goto(url)
    wait_idle(page)
    return ctx, page, url


def test_page_writes_its_own_session_through_the_cookie(browser, hard):
    ctx, page, _ = _launch(browser, hard, "p1", {"count": 4, "label": "start"})
    try:
        assert page.text_content("#count") == "4"
        page.click("#inc")
        page.fill("#label", "typed")
        wait_idle(page)
        assert go(hard, "p1").json()["state_diff"] == {"count": {"old": 4, "new": 5},
                                                      "label": {"old": "start", "new": "typed"}}
        cookies = ctx.cookies()
        assert len(cookies) == 1 and cookies[0]["httpOnly"] and cookies[0]["name"] == "cua_session_counter"
    finally:
        ctx.close()


def test_page_cannot_read_or_write_what_it_is_graded_on(browser, hard):
    post(hard, "victim", {"action": "set", "state": {"count": 100, "label": "other"}})
    ctx, page, launch_url = _launch(browser, hard, "p2", {"count": 1, "label": "mine"})
    try:
        probes = page.evaluate("""async () => {
          const j = (u, body) => fetch(u, body ? {method: 'POST', headers: {'Content-Type': 'application/json'},
                                                  body: JSON.stringify(body)} : {}).then(r => r.status);
          const out = {};
          out.go_own = await j('/go?sid=__cua_session__');
          out.go_real = await j('/go?sid=p2');
          out.go_other = await j('/go?sid=victim');
          out.set_own = await j('/post?sid=__cua_session__', {action: 'set', state: {count: 1}});
          out.reset_own = await j('/post?sid=__cua_session__', {action: 'reset'});
          out.set_other = await j('/post?sid=victim', {action: 'set', state: {count: 1}});
          out.set_current_other = await j('/post?sid=victim', {action: 'set_current', state: {count: 1}});
          out.state_other = await j('/state?sid=victim');
          out.files_other = await j('/files/victim/x.txt');
          out.guesses = [];
          for (const g of ['default', 'test', '1', 'p1', 'p3', 'admin', 'session']) out.guesses.push(await j('/state?sid=' + g));
          out.cookie = document.cookie;
          return out;
        }""")
        # Admin-only actions answer 401 (no token); acting on a real sid without the token, 403.
        assert probes["go_own"] == 401 and probes["go_real"] == 401 and probes["go_other"] == 401
        assert probes["set_own"] == 401 and probes["reset_own"] == 401
        assert probes["set_other"] == 401 and probes["set_current_other"] == 403
        assert probes["state_other"] == 403 and probes["files_other"] == 403
        assert set(probes["guesses"]) == {403}
        assert probes["cookie"] == ""  # HttpOnly: invisible to page scripts
        # Replaying the used launch URL is refused, from the page and from outside.
        assert page.evaluate("u => fetch(u, {redirect: 'manual'}).then(r => r.status)", launch_url) in (0, 403)
        assert requests.get(launch_url, allow_redirects=False).status_code == 403
        # Nothing the agent can see names the real sid or the token.
        html = page.content()
        for secret in ("p2", TOKEN):
            assert secret not in page.url and secret not in html
        assert go(hard, "victim").json()["current_state"]["count"] == 100
        assert go(hard, "p2").json()["current_state"]["count"] == 1
    finally:
        ctx.close()


def test_a_new_set_revokes_the_previous_episode_cookie(browser, hard):
    ctx, page, _ = _launch(browser, hard, "p3", {"count": 1, "label": ""})
    try:
        post(hard, "p3", {"action": "set", "state": {"count": 50, "label": ""}})
        status = page.evaluate("() => fetch('/state?sid=__cua_session__').then(r => r.status)")
        assert status == 403
    finally:
        ctx.close()


def test_two_sessions_in_parallel_stay_isolated(browser, hard):
    a = _launch(browser, hard, "iso-a", {"count": 0, "label": ""})
    b = _launch(browser, hard, "iso-b", {"count": 10, "label": ""})
    try:
        for _ in range(3):
            a[1].click("#inc")
            b[1].click("#inc")
            b[1].click("#inc")
        a[1].fill("#label", "only-a")
        wait_idle(a[1])
        wait_idle(b[1])
        sa, sb = go(hard, "iso-a").json(), go(hard, "iso-b").json()
        assert sa["current_state"] == {"count": 3, "label": "only-a", "toast": ""}
        assert sb["current_state"] == {"count": 16, "label": "", "toast": ""}
        a[1].reload()
        wait_idle(a[1])
        assert a[1].text_content("#count") == "3"
    finally:
        a[0].close()
        b[0].close()
