"""Reward for chat.set_topic.design: Update the #design channel topic to say "Design crits move to Fridays 10:00"."""
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

TARGET = "c_design"
LABEL = "#design"
TOPIC = "Design crits move to Fridays 10:00"

c = find(cur["channels"], TARGET)
topic = c["topic"].strip() if c is not None else ""
exact = topic == TOPIC
checks = [
    (f"the topic of {LABEL} is exactly {TOPIC!r}", 1.0, exact),
    # Typing the new text next to the old topic gets a little credit, never the full score.
    (f"the topic of {LABEL} contains the new text among other words", 0.3, not exact and TOPIC.lower() in topic.lower()),
]
finish(checks, [rf"channels\.{re.escape(TARGET)}\.topic"])
