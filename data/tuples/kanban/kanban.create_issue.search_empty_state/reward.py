"""Reward for kanban.create_issue.search_empty_state.

Task: Create an issue "Design an empty state for search results" with the description "Suggest similar issues
when nothing matches." It should be In progress, priority Low, assigned to Sofia Lindqvist, with the labels
Design and Frontend.
Success criteria:
- A new issue titled "Design an empty state for search results" exists
- Its description is "Suggest similar issues when nothing matches."
- Its status is In progress
- Its priority is Low
- It is assigned to Sofia Lindqvist
- Its labels are exactly Design and Frontend
- Exactly one issue is created and no existing issue changes
"""

import os

import requests

BASE = os.environ["CUA_HUB_URL_KANBAN"]
SID = os.environ["CUA_SID"]
TOKEN = os.environ.get("CUA_GYM_ADMIN_TOKEN", "")
H = {"X-CUA-Admin-Token": TOKEN} if TOKEN else {}

WANT_TITLE = "Design an empty state for search results"
WANT_STATUS = "in_progress"
WANT_PRIORITY = "low"
WANT_ASSIGNEE = "Sofia Lindqvist"
WANT_LABELS = ["Design", "Frontend"]
WANT_DUE = None  # None: not part of the task
WANT_DESCRIPTION = "Suggest similar issues when nothing matches."  # None: not part of the task

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


old = issues_of(INIT)
new = [i for i in CUR["issues"] if i["id"] not in old]
match = [i for i in new if norm(i["title"]) == norm(WANT_TITLE)]
it = match[0] if match else None
want_assignee = member_id(CUR, WANT_ASSIGNEE)
want_labels = {label_id(CUR, n) for n in WANT_LABELS}


def has(check):
    return it is not None and bool(check(it))


checks = [
    (f"a new issue titled {WANT_TITLE!r} exists", 2, it is not None),
    (f"its status is {WANT_STATUS!r}", 1, has(lambda i: i["status"] == WANT_STATUS)),
    (f"its priority is {WANT_PRIORITY!r}", 1, has(lambda i: i["priority"] == WANT_PRIORITY)),
    (f"it is assigned to {WANT_ASSIGNEE}", 1, has(lambda i: want_assignee and i["assignee"] == want_assignee)),
    (f"its labels are exactly {', '.join(WANT_LABELS)}", 1, has(lambda i: set(i["labels"]) == want_labels)),
]
if WANT_DUE is not None:
    checks.append((f"its due date is {WANT_DUE}", 1, has(lambda i: i["due_date"] == WANT_DUE)))
if WANT_DESCRIPTION is not None:
    checks.append((f"its description reads {WANT_DESCRIPTION!r}", 1,
                   has(lambda i: norm(i["description"]) == norm(WANT_DESCRIPTION))))
intact = it is not None and len(new) == 1 and all(p.startswith(f"issues.{it['id']}.") for p in DATA_CHANGES)
checks.append(("exactly one issue was created and no existing issue changed", 1, intact))
finish(checks, gate=it is not None)
