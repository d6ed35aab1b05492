"""Write small tuples for the notes app in tests (self-contained scripts, like real tuples)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

PRELUDE = """\
import os, requests
BASE, SID = os.environ["CUA_HUB_URL_NOTES"], os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}
def go():
    r = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
    r.raise_for_status()
    return r.json()
def post(action, state):
    requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": action, "state": state}, headers=H,
                  timeout=10).raise_for_status()
def target(state):
    # The first note that is neither pinned nor trashed, in the seed's order.
    return next(n for n in state["notes"] if not n["pinned"] and not n["trashed"])
"""

SETUP = PRELUDE + """
state = go()["initial_state"]
state["ui"]["selected_note"] = target(state)["id"]
post("set", state)
"""

GOLDEN = PRELUDE + """
state = go()["current_state"]
tid = state["ui"]["selected_note"]
for n in state["notes"]:
    if n["id"] == tid:
        n["pinned"] = True
post("set_current", state)
"""

REWARD = PRELUDE + """
g = go()
tid = target(g["initial_state"])["id"]
before = {n["id"]: n for n in g["initial_state"]["notes"]}
after = {n["id"]: n for n in g["current_state"]["notes"]}
pinned = tid in after and after[tid]["pinned"] and not after[tid]["trashed"]
others = all(i in after and after[i]["pinned"] == n["pinned"] and after[i]["trashed"] == n["trashed"]
             for i, n in before.items() if i != tid)
print("pinned", pinned, "others", others)
print(f"REWARD: {1.0 if pinned and others else (0.5 if pinned else 0.0)}")
"""

NEAR_WRONG_NOTE = PRELUDE + """
state = go()["current_state"]
tid = state["ui"]["selected_note"]
other = next(n for n in state["notes"] if n["id"] != tid and not n["pinned"] and not n["trashed"])
other["pinned"] = True
post("set_current", state)
"""

NEAR_PIN_ALL = PRELUDE + """
state = go()["current_state"]
for n in state["notes"]:
    n["pinned"] = True
post("set_current", state)
"""


def write_tuple(root: Path, tid: str = "notes.pin.first", *, setup: str = SETUP, golden: str = GOLDEN,
                reward: str = REWARD, near: dict[str, str] | None = None, golden_actions: dict | None = None,
                config: dict | None = None) -> Path:
    d = root / tid
    d.mkdir(parents=True, exist_ok=True)
    cfg = {"id": tid, "apps": ["notes"], "instruction": "Pin the note that is open in the editor.",
           "success_criteria": ["the open note is pinned", "no other note changed"], "difficulty": "easy",
           "family": "notes.pin", "provenance": {"source": "test"}}
    cfg.update(config or {})
    (d / "task_config.json").write_text(json.dumps(cfg))
    (d / "initial_setup.py").write_text(textwrap.dedent(setup))
    (d / "golden_patch.py").write_text(textwrap.dedent(golden))
    (d / "reward.py").write_text(textwrap.dedent(reward))
    near = {"wrong_note": NEAR_WRONG_NOTE, "pin_all": NEAR_PIN_ALL} if near is None else near
    if near:
        (d / "near_miss").mkdir(exist_ok=True)
        for name, body in near.items():
            (d / "near_miss" / f"{name}.py").write_text(textwrap.dedent(body))
    if golden_actions is not None:
        (d / "golden_actions.json").write_text(json.dumps(golden_actions))
    return d
