"""Reward for kanban.label_filter.security.

Task: Filter the board to the issues labelled Security.
Success criteria:
- The issues are filtered by the Security label
- No search text or assignee filter hides issues
- No issue is created, edited or deleted
"""

import os

import requests

BASE = os.environ["CUA_HUB_URL_KANBAN"]
SID = os.environ["CUA_SID"]
TOKEN = os.environ.get("CUA_GYM_ADMIN_TOKEN", "")
H = {"X-CUA-Admin-Token": TOKEN} if TOKEN else {}

WANT_LABEL = "Security"

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


want = label_id(CUR, WANT_LABEL)
ui = CUR["ui"]
label_ok = want is not None and ui["filter_label"] == want
others_clear = ui["search"].strip() == "" and ui["filter_assignee"] is None
finish([
    (f"the label filter is {WANT_LABEL!r}", 2, label_ok),
    ("no search text or assignee filter hides other issues with that label", 1, others_clear),
    ("no issue, member or label was created, edited or deleted", 1, not DATA_CHANGES),
], gate=label_ok)
