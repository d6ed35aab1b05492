"""Reward of cross.chat_request_to_kanban.alt_text.

Task: Sofia sent me a direct message asking for a new issue on the board. Create it with the title, labels, priority, assignee and due date she asks for.

Criteria:
- Exactly one new issue is titled "Add alt text field to image uploads"
- Its priority is Medium
- Its labels are exactly Feature and Frontend
- It is assigned to Sofia Lindqvist
- Its due date is 2026-03-27
- No other issue is changed, added or deleted
- Sofia's message is still there; nothing is posted, edited or deleted in chat
"""

import os
import re

import requests

SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}
CHECKS = []  # (description, passed, weight, required)


def go(app):
    r = requests.get(f"{os.environ[f'CUA_HUB_URL_{app.upper()}']}/go", params={"sid": SID}, headers=H, timeout=10)
    r.raise_for_status()
    data = r.json()
    return data["initial_state"], data["current_state"]


def check(name, ok, weight=1.0, required=False):
    """Record one criterion; a failed required one makes the whole reward 0."""
    CHECKS.append((name, bool(ok), weight, required))


def finish():
    for name, ok, weight, required in CHECKS:
        print(f"[{'x' if ok else ' '}] {name} (weight {weight:g}{', required' if required else ''})")
    if not all(ok for _, ok, _, required in CHECKS if required):
        score = 0.0
    else:
        score = sum(w for _, ok, w, _ in CHECKS if ok) / sum(w for _, _, w, _ in CHECKS)
    print(f"REWARD: {round(score, 4)}")


def by_id(items):
    return {i["id"]: i for i in items}


def same_except(a, b, fields=()):
    """Two items agree on every field outside ``fields``."""
    return all(a.get(k) == b.get(k) for k in set(a) | set(b) if k not in fields)


def items_intact(before, after, may_change=(), new_ids=()):
    """Every item of ``before`` is still in ``after`` and unchanged outside ``may_change``;
    nothing appeared except ``new_ids``."""
    b, a = by_id(before), by_id(after)
    if any(i not in a or not same_except(x, a[i], may_change) for i, x in b.items()):
        return False
    return set(a) - set(b) <= set(new_ids)


def norm(text):
    return " ".join(str(text).split()).casefold()


def chat_intact(init, cur, new_ids=()):
    """Existing messages are untouched (no edit, delete, reaction, pin or save); no message
    appeared except ``new_ids``; channels changed at most in their unread counts (opening a
    conversation marks it read); people are as they were."""
    return (items_intact(init["messages"], cur["messages"], new_ids=new_ids)
            and items_intact(init["channels"], cur["channels"], may_change=("unread_count",))
            and len(init["channels"]) == len(cur["channels"])
            and init["users"] == cur["users"])


def board_intact(init, cur, new_ids=()):
    """No existing issue changed or vanished; no issue appeared except ``new_ids``; members
    and labels are as they were."""
    return (items_intact(init["issues"], cur["issues"], new_ids=new_ids)
            and all(init[k] == cur[k] for k in ("members", "labels", "project", "current_user")))


TITLE, PRIORITY, LABELS = "Add alt text field to image uploads", "medium", {"Feature", "Frontend"}
ASKER, CHANNEL = "u_sofia", "d_sofia"
_, _kb = go("kanban")
SOFIA = [m["id"] for m in _kb["members"] if m["name"] == "Sofia Lindqvist"]
EXTRA = [("assignee", SOFIA[0] if SOFIA else "?", "assignee is Sofia Lindqvist"),
         ("due_date", "2026-03-27", "due date is 2026-03-27")]

chat0, chat1 = go("chat")
kb0, kb1 = go("kanban")

new = [i for i in kb1["issues"] if i["id"] not in by_id(kb0["issues"])]
named = [i for i in new if norm(i["title"]) == norm(TITLE)]
issue = named[0] if len(named) == 1 else None
check(f"exactly one new issue is titled {TITLE!r}", issue is not None, weight=2, required=True)
check(f"its priority is {PRIORITY!r}", issue is not None and issue["priority"] == PRIORITY, weight=1.5)
label_ids = {l["id"] for l in kb0["labels"] if l["name"] in LABELS}
check(f"its labels are exactly {sorted(LABELS)}", issue is not None and set(issue["labels"]) == label_ids, weight=1.5)
for field, want, what in EXTRA:
    check(f"its {what}", issue is not None and issue[field] == want, weight=1.5)
check("no other issue was changed, added or deleted",
      board_intact(kb0, kb1, new_ids={issue["id"]} if issue else ()))
request = [m for m in chat0["messages"] if m["user_id"] == ASKER and m["channel_id"] == CHANNEL
           and norm(TITLE) in norm(m["text"])]
check("the request in chat is still there, unchanged",
      len(request) == 1 and request[0] in chat1["messages"])
check("nothing was posted, edited, reacted to or deleted in chat", chat_intact(chat0, chat1))
finish()
