"""Reward for kanban.bulk_assign.bugs_to_daniel.

Task: Every Bug issue that has no assignee should go to Daniel Okafor: assign them all to him.
Success criteria:
- Each issue labelled Bug that had no assignee is assigned to Daniel Okafor
- No other issue (including unassigned issues without the Bug label) and no other field changes
"""

import os

import requests

BASE = os.environ["CUA_HUB_URL_KANBAN"]
SID = os.environ["CUA_SID"]
TOKEN = os.environ.get("CUA_GYM_ADMIN_TOKEN", "")
H = {"X-CUA-Admin-Token": TOKEN} if TOKEN else {}

ASSIGNEE = "Daniel Okafor"
SELECT_STATUS = None  # None: any column
SELECT_LABEL = "Bug"  # None: any label

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


want = member_id(CUR, ASSIGNEE)
select_label = label_id(INIT, SELECT_LABEL) if SELECT_LABEL else None


def selected(i):
    return (i["assignee"] is None and (SELECT_STATUS is None or i["status"] == SELECT_STATUS)
            and (select_label is None or select_label in i["labels"]))


# The issues the task is about, as they were when the task was given.
targets = [i["id"] for i in INIT["issues"] if selected(i)]
if not targets or want is None:
    raise SystemExit(f"task does not apply to this state: targets={targets}, assignee id={want}")
cur = issues_of(CUR)
done = [t for t in targets if t in cur and cur[t]["assignee"] == want]
intact = set(DATA_CHANGES) <= {f"issues.{t}.assignee" for t in targets}
print("targets:", ", ".join(targets), "| done:", ", ".join(done) or "none")
finish([
    (f"every such issue is assigned to {ASSIGNEE} ({len(done)} of {len(targets)})", 4, len(done) / len(targets)),
    ("no other issue and no other field changed", 1, intact),
], gate=bool(done))
