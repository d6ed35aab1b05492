"""Reward for notes.pin_nth.train.journal_2a.

The second note of Journal ('March 15', n16) is pinned and nothing else changed. The last line
printed is REWARD: x (1 or 0; a pinned note with damage elsewhere gets 0.5).
"""

import os

import requests

BASE = os.environ["CUA_HUB_URL_NOTES"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

r = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
r.raise_for_status()
g = r.json()
init, cur = g["initial_state"], g["current_state"]
before = {n["id"]: n for n in init["notes"]}
after = {n["id"]: n for n in cur["notes"]}
CONTENT = ("notebook_id", "title", "body", "tags", "pinned", "trashed", "created_at")
TARGET = "n16"


def changed(a, b, allowed=()):
    return [k for k in CONTENT if k not in allowed and a[k] != b[k]]


now = after.get(TARGET)
goal = now is not None and now["pinned"] is True
guards = {
    "the note is otherwise unchanged": now is not None and not changed(before[TARGET], now, allowed=("pinned",)),
    "no other note changed, was added or was removed":
        set(after) == set(before) and all(not changed(n, after[i]) for i, n in before.items() if i != TARGET),
    "the notebooks are unchanged": sorted(map(str, init["notebooks"])) == sorted(map(str, cur["notebooks"])),
}
print(f"goal  {'ok' if goal else 'NO'}  {TARGET} is pinned")
for name, ok in guards.items():
    print(f"guard {'ok' if ok else 'NO'}  {name}")
score = (1.0 if goal else 0.0) * (1.0 if all(guards.values()) else 0.5)
print(f"REWARD: {score}")
