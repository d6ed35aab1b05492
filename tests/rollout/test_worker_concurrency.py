"""One env worker drives all its slots from one event loop: a step on one slot completes while a
reset on another slot of the same worker is still in flight (in the worker itself, and through
the pool in local and Ray mode), and calls numbered for one slot run in their order whatever
order they arrive in; a browser killed while calls are in flight loses each episode once, and a
reset in flight starts again in the new browser. The slow reset is a real setup script held at
a gate (a hub session the test opens), so the order of events is decided by the test, not by
timing."""

from __future__ import annotations

import shutil
import secrets
from pathlib import Path

import pytest

from cuagym.actions import Action
from cuagym.data.format import load_tuple
from cuagym.hub.client import HubClient
from cuagym.rollout.pool import EnvPool
from cuagym.rollout.slot import EnvironmentFailure
from cuagym.rollout.worker import EnvWorker

pytestmark = [pytest.mark.usefixtures("sandbox"), pytest.mark.hub(["notes"])]

PIN = Path(__file__).resolve().parents[2] / "data" / "tuples" / "notes" / "notes.pin.hiring_plan"
OPEN = 77  # the gate session's ui.page once the test opens the gate
WAIT_S = 120  # a bound on each wait, so a worker that serializes its slots fails instead of hanging

# The tuple's own setup, after waiting until the gate session's current state says "open".
GATE = '''
import os, time, requests
BASE, H = os.environ["CUA_HUB_URL_NOTES"], {{"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}}
while requests.get(f"{{BASE}}/go", params={{"sid": {gate!r}}}, headers=H).json()["current_state"]["ui"]["page"] != {open}:
    time.sleep(0.05)
'''


class Gate:
    """A hub session whose state a gated setup script polls; ``open()`` lets the script go on."""

    def __init__(self, hub, tmp_path: Path) -> None:
        self.client = HubClient(hub.urls["notes"], hub.admin_token)
        self.sid = f"gate-{secrets.token_hex(6)}"
        self.state = self.client.seed(self.sid)
        self.state["ui"]["page"] = 1
        self.client.set(self.sid, self.state)
        self.tuple_dir = tmp_path / "gated"
        shutil.copytree(PIN, self.tuple_dir)
        script = self.tuple_dir / "initial_setup.py"
        script.write_text(GATE.format(gate=self.sid, open=OPEN) + script.read_text())

    def open(self) -> None:
        self.state["ui"]["page"] = OPEN
        self.client.post(self.sid, {"action": "set_current", "state": self.state})

    def close(self) -> None:
        self.open()  # never leave a script waiting
        self.client.close()


@pytest.fixture
def gate(hub, tmp_path):
    g = Gate(hub, tmp_path)
    yield g
    g.close()


CLICK = [Action("click", x=640, y=760, frame="screen")]


def test_a_step_completes_while_another_slot_of_the_worker_resets(hub, gate):
    w = EnvWorker(hub.urls, hub.admin_token, 2, setup_cache="off")
    try:
        w.reset(0, str(PIN))
        slow = w.submit("reset", 1, str(gate.tuple_dir))
        obs, results = w.step(0, CLICK)  # slot 1's reset is held at the gate meanwhile
        assert results[0].ok and obs.png[:4] == b"\x89PNG"
        assert w.score(0).reward == 0.0
        assert not slow.done(), "slot 1's reset finished before its gate opened"
        gate.open()
        obs = slow.result(timeout=WAIT_S).decode()
        assert obs.screenshot.size == (1280, 800)
        _, results = w.step(1, CLICK)
        assert results[0].ok and w.ping()["launches"] == 1
    finally:
        w.close()


def test_a_browser_killed_under_concurrent_calls_loses_each_episode_once(hub, gate):
    w = EnvWorker(hub.urls, hub.admin_token, 2, setup_cache="off")
    try:
        w.reset(0, str(PIN))
        slow = w.submit("reset", 1, str(gate.tuple_dir))  # in flight (at the gate) when the browser dies
        w.kill_browser()
        with pytest.raises(EnvironmentFailure, match="browser"):
            w.step(0, CLICK)  # slot 0's episode was in the dead browser
        with pytest.raises(EnvironmentFailure, match="before reset"):
            w.step(0, CLICK)  # reported once: the slot now simply has no episode
        gate.open()
        obs = slow.result(timeout=WAIT_S).decode()  # the reset started again in the new browser
        assert obs.screenshot.size == (1280, 800)
        _, results = w.step(1, CLICK)
        assert results[0].ok and w.score(1).reward == 0.0
        w.reset(0, str(PIN))
        assert w.score(0).reward == 0.0
        info = w.ping()
        assert info["launches"] == 2 and info["browser_alive"]
    finally:
        w.close()


def test_numbered_calls_of_one_slot_run_in_their_order(hub):
    w = EnvWorker(hub.urls, hub.admin_token, 1, setup_cache="off")
    try:
        done = []
        # Sent last to first: turn 2 (score) must wait for turn 1 (release), which waits for turn 0 (reset).
        score = w.submit_ordered(2, "score", 0)
        release = w.submit_ordered(1, "release", 0)
        reset = w.submit_ordered(0, "reset", 0, str(PIN))
        for name, f in (("score", score), ("release", release), ("reset", reset)):
            f.add_done_callback(lambda _, name=name: done.append(name))
        assert reset.result(timeout=WAIT_S).png[:4] == b"\x89PNG"
        assert release.result(timeout=WAIT_S) is None
        with pytest.raises(EnvironmentFailure, match="before reset"):  # the episode was released first
            score.result(timeout=WAIT_S)
        assert done == ["reset", "release", "score"]
        with pytest.raises(ValueError, match="already taken"):
            w.ordered(1, "step", 0, [])
    finally:
        w.close()


@pytest.mark.parametrize("mode", ["local", "ray"])
def test_the_pool_overlaps_calls_on_slots_of_one_worker(request, hub, gate, mode):
    if mode == "ray":
        request.getfixturevalue("ray_session")
    t, gated = load_tuple(PIN), load_tuple(gate.tuple_dir)
    with EnvPool(hub.urls, hub.admin_token, workers=1, slots_per_worker=2, mode=mode, cpus_per_worker=0.5,
                 call_timeout_s=WAIT_S, setup_cache="off") as pool:
        a, b = pool.acquire(), pool.acquire()
        assert a.worker == b.worker == 0 and a.slot != b.slot
        a.reset(t)
        slow = b.submit_reset(gated)
        for _ in range(2):
            _, results = a.step(CLICK)
            assert results[0].ok
        assert a.score().reward == 0.0
        gate.open()
        assert slow.result().screenshot.size == (1280, 800)
        assert b.score().reward == 0.0
        pool.release(a)
        pool.release(b)
        assert pool.replacements == 0
