"""The default calendar a fresh session starts from: one person's work and home life over
February to April 2026, seen on Wednesday 18 March 2026 at 10:24.

Everything is built from fixed tables and weekly rules, so every call returns the same state.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

NOW = dt.datetime(2026, 3, 18, 10, 24)
FIRST_DAY = dt.date(2026, 2, 2)   # a Monday
LAST_DAY = dt.date(2026, 4, 26)   # a Sunday

ME = "alex.morgan@example.com"
PRIYA, JORDAN, SAM, TAYLOR = "priya.shah@example.com", "jordan.lee@example.com", "sam.rivera@example.com", "taylor.kim@example.com"
CHRIS, DANA, MIGUEL, EMMA = "chris.okafor@example.com", "dana.whitfield@example.com", "miguel.alvarez@example.com", "emma.novak@example.com"
TEAM = [PRIYA, JORDAN, CHRIS, EMMA]

CALENDARS = [
    {"id": "work", "name": "Work", "color": "#039be5", "visible": True, "group": "mine"},
    {"id": "personal", "name": "Personal", "color": "#7986cb", "visible": True, "group": "mine"},
    {"id": "family", "name": "Family", "color": "#f4511e", "visible": True, "group": "mine"},
    {"id": "fitness", "name": "Fitness", "color": "#8e24aa", "visible": True, "group": "mine"},
    {"id": "birthdays", "name": "Birthdays", "color": "#33b679", "visible": True, "group": "other"},
    {"id": "holidays", "name": "Holidays in United States", "color": "#0b8043", "visible": True, "group": "other"},
]

# Weekly rules: (weekday 0=Mon, start, end, title, calendar, location, attendees, description).
WEEKLY = [
    (0, "09:30", "09:45", "Team standup", "work", "Zoom", TEAM, "Yesterday / today / blockers."),
    (2, "09:30", "09:45", "Team standup", "work", "Zoom", TEAM, "Yesterday / today / blockers."),
    (4, "09:30", "09:45", "Team standup", "work", "Zoom", TEAM, "Yesterday / today / blockers."),
    (1, "07:00", "08:00", "Gym: strength", "fitness", "Ironworks Gym", [], ""),
    (3, "07:00", "08:00", "Gym: strength", "fitness", "Ironworks Gym", [], ""),
    (5, "10:00", "11:00", "Yoga class", "fitness", "Lotus Studio, 14 Elm St", [], "Bring own mat."),
    (2, "13:00", "13:45", "1:1 with Priya", "work", "Room Juniper", [PRIYA], "Career goals and project check-in."),
    (3, "11:00", "12:00", "Design review", "work", "Room Atlas 4F", [EMMA, JORDAN, DANA], "Review open Figma files."),
    (4, "15:00", "15:30", "Weekly wrap-up", "work", "Zoom", TEAM, "Wins, misses, next week."),
    (5, "09:00", "10:30", "Mia's soccer game", "family", "Riverside Park field 3", [SAM], "Orange slices this week."),
]

# Every other Monday (starting on FIRST_DAY): sprint planning.
BIWEEKLY = [(0, "11:00", "12:00", "Sprint planning", "work", "Room Atlas 4F", TEAM + [DANA], "Bring estimates for the top of the backlog.")]

# One-off events: (date, start, end, title, calendar, location, attendees, description).
ONE_OFF = [
    ("2026-02-04", "18:00", "19:30", "Parent-teacher conference", "family", "Lincoln Elementary, room 12", [SAM], ""),
    ("2026-02-06", "12:00", "13:00", "Lunch with Jordan", "personal", "Blue Bottle Cafe", [JORDAN], ""),
    ("2026-02-10", "14:00", "15:00", "Quarterly business review", "work", "Board room", [DANA, MIGUEL], "Q1 numbers."),
    ("2026-02-12", "16:00", "17:00", "Security training", "work", "Online", [], "Mandatory annual training."),
    ("2026-02-13", "19:00", "21:30", "Valentine's dinner", "personal", "Osteria Lucca", [SAM], "Table for two, booked."),
    ("2026-02-18", "10:00", "11:00", "Interview: Backend Engineer", "work", "Room Juniper", [CHRIS], ""),
    ("2026-02-20", "08:30", "09:00", "Car service drop-off", "personal", "Main St Auto", [], ""),
    ("2026-02-24", "15:00", "16:00", "Hiring sync", "work", "Zoom", [PRIYA, DANA], ""),
    ("2026-02-26", "18:30", "20:00", "Book club", "personal", "Maple Library", [TAYLOR], "The Remains of the Day."),
    ("2026-03-03", "10:00", "12:00", "Roadmap workshop", "work", "Room Atlas 4F", TEAM + [DANA, MIGUEL], ""),
    ("2026-03-05", "17:30", "18:30", "Swim lessons (Mia)", "family", "Aquatic Center", [], ""),
    ("2026-03-06", "12:00", "13:00", "Lunch & learn: Testing", "work", "Kitchen", [], "Pizza provided."),
    ("2026-03-10", "09:00", "10:00", "Vendor call: Cloudscale", "work", "Zoom", [MIGUEL], ""),
    ("2026-03-11", "16:00", "17:00", "Hiring sync", "work", "Zoom", [PRIYA, DANA], ""),
    ("2026-03-12", "18:30", "19:30", "Haircut", "personal", "Cut & Co.", [], ""),
    ("2026-03-13", "19:00", "22:00", "Movie night", "family", "Home", [SAM], ""),
    # The week on screen at start (16-22 March).
    ("2026-03-16", "10:00", "11:00", "Q2 roadmap kickoff", "work", "Room Atlas 4F", TEAM + [DANA, MIGUEL], "Agree the three Q2 bets."),
    ("2026-03-16", "13:00", "14:00", "Lunch with Jordan", "personal", "Blue Bottle Cafe", [JORDAN], ""),
    ("2026-03-16", "15:30", "16:30", "Hiring sync", "work", "Zoom", [PRIYA, DANA], ""),
    ("2026-03-17", "10:00", "11:30", "Customer call: Acme Corp", "work", "Zoom", [MIGUEL, "r.hughes@acme.example.com"], "Renewal and SSO questions."),
    ("2026-03-17", "12:30", "13:30", "Team lunch", "work", "O'Malley's Pub", TEAM, ""),
    ("2026-03-17", "14:00", "15:00", "Interview: Senior Frontend Engineer", "work", "Room Juniper", [CHRIS, EMMA], "Focus on system design."),
    ("2026-03-17", "14:30", "15:30", "Budget review", "work", "Board room", [DANA], ""),
    ("2026-03-18", "11:00", "12:00", "Architecture review", "work", "Room Atlas 4F", [JORDAN, CHRIS], "Event bus migration."),
    ("2026-03-18", "15:00", "16:00", "Dentist appointment", "personal", "Bright Smile Dental, 220 Pine St", [], "Check-up and cleaning."),
    ("2026-03-18", "18:30", "20:00", "Book club", "personal", "Maple Library", [TAYLOR], "Klara and the Sun."),
    ("2026-03-19", "09:00", "10:00", "Vendor demo: Lumen Analytics", "work", "Zoom", [MIGUEL], ""),
    ("2026-03-19", "16:00", "17:00", "Marketing sync", "work", "Room Cedar", [TAYLOR, DANA], "Launch checklist."),
    ("2026-03-20", "12:00", "13:00", "Lunch & learn: Accessibility", "work", "Kitchen", [], ""),
    ("2026-03-20", "19:00", "22:00", "Dinner with Sam & Taylor", "personal", "Casa Verde", [SAM, TAYLOR], ""),
    ("2026-03-21", "14:00", "16:00", "Farmers market", "family", "Union Square", [SAM], ""),
    ("2026-03-22", "12:00", "14:00", "Brunch at Grandma's", "family", "Oak Street", [SAM], "Bring the lemon cake."),
    # Later.
    ("2026-03-24", "13:00", "14:00", "Interview: Product Designer", "work", "Room Juniper", [EMMA], ""),
    ("2026-03-25", "08:00", "08:30", "School drop-off (Mia)", "family", "Lincoln Elementary", [], ""),
    ("2026-03-26", "14:00", "15:00", "Quarterly business review", "work", "Board room", [DANA, MIGUEL], ""),
    ("2026-03-27", "17:00", "19:00", "Team offsite drinks", "work", "Rooftop 21", TEAM + [DANA], ""),
    ("2026-03-31", "09:00", "17:00", "Hackathon", "work", "Main office", TEAM, "Demos at 16:00."),
    ("2026-04-02", "18:00", "19:00", "Physio", "personal", "Motion Physio", [], ""),
    ("2026-04-08", "16:00", "17:00", "Hiring sync", "work", "Zoom", [PRIYA, DANA], ""),
    ("2026-04-10", "06:30", "09:00", "Flight to Denver (UA 512)", "personal", "SFO Terminal 3", [], "Confirmation KX4T2P."),
    ("2026-04-13", "19:30", "21:30", "Flight home (UA 877)", "personal", "DEN", [], ""),
    ("2026-04-16", "11:00", "12:00", "Design review: onboarding", "work", "Room Atlas 4F", [EMMA, JORDAN], ""),
    ("2026-04-21", "10:00", "11:00", "Performance reviews", "work", "Room Juniper", [DANA], ""),
    ("2026-04-23", "18:30", "20:00", "Book club", "personal", "Maple Library", [TAYLOR], ""),
]

ALL_DAY = [
    ("2026-02-14", "Valentine's Day", "holidays"),
    ("2026-02-16", "Presidents' Day", "holidays"),
    ("2026-03-08", "Daylight Saving Time starts", "holidays"),
    ("2026-03-17", "St. Patrick's Day", "holidays"),
    ("2026-04-03", "Good Friday", "holidays"),
    ("2026-04-05", "Easter Sunday", "holidays"),
    ("2026-04-15", "Tax Day", "holidays"),
    ("2026-04-22", "Earth Day", "holidays"),
    ("2026-02-09", "Taylor Kim's birthday", "birthdays"),
    ("2026-03-02", "Mom's birthday", "birthdays"),
    ("2026-03-22", "Sam's birthday", "birthdays"),
    ("2026-04-18", "Jordan Lee's birthday", "birthdays"),
    ("2026-03-19", "Mia: school trip", "family"),
    ("2026-04-10", "Denver trip", "personal"),
    ("2026-04-11", "Denver trip", "personal"),
    ("2026-04-12", "Denver trip", "personal"),
]


def _event(day: str, start: str, end: str, title: str, cal: str, location: str = "",
           attendees: list[str] | None = None, description: str = "", all_day: bool = False) -> dict[str, Any]:
    return {"title": title, "calendar_id": cal, "date": day, "start": start, "end": end, "all_day": all_day,
            "location": location, "attendees": list(attendees or []), "description": description}


def _days():
    d = FIRST_DAY
    while d <= LAST_DAY:
        yield d
        d += dt.timedelta(days=1)


def _events() -> list[dict[str, Any]]:
    out = []
    for d in _days():
        iso = d.isoformat()
        for wd, s, e, title, cal, loc, who, desc in WEEKLY:
            if d.weekday() == wd:
                out.append(_event(iso, s, e, title, cal, loc, who, desc))
        for wd, s, e, title, cal, loc, who, desc in BIWEEKLY:
            if d.weekday() == wd and ((d - FIRST_DAY).days // 7) % 2 == 0:
                out.append(_event(iso, s, e, title, cal, loc, who, desc))
    out += [_event(*row) for row in ONE_OFF]
    out += [_event(day, "00:00", "24:00", title, cal, all_day=True) for day, title, cal in ALL_DAY]
    # Ids follow the order a person reads the calendar: by day, all-day first, then by start.
    out.sort(key=lambda ev: (ev["date"], not ev["all_day"], ev["start"], ev["end"], ev["title"]))
    for i, ev in enumerate(out, start=1):
        ev["id"] = f"e{i}"
    return [{"id": ev.pop("id"), **ev} for ev in out]


def seed_state() -> dict[str, Any]:
    """A new copy of the default state."""
    today = NOW.date()
    return {
        "now": NOW.isoformat(timespec="seconds"),
        "user": {"name": "Alex Morgan", "email": ME},
        "calendars": [dict(c) for c in CALENDARS],
        "events": _events(),
        "ui": {
            "view": "week",
            "focus_date": today.isoformat(),
            "mini_month": today.strftime("%Y-%m"),
            "scroll_hour": 7,
            "sidebar_open": True,
            "selected_event_id": None,
            "dialog": None,
            "editing_event_id": None,
            "draft": None,
        },
        "toast": None,
    }
