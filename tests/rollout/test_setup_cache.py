"""Setup snapshots against a real hub and the real sandbox: a cached reset leaves exactly the
state the setup script leaves, a setup that is not deterministic (or reads the clock) keeps
running, a changed tuple file is never served a stale snapshot, and a slot reset through the
cache plays and scores like one that ran the script."""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path

import pytest
import requests

from cuagym.data.format import load_tuple
from cuagym.data.sandbox import HubAccess, Limits, run_script
from cuagym.rollout.setup_cache import SetupCache

pytestmark = [pytest.mark.usefixtures("sandbox"), pytest.mark.hub(["notes"])]

PIN = Path(__file__).resolve().parents[2] / "data" / "tuples" / "notes" / "notes.pin.hiring_plan"
LIMITS = Limits(timeout_s=30)

# A setup whose initial and current states differ (set, then set_current), so a snapshot must
# restore both.
SPLIT_SETUP = '''
import os, requests
BASE, SID = os.environ["CUA_HUB_URL_NOTES"], os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}
state = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H).json()["initial_state"]
state["ui"]["page"] = 2
requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set", "state": state}, headers=H).raise_for_status()
state["ui"]["page"] = 3
requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set_current", "state": state},
              headers=H).raise_for_status()
'''
RANDOM_SETUP = SPLIT_SETUP.replace('state["ui"]["page"] = 3', 'state["ui"]["page"] = 2 + os.urandom(1)[0] % 200')
CLOCK_SETUP = SPLIT_SETUP.replace("import os, requests", "import os, requests, time\n_t = time.time()")


def variant(tmp_path: Path, setup: str) -> Path:
    d = tmp_path / f"tuple-{secrets.token_hex(4)}"
    shutil.copytree(PIN, d)
    (d / "initial_setup.py").write_text(setup)
    return d


def states(hub, sid: str) -> dict:
    r = requests.get(f"{hub.urls['notes']}/go", params={"sid": sid}, headers={"X-CUA-Admin-Token": hub.admin_token})
    r.raise_for_status()
    g = r.json()
    return {"initial": g["initial_state"], "current": g["current_state"], "diff": g["state_diff"]}


def access(hub, sid: str) -> HubAccess:
    return HubAccess({"notes": hub.urls["notes"]}, sid, hub.admin_token)


def fresh(name: str) -> str:
    """A session id no other test used (setups read the session's state, as episodes' are fresh)."""
    return f"{name}-{secrets.token_hex(4)}"


@pytest.mark.parametrize("setup", [None, SPLIT_SETUP], ids=["bundled", "set_then_set_current"])
def test_cached_reset_is_exactly_the_script_state(hub, tmp_path, setup):
    t = load_tuple(PIN if setup is None else variant(tmp_path, setup))
    cache = SetupCache(tmp_path / "cache")
    # The reference: the script alone.
    ref, c1, c2, c3, c4 = (fresh(n) for n in ("ref", "c1", "c2", "c3", "c4"))
    assert run_script(t.script("initial_setup.py"), access(hub, ref), limits=LIMITS).ok
    want = states(hub, ref)
    # First reset: runs the script (and a probe run), stores the snapshot.
    first = cache.setup(t, access(hub, c1), LIMITS)
    assert first.ok and first.message != "restored from the setup cache"
    assert (cache.hits, cache.misses) == (0, 1)
    entries = list((tmp_path / "cache").glob("*.json"))
    assert len(entries) == 1
    assert json.loads(entries[0].read_text())["deterministic"] is True, (want, states(hub, c1))
    # Later resets: restored from it, the same state in every detail.
    for sid in (c2, c3):
        res = cache.setup(t, access(hub, sid), LIMITS)
        assert res.ok and res.message == "restored from the setup cache"
        got = states(hub, sid)
        assert json.dumps(got) == json.dumps(want) and got == states(hub, c1)
    assert cache.hits == 2
    if setup is not None:
        assert want["initial"]["ui"]["page"] == 2 and want["current"]["ui"]["page"] == 3
    # Another process (a new cache object on the same directory) reads the same snapshot.
    other = SetupCache(tmp_path / "cache")
    assert other.setup(t, access(hub, c4), LIMITS).message == "restored from the setup cache"
    assert states(hub, c4) == want


def test_nondeterministic_setup_keeps_running_the_script(hub, tmp_path):
    t = load_tuple(variant(tmp_path, RANDOM_SETUP))
    cache = SetupCache(tmp_path / "cache")
    assert cache.prepare(t, hub.urls, hub.admin_token, LIMITS) == "not deterministic"
    pages = set()
    for i in range(4):
        sid = fresh(f"r{i}")
        res = cache.setup(t, access(hub, sid), LIMITS)
        assert res.ok and res.message != "restored from the setup cache"
        pages.add(states(hub, sid)["current"]["ui"]["page"])
    assert cache.hits == 0 and cache.misses == 4 and len(pages) > 1  # every reset ran the script


def test_clock_reading_setup_is_never_snapshot(hub, tmp_path):
    t = load_tuple(variant(tmp_path, CLOCK_SETUP))
    cache = SetupCache(tmp_path / "cache")
    assert "time(" in cache.prepare(t, hub.urls, hub.admin_token, LIMITS)
    assert cache.setup(t, access(hub, fresh("k1")), LIMITS).ok
    assert not (tmp_path / "cache").exists() and cache.hits == cache.misses == 0


def test_a_changed_tuple_file_is_never_served_a_stale_snapshot(hub, tmp_path):
    d = variant(tmp_path, SPLIT_SETUP)
    cache = SetupCache(tmp_path / "cache")
    assert cache.prepare(load_tuple(d), hub.urls, hub.admin_token, LIMITS) == "cached"
    (d / "initial_setup.py").write_text(SPLIT_SETUP.replace('state["ui"]["page"] = 3', 'state["ui"]["page"] = 4'))
    s1 = fresh("s1")
    res = cache.setup(load_tuple(d), access(hub, s1), LIMITS)
    assert res.ok and res.message != "restored from the setup cache"
    assert states(hub, s1)["current"]["ui"]["page"] == 4
    # Any file counts, not only the setup script.
    (d / "reward.py").write_text((d / "reward.py").read_text() + "\n# edited\n")
    assert cache.setup(load_tuple(d), access(hub, fresh("s2")), LIMITS).message != "restored from the setup cache"
    assert len(list((tmp_path / "cache").glob("*.json"))) == 3


def test_slot_reset_through_the_cache_plays_and_scores(hub, browser, tmp_path):
    from cuagym.rollout.slot import EpisodeSlot

    t = load_tuple(PIN)
    cache = SetupCache(tmp_path / "cache")
    assert cache.prepare(t, hub.urls, hub.admin_token, LIMITS) == "cached"
    slot = EpisodeSlot(browser, hub.urls, hub.admin_token, limits=LIMITS, setup_cache=cache)
    try:
        slot.reset(t)
        assert cache.hits == 1
        assert slot.score().reward == 0.0
        # The golden UI trajectory reaches reward 1 from the restored state.
        for step in t.golden_actions().actions():
            slot.step(step)
        assert slot.score().reward == 1.0
        # The next episode on the slot starts from the snapshot again, not from the last state.
        slot.reset(t)
        assert cache.hits == 2 and slot.score().reward == 0.0
    finally:
        slot.close_context()


def test_a_snapshot_the_hub_refuses_fails_the_reset_once_and_is_dropped(hub, tmp_path):
    from cuagym.rollout.setup_cache import _Api

    t = load_tuple(variant(tmp_path, SPLIT_SETUP))
    cache = SetupCache(tmp_path / "cache")
    assert cache.prepare(t, hub.urls, hub.admin_token, LIMITS) == "cached"
    api = _Api({"notes": hub.urls["notes"]}, hub.admin_token)
    key = cache.key(t, api)
    api.close()
    entry = cache.load(key)
    entry["apps"]["notes"]["initial"]["ui"]["page"] = "not a page number"  # the schema refuses it
    cache.store(key, {k: v for k, v in entry.items() if k != "format"})
    res = cache.setup(t, access(hub, fresh("bad")), LIMITS)
    assert not res.ok and "could not be restored" in res.message and "422" in res.message
    assert cache.load(key) is None
    sid = fresh("after")
    res = cache.setup(t, access(hub, sid), LIMITS)  # runs the script again, and re-proves it
    assert res.ok and res.message != "restored from the setup cache"
    assert states(hub, sid)["current"]["ui"]["page"] == 3 and cache.load(key)["deterministic"] is True
