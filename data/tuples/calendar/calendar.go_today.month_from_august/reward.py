"""Reward of calendar.go_today.month_from_august.

Task: I'm lost in the future: bring the calendar back to this month.

Criteria:
- The month view shows the month that contains today (April 2026)
- No event or calendar is changed
"""

import os

import requests

BASE = os.environ["CUA_HUB_URL_CALENDAR"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

resp = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
resp.raise_for_status()
_go = resp.json()
init, cur = _go["initial_state"], _go["current_state"]
CHECKS = []  # (description, passed, weight, required)


def check(name, ok, weight=1.0, required=False):
    """Record one criterion; a failed required one makes the whole reward 0."""
    CHECKS.append((name, bool(ok), weight, required))


def events_by_id(state):
    return {e["id"]: e for e in state["events"]}


def find_one(state, title, date):
    """The single event with this title on this day in ``state`` (anything else is a broken tuple)."""
    hits = [e for e in state["events"] if e["title"] == title and e["date"] == date]
    if len(hits) != 1:
        raise SystemExit(f"expected exactly one event {title!r} on {date}, found {len(hits)}")
    return hits[0]


def same_except(a, b, fields):
    """Two events agree on every field outside ``fields``."""
    return all(a.get(k) == b.get(k) for k in set(a) | set(b) if k not in fields)


def other_events_unchanged(skip_ids=(), new_ids=()):
    """Every initial event outside ``skip_ids`` is still there, identical; no event appeared
    except those in ``new_ids``."""
    before, after = events_by_id(init), events_by_id(cur)
    if any(after.get(i) != e for i, e in before.items() if i not in skip_ids):
        return False
    return set(after) - set(before) <= set(new_ids)


def calendars_unchanged(skip_ids=()):
    before = {c["id"]: c for c in init["calendars"]}
    after = {c["id"]: c for c in cur["calendars"]}
    if set(before) != set(after):
        return False
    return all(after[i] == c for i, c in before.items() if i not in skip_ids)


def finish():
    for name, ok, weight, required in CHECKS:
        print(f"[{'x' if ok else ' '}] {name} (weight {weight:g}{', required' if required else ''})")
    if not all(ok for _, ok, _, required in CHECKS if required):
        score = 0.0
    else:
        score = sum(w for _, ok, w, _ in CHECKS if ok) / sum(w for _, _, w, _ in CHECKS)
    print(f"REWARD: {round(score, 4)}")


this_month = init["now"][:7]
check("the main view is the month view", cur["ui"]["view"] == "month", required=True)
check(f"it shows {this_month}, the month that contains today", cur["ui"]["focus_date"][:7] == this_month,
      weight=3, required=True)
check("the present moment is unchanged", cur["now"] == init["now"])
check("no event was changed, added or deleted", other_events_unchanged())
check("the calendars are unchanged", calendars_unchanged())
finish()
