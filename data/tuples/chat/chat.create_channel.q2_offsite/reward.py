"""Reward for chat.create_channel.q2_offsite: Create a private channel named q2-offsite with the description "Planning the Q2 team offsite", then add Sofia Alvarez and Grace Liu to it."""
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

NAME = "q2-offsite"
PRIVATE = True
DESCRIPTION = "Planning the Q2 team offsite"
INVITE = {"u_sofia": "Sofia Alvarez", "u_grace": "Grace Liu"}

old_ids = {c["id"] for c in init["channels"]}
c = next((x for x in cur["channels"] if x["id"] not in old_ids and x["kind"] == "channel" and x["name"] == NAME), None)
members = set(c["members"]) if c is not None else set()
checks = [
    (f"a new channel #{NAME} exists", 0.3, c is not None),
    ("it is " + ("private" if PRIVATE else "public"), 0.15, c is not None and c["is_private"] is PRIVATE),
    (f"its description is {DESCRIPTION!r}", 0.15, c is not None and c["description"].strip() == DESCRIPTION),
]
for uid, name in INVITE.items():
    checks.append((f"{name} is a member", 0.15, uid in members))
checks.append(("the members are exactly you and the invited people", 0.1,
               c is not None and members == {ME, *INVITE}))
finish(checks, [rf"channels\.{re.escape(c['id'])}\..*"] if c is not None else [])
