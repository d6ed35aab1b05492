"""Reward for kanban.add_comment.web113.

Task: Post a comment on WEB-113 (Migrate image thumbnails to the new CDN): "Rollout to 50% of workspaces is
planned for Monday."
Success criteria:
- WEB-113 has one new comment by the signed-in user with exactly that text
- No other comment, field or issue changes
"""

import os

import requests

BASE = os.environ["CUA_HUB_URL_KANBAN"]
SID = os.environ["CUA_SID"]
TOKEN = os.environ.get("CUA_GYM_ADMIN_TOKEN", "")
H = {"X-CUA-Admin-Token": TOKEN} if TOKEN else {}

TARGET = "WEB-113"
WANT_BODY = "Rollout to 50% of workspaces is planned for Monday."

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


before = {c["id"] for i in INIT["issues"] for c in i["comments"]}
new = {iid: [c for c in i["comments"] if c["id"] not in before] for iid, i in issues_of(CUR).items()}
on_target = new.get(TARGET, [])
elsewhere = sum(len(v) for k, v in new.items() if k != TARGET)
body_ok = any(norm(c["body"]) == norm(WANT_BODY) and c["author"] == CUR["current_user"] for c in on_target)
# Allowed changes: the one new comment's fields. Edited old comments or descriptions are damage.
prefixes = tuple(f"issues.{TARGET}.comments.{c['id']}." for c in on_target)
intact = (len(on_target) == 1 and elsewhere == 0
          and all(p.startswith(prefixes) for p in DATA_CHANGES))
finish([
    (f"a new comment was posted on {TARGET}", 2, bool(on_target)),
    (f"it reads {WANT_BODY!r} and is by the signed-in user", 2, body_ok),
    ("exactly one comment was added and nothing else changed", 1, intact),
], gate=bool(on_target))
