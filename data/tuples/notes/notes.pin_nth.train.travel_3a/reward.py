"""Reward for notes.pin_nth.train.travel_3a.

Goals, as the task says them: the Travel notebook is open (1 point), its third note ('Japan 2025 — memories',
n29) is the open note (1 point) and that note is pinned (2 points). The score is the share of
points earned, halved when anything else changed (another note, the notebooks). The last line
printed is REWARD: x.
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
TARGET, NOTEBOOK = "n29", "nb3"


def changed(a, b, allowed=()):
    return [k for k in CONTENT if k not in allowed and a[k] != b[k]]


ui, now = cur["ui"], after.get(TARGET)
goals = [
    ("the Travel notebook is open", ui.get("view") == "notebook" and ui.get("notebook_id") == NOTEBOOK, 1),
    (f"{TARGET} is the open note", ui.get("selected_note") == TARGET, 1),
    (f"{TARGET} is pinned", now is not None and now["pinned"] is True, 2),
]
guards = {
    "the note is otherwise unchanged": now is not None and not changed(before[TARGET], now, allowed=("pinned",)),
    "no other note changed, was added or was removed":
        set(after) == set(before) and all(not changed(n, after[i]) for i, n in before.items() if i != TARGET),
    "the notebooks are unchanged": sorted(map(str, init["notebooks"])) == sorted(map(str, cur["notebooks"])),
}
for name, ok, points in goals:
    print(f"goal  {'ok' if ok else 'NO'}  {name} ({points}/4)")
for name, ok in guards.items():
    print(f"guard {'ok' if ok else 'NO'}  {name}")
score = sum(p for _, ok, p in goals if ok) / 4 * (1.0 if all(guards.values()) else 0.5)
print(f"REWARD: {score}")
