"""Reward of calendar.create_event.dinner.

Task: Create an event "Dinner with Priya" on Friday 27 March from 19:30 to 21:00 at Casa Verde, in my Personal calendar, and invite priya.shah@example.com.

Criteria:
- A new event titled "Dinner with Priya" exists on 27 March 2026
- It runs from 19:30 to 21:00 (not all day)
- Its location is "Casa Verde"
- It is in the Personal calendar
- Its only guest is priya.shah@example.com
- No other event is changed, added or deleted
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


TITLE, DATE, START, END, ALL_DAY = 'Dinner with Priya', '2026-03-27', '19:30', '21:00', False
LOCATION, CALENDAR_NAME, GUESTS, DESCRIPTION = 'Casa Verde', 'Personal', ['priya.shah@example.com'], ''

new = [e for e in cur["events"] if e["id"] not in events_by_id(init)]
named = [e for e in new if e["title"].strip() == TITLE]
ev = named[0] if len(named) == 1 else None
cal = next(c for c in init["calendars"] if c["name"] == CALENDAR_NAME)
check(f"exactly one new event is titled {TITLE!r}", ev is not None, weight=2, required=True)
check(f"it is on {DATE}", ev is not None and ev["date"] == DATE, weight=2)
if ALL_DAY:
    check("it is an all-day event", ev is not None and ev["all_day"] is True, weight=2)
else:
    check(f"it runs from {START} to {END}", ev is not None and not ev["all_day"] and
          (ev["start"], ev["end"]) == (START, END), weight=2)
check(f"its location is {LOCATION!r}", ev is not None and ev["location"].strip() == LOCATION)
check(f"it is in the {CALENDAR_NAME} calendar", ev is not None and ev["calendar_id"] == cal["id"])
check(f"its guests are exactly {GUESTS}", ev is not None and sorted(ev["attendees"]) == sorted(GUESTS))
check(f"its description is {DESCRIPTION!r}", ev is not None and ev["description"].strip() == DESCRIPTION)
check("no other event was changed, added or deleted", other_events_unchanged(new_ids={ev["id"]} if ev else ()))
check("the calendars are unchanged", calendars_unchanged())
finish()
