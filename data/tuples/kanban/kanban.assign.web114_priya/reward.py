"""Reward for kanban.assign.web114_priya.

Task: Reassign WEB-114 (Redesign the notification settings) from Sofia Lindqvist to Priya Raman.
Success criteria:
- WEB-114's assignee is Priya Raman
- No other field of WEB-114 and no other issue changes
"""

import os

import requests

BASE = os.environ["CUA_HUB_URL_KANBAN"]
SID = os.environ["CUA_SID"]
TOKEN = os.environ.get("CUA_GYM_ADMIN_TOKEN", "")
H = {"X-CUA-Admin-Token": TOKEN} if TOKEN else {}

TARGET = "WEB-114"
WANT_ASSIGNEE = "Priya Raman"

go = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
go.raise_for_status()
g = go.json()
INIT, CUR, DIFF = g["initial_state"], g["current_state"], g["state_diff"]
# Changes to data (issues, members, labels, ...): ui.* paths are only the view.
DATA_CHANGES = sorted(p for p in DIFF if not p.startswith("ui."))


def issues_of(state):
    return {i["id"]: i for i in state["issues"]}


def member_id(state, name):
    return next((m["id"] for m in state["members"] if m["name"] == name), None)


def label_id(state, name):
    return next((lb["id"] for lb in state["labels"] if lb["name"] == name), None)


def norm(text):
    # Whitespace, letter case and a final full stop are not part of what was asked.
    return " ".join(str(text).split()).rstrip(".").casefold()


def finish(checks, gate=True):
    """Print each check and the reward; checks are (description, points, passed: bool or fraction).

    Nothing counts unless the gate (the core of the task) holds.
    """
    total = sum(p for _, p, _ in checks)
    got = sum(p * float(ok) for _, p, ok in checks) if gate else 0.0
    for name, p, ok in checks:
        mark = "x" if float(ok) == 1.0 else ("~" if float(ok) > 0 else " ")
        print(f"[{mark}] {name} ({p:g} of {total:g})")
    if DATA_CHANGES:
        print("data changes:", ", ".join(DATA_CHANGES[:20]))
    print(f"REWARD: {round(got / total, 4):g}")


# The member is named in the task; find their id (None: nobody assigned).
want = None if WANT_ASSIGNEE is None else member_id(CUR, WANT_ASSIGNEE)
target = issues_of(CUR).get(TARGET)
value_ok = (target is not None and (WANT_ASSIGNEE is None or want is not None)
            and target["assignee"] == want)
intact = set(DATA_CHANGES) <= {f"issues.{TARGET}.assignee"}
finish([
    (f"{TARGET} still exists and is assigned to {WANT_ASSIGNEE or 'nobody'}", 2, value_ok),
    ("no other field (reporter, status, ...) and no other issue changed", 1, intact),
], gate=value_ok)
