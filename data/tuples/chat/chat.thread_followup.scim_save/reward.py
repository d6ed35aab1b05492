"""Reward for chat.thread_followup.scim_save: Find Daniel's question about SCIM provisioning, reply in its thread with "Beta access for SCIM starts in May, I will send you the plan." and save his question for later."""
import os
import re

import requests

BASE = os.environ["CUA_HUB_URL_CHAT"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

go = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
go.raise_for_status()
data = go.json()
init, cur, diff = data["initial_state"], data["current_state"], data["state_diff"]
ME = cur["current_user_id"]

# Where the user looks (ui.*) and which conversations they have read change as soon as they
# navigate; that is never damage. Every other changed path must be one the task asked for.
ALWAYS_ALLOWED = [r"ui\..*", r"channels\.[^.]+\.unread_count"]


def find(items, item_id):
    return next((x for x in items if x["id"] == item_id), None)


def stray_changes(allowed):
    pats = [re.compile(p) for p in ALWAYS_ALLOWED + list(allowed)]
    return sorted(p for p in diff if not any(rx.fullmatch(p) for rx in pats))


def finish(checks, allowed):
    """Print each criterion, halve the score when anything else changed, print the reward."""
    score = 0.0
    for name, weight, ok in checks:
        print(f"[{'x' if ok else ' '}] {name} ({weight:g})")
        score += weight if ok else 0.0
    stray = stray_changes(allowed)
    if stray:
        print(f"[!] changes the task did not ask for: {stray[:8]}")
        score *= 0.5
    print(f"REWARD: {round(min(max(score, 0.0), 1.0), 4)}")

PARENT = "m44"
TEXT = "Beta access for SCIM starts in May, I will send you the plan."
FLAG = "saved"
LABEL = "Daniel's question about SCIM provisioning"

old_ids = {m["id"] for m in init["messages"]}
new = [m for m in cur["messages"] if m["id"] not in old_ids]
replies = [m for m in new if m["parent_id"] == PARENT and m["user_id"] == ME and m["text"].strip() == TEXT]
parent = find(cur["messages"], PARENT)
checks = [
    (f"exactly one reply from you in the thread of {LABEL} reading {TEXT!r}", 0.6, len(replies) == 1),
    (f"{LABEL} is {FLAG}", 0.4, parent is not None and parent[FLAG] is True),
]
allowed = [rf"messages\.{re.escape(PARENT)}\.{FLAG}"]
allowed += [rf"messages\.{re.escape(m['id'])}\..*" for m in replies[:1]]
finish(checks, allowed)
