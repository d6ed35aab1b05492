"""Initial state of calendar.go_today.week_from_february: the seed calendar, varied for this task."""

import os

import requests

BASE = os.environ["CUA_HUB_URL_CALENDAR"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}


def go():
    r = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
    r.raise_for_status()
    return r.json()


def post(action, state):
    r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": action, "state": state},
                      headers=H, timeout=10)
    r.raise_for_status()


def find_one(state, title, date):
    """The single event with this title on this day (a missing or doubled event is a setup bug)."""
    hits = [e for e in state["events"] if e["title"] == title and e["date"] == date]
    if len(hits) != 1:
        raise SystemExit(f"expected exactly one event {title!r} on {date}, found {len(hits)}")
    return hits[0]


def calendar(state, cal_id):
    return next(c for c in state["calendars"] if c["id"] == cal_id)


def next_event_id(state):
    # The app numbers new events e<N+1> after the largest e<N> id.
    nums = [int(e["id"][1:]) for e in state["events"] if e["id"][:1] == "e" and e["id"][1:].isdigit()]
    return f"e{max(nums, default=0) + 1}"


def add_event(state, title, cal_id, date, start, end, location="", attendees=(), description="", all_day=False):
    ev = {"id": next_event_id(state), "title": title, "calendar_id": cal_id, "date": date, "start": start,
          "end": end, "all_day": all_day, "location": location, "attendees": list(attendees),
          "description": description}
    state["events"].append(ev)
    return ev


def set_focus(state, date):
    state["ui"]["focus_date"] = date
    state["ui"]["mini_month"] = date[:7]


state = go()["initial_state"]
# 2026-02-11 is on screen in the week view; today is the app's present.
set_focus(state, "2026-02-11")
state["ui"]["scroll_hour"] = 9
post("set", state)
