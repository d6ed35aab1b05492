"""Reward for kanban.dedupe.web140_into_web128.

Task: WEB-140 (Password reset mails go to junk) duplicates WEB-128. Delete WEB-140 and leave a comment on
WEB-128 saying "Also reported as WEB-140 by support."
Success criteria:
- WEB-140 no longer exists
- WEB-128 has a new comment "Also reported as WEB-140 by support."
- WEB-128 and every other issue are otherwise unchanged
"""

import os

import requests

BASE = os.environ["CUA_HUB_URL_KANBAN"]
SID = os.environ["CUA_SID"]
TOKEN = os.environ.get("CUA_GYM_ADMIN_TOKEN", "")
H = {"X-CUA-Admin-Token": TOKEN} if TOKEN else {}

DUP = "WEB-140"
KEEP = "WEB-128"
WANT_BODY = "Also reported as WEB-140 by support."

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


cur = issues_of(CUR)
keep = cur.get(KEEP)
deleted = DUP not in cur and DUP in issues_of(INIT)
before = {c["id"] for i in INIT["issues"] for c in i["comments"]}
new_keep = [c for c in keep["comments"] if c["id"] not in before] if keep else []
new_elsewhere = any(c["id"] not in before for iid, i in cur.items() if iid != KEEP for c in i["comments"])
comment_ok = any(norm(c["body"]) == norm(WANT_BODY) and c["author"] == CUR["current_user"] for c in new_keep)
prefixes = (f"issues.{DUP}.",) + tuple(f"issues.{KEEP}.comments.{c['id']}." for c in new_keep)
intact = (keep is not None and len(new_keep) <= 1 and not new_elsewhere
          and all(p.startswith(prefixes) for p in DATA_CHANGES))
finish([
    (f"the duplicate {DUP} is deleted", 2, deleted),
    (f"{KEEP} has a new comment {WANT_BODY!r}", 2, comment_ok),
    (f"{KEEP} and every other issue are otherwise unchanged", 1, intact),
], gate=keep is not None and (deleted or comment_ok))
