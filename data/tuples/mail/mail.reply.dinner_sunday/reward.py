"""Reward for mail.reply.dinner_sunday: Reply to Sarah Lee's 'Dinner on Sunday?' email with: Count me in! I'll bring dessert."""
import os

import requests

BASE = os.environ["CUA_HUB_URL_MAIL"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

go = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
go.raise_for_status()
data = go.json()
init, cur = data["initial_state"], data["current_state"]
INIT = {m["id"]: m for m in init["messages"]}
CUR = {m["id"]: m for m in cur["messages"]}


def one(**want):
    """The id of the single message of the initial state whose fields match ``want``.

    A string value matches when it is contained in the field (case-insensitive); other values
    must be equal. The task names its message unambiguously, so anything else is an error.
    """
    def ok(m):
        for k, v in want.items():
            if isinstance(v, str):
                if v.lower() not in str(m[k]).lower():
                    return False
            elif m[k] != v:
                return False
        return True
    hits = [m["id"] for m in init["messages"] if ok(m)]
    if len(hits) != 1:
        raise SystemExit(f"expected one message matching {want} in the initial state, found {hits}")
    return hits[0]


def norm(text):
    return " ".join(str(text).split()).lower()


def damage(may_change=None, new_messages=0, folders_may_grow=0):
    """Everything that differs from the initial state although the task did not ask for it.

    ``may_change`` maps a message id to the fields the task may change on it. Whether a message
    is read may always change: opening a message marks it read.
    """
    may_change = may_change or {}
    out = []
    for key in ("now", "account", "labels"):
        if init[key] != cur[key]:
            out.append(f"{key} changed")
    old_folders, new_folders = init["folders"], cur["folders"]
    if new_folders[:len(old_folders)] != old_folders or len(new_folders) > len(old_folders) + folders_may_grow:
        out.append("folders changed")
    for mid, m in INIT.items():
        c = CUR.get(mid)
        if c is None:
            out.append(f"message {mid} ({m['subject']!r}) was deleted")
            continue
        allowed = {"read"} | set(may_change.get(mid, ()))
        out += [f"{mid}.{k} changed" for k in m if k not in allowed and c.get(k) != m[k]]
    added = [mid for mid in CUR if mid not in INIT]
    if len(added) > new_messages:
        out.append(f"unexpected new messages {added}")
    return out


def finish(checks, problems):
    """Print each criterion; any collateral damage halves the score, so only a clean solve gets 1."""
    score = 0.0
    for name, weight, ok in checks:
        print(f"[{'x' if ok else ' '}] {name} ({weight:g})")
        score += weight if ok else 0.0
    if problems:
        print(f"[!] changes the task did not ask for: {problems[:8]}")
        score *= 0.5
    print(f"REWARD: {round(min(max(score, 0.0), 1.0), 4)}")


target = one(from_name="Sarah Lee", subject="Dinner on Sunday")
SENDER = INIT[target]["from_email"]
SUBJECT = 'Re: Dinner on Sunday?'
TEXT = "Count me in! I'll bring dessert."
new_sent = [m for mid, m in CUR.items() if mid not in INIT and m["folder"] == "sent"]
# Grade the reply to the target if there is one, else the best other email sent to the sender.
replies = [m for m in new_sent if m["in_reply_to"] == target]
to_sender = [m for m in new_sent if SENDER in m["to"]]
m = (replies or to_sender or [None])[0]
checks = [
    ("a reply to the email was sent", 0.3, m is not None and m["in_reply_to"] == target),
    ("it is addressed to " + SENDER + " only", 0.2, m is not None and m["to"] == [SENDER] and m["cc"] == []),
    ("its subject is " + SUBJECT, 0.1, m is not None and m["subject"].strip() == SUBJECT),
    ("its text contains the requested reply", 0.4, m is not None and norm(TEXT) in norm(m["body"])),
]
finish(checks, damage(new_messages=1))
