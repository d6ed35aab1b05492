"""Reward for chat.set_status.out_sick: You are ill today: replace your current status with 😢 "Out sick" and set yourself as away."""
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

EMOJI = "sad"
TEXT = "Out sick"
PRESENCE = "away"

me = find(cur["users"], ME)
checks = [
    (f"your status text is {TEXT!r}", 0.4, me is not None and me["status_text"].strip() == TEXT),
    (f"your status emoji is {EMOJI}", 0.3, me is not None and me["status_emoji"] == EMOJI),
    (f"you are shown as {PRESENCE}", 0.3, me is not None and me["presence"] == PRESENCE),
]
finish(checks, [rf"users\.{re.escape(ME)}\.(status_emoji|status_text|presence)"])
