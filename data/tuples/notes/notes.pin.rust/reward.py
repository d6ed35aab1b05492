"""Reward for notes.pin.rust.

The note titled "Rust ownership cheat sheet" is pinned and nothing else changed. Each goal earns its share of the
score; any damage elsewhere halves it. The last line printed is REWARD: x.
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
# What a note holds; updated_at and trashed_at only follow from these.
CONTENT = ("notebook_id", "title", "body", "tags", "pinned", "trashed", "created_at")
goals, guards = [], []


def goal(name, ok, points=1):
    goals.append((name, bool(ok), points))


def guard(name, ok):
    guards.append((name, bool(ok)))


def changed(a, b, allowed=()):
    return [k for k in CONTENT if k not in allowed and a[k] != b[k]]


def titled(notes, title):
    """The one note whose title is ``title`` (None when there is none or more than one)."""
    hits = [n for n in notes.values() if n["title"].strip() == title]
    return hits[0] if len(hits) == 1 else None


def notebook_id(state, name):
    hits = [b["id"] for b in state["notebooks"] if b["name"].strip() == name]
    return hits[0] if len(hits) == 1 else None


def others_intact(skip):
    """Every note not in ``skip`` still exists with the same content."""
    return all(i in after and not changed(n, after[i]) for i, n in before.items() if i not in skip)


def notebooks_intact():
    """The same notebooks with the same names, places and colours (folding is only a view)."""
    def books(state):
        return sorted((b["id"], b["name"], b["parent_id"], b["color"]) for b in state["notebooks"])
    return books(init) == books(cur)


def finish():
    got = sum(p for _, ok, p in goals if ok)
    total = sum(p for _, _, p in goals)
    score = got / total
    for name, ok, p in goals:
        print(f"goal  {'ok' if ok else 'NO'}  {name} ({p}/{total})")
    for name, ok in guards:
        print(f"guard {'ok' if ok else 'NO'}  {name}")
    if not all(ok for _, ok in guards):
        score *= 0.5  # the task was done at the cost of damage elsewhere: never full credit
    print(f"REWARD: {round(score, 4)}")


TITLE, WANT = 'Rust ownership cheat sheet', True
target = titled(before, TITLE)
now = after.get(target["id"]) if target else None
goal(f"{TITLE!r} is {'pinned' if WANT else 'not pinned'}", now is not None and now["pinned"] is WANT)
guard("the note itself is otherwise unchanged (title, body, tags, notebook, not trashed)",
      now is not None and not changed(target, now, allowed=("pinned",)))
guard("no other note changed, was added or was removed",
      others_intact({target["id"]}) and set(after) == set(before))
guard("the notebooks are unchanged", notebooks_intact())
finish()
