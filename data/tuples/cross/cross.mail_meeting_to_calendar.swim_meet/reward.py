"""Reward of cross.mail_meeting_to_calendar.swim_meet.

Task: The swim club emailed about Mia's swim meet. Put it in my Family calendar as "Mia's swim meet", with the date, start and end times and venue from the email.

Criteria:
- Exactly one new calendar event is titled "Mia's swim meet"
- It is on Sunday 29 March 2026, from 08:30 to 11:45 (not all day)
- Its location is Westside Aquatic Center
- It is in the Family calendar
- It has no guests
- No other event or calendar is changed, added or deleted
- The swim club's email is still where it was; no email is sent, deleted, moved or edited
"""

import os
import re

import requests

SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}
CHECKS = []  # (description, passed, weight, required)


def go(app):
    r = requests.get(f"{os.environ[f'CUA_HUB_URL_{app.upper()}']}/go", params={"sid": SID}, headers=H, timeout=10)
    r.raise_for_status()
    data = r.json()
    return data["initial_state"], data["current_state"]


def check(name, ok, weight=1.0, required=False):
    """Record one criterion; a failed required one makes the whole reward 0."""
    CHECKS.append((name, bool(ok), weight, required))


def finish():
    for name, ok, weight, required in CHECKS:
        print(f"[{'x' if ok else ' '}] {name} (weight {weight:g}{', required' if required else ''})")
    if not all(ok for _, ok, _, required in CHECKS if required):
        score = 0.0
    else:
        score = sum(w for _, ok, w, _ in CHECKS if ok) / sum(w for _, _, w, _ in CHECKS)
    print(f"REWARD: {round(score, 4)}")


def by_id(items):
    return {i["id"]: i for i in items}


def same_except(a, b, fields=()):
    """Two items agree on every field outside ``fields``."""
    return all(a.get(k) == b.get(k) for k in set(a) | set(b) if k not in fields)


def items_intact(before, after, may_change=(), new_ids=()):
    """Every item of ``before`` is still in ``after`` and unchanged outside ``may_change``;
    nothing appeared except ``new_ids``."""
    b, a = by_id(before), by_id(after)
    if any(i not in a or not same_except(x, a[i], may_change) for i, x in b.items()):
        return False
    return set(a) - set(b) <= set(new_ids)


def norm(text):
    return " ".join(str(text).split()).casefold()


def mail_intact(init, cur):
    """No message was sent, drafted, deleted, moved or edited (opening one may mark it read);
    folders, labels and the account are as they were."""
    return (items_intact(init["messages"], cur["messages"], may_change=("read",))
            and all(init[k] == cur[k] for k in ("folders", "labels", "account")))


def calendars_intact(init, cur):
    """The calendar list is the same (showing or hiding one is only a view change)."""
    return items_intact(init["calendars"], cur["calendars"], may_change=("visible",)) and \
        [c["id"] for c in init["calendars"]] == [c["id"] for c in cur["calendars"]]


TITLE, DATE, START, END = "Mia's swim meet", "2026-03-29", "08:30", "11:45"
LOCATION, CALENDAR_NAME, GUESTS = "Westside Aquatic Center", "Family", []
SENDER, SUBJECT = "coach@riversideswim.org", "Spring meet: schedule for Sunday"

mail0, mail1 = go("mail")
cal0, cal1 = go("calendar")

new = [e for e in cal1["events"] if e["id"] not in by_id(cal0["events"])]
named = [e for e in new if norm(e["title"]) == norm(TITLE)]
ev = named[0] if len(named) == 1 else None
cal = next(c for c in cal0["calendars"] if c["name"] == CALENDAR_NAME)
check(f"exactly one new event is titled {TITLE!r}", ev is not None, weight=2, required=True)
check(f"it is on {DATE}", ev is not None and ev["date"] == DATE, weight=2)
check(f"it runs from {START} to {END} (not all day)",
      ev is not None and not ev["all_day"] and (ev["start"], ev["end"]) == (START, END), weight=2)
check(f"its location names {LOCATION!r}", ev is not None and norm(LOCATION) in norm(ev["location"]))
check(f"it is in the {CALENDAR_NAME} calendar", ev is not None and ev["calendar_id"] == cal["id"])
check(f"its guests are exactly {GUESTS}",
      ev is not None and sorted(g.casefold() for g in ev["attendees"]) == sorted(GUESTS))
check("no other event was changed, added or deleted",
      items_intact(cal0["events"], cal1["events"], new_ids={ev["id"]} if ev else ()))
check("the calendars are unchanged", calendars_intact(cal0, cal1))
source = [m for m in mail0["messages"] if m["from_email"] == SENDER and m["subject"] == SUBJECT]
check("the email with the proposal is still there, in the same folder",
      len(source) == 1 and any(m["id"] == source[0]["id"] and m["folder"] == source[0]["folder"]
                               for m in mail1["messages"]))
check("no email was sent, drafted, deleted, moved or edited", mail_intact(mail0, mail1))
finish()
