"""Initial state of cross.mail_meeting_to_calendar.swim_meet: the swim club's email, starred, among the seed mail; mail shows the Starred view and the calendar the month of March."""

import os

import requests

SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}


def url(app):
    """Each app of the task has its own hub address."""
    return os.environ[f"CUA_HUB_URL_{app.upper()}"]


def go(app):
    r = requests.get(f"{url(app)}/go", params={"sid": SID}, headers=H, timeout=10)
    r.raise_for_status()
    return r.json()


def post(app, action, state):
    r = requests.post(f"{url(app)}/post", params={"sid": SID}, json={"action": action, "state": state},
                      headers=H, timeout=10)
    r.raise_for_status()


def next_id(items, prefix):
    """The id the app gives a new item: <prefix><largest number in use + 1>."""
    nums = [int(i["id"][len(prefix):]) for i in items
            if i["id"].startswith(prefix) and i["id"][len(prefix):].isdigit()]
    return f"{prefix}{max(nums, default=0) + 1}"


def one(items, what, **match):
    """The single item whose fields equal ``match`` (anything else means the state is not as expected)."""
    hits = [i for i in items if all(i.get(k) == v for k, v in match.items())]
    if len(hits) != 1:
        raise SystemExit(f"expected exactly one {what} with {match}, found {len(hits)}")
    return hits[0]

mail = go("mail")["initial_state"]
cal = go("calendar")["initial_state"]
# One person across both apps: the calendar belongs to the mailbox owner.
cal["user"] = {"name": mail["account"]["name"], "email": mail["account"]["email"]}


def add_mail(folder, sender, email, subject, date, body, read=False, starred=False, labels=()):
    m = {"id": next_id(mail["messages"], "m"), "folder": folder, "from_name": sender, "from_email": email,
         "to": [mail["account"]["email"]], "cc": [], "subject": subject, "body": body, "date": date,
         "read": read, "starred": starred, "labels": list(labels), "attachments": [], "in_reply_to": None}
    mail["messages"].append(m)
    return m

add_mail("inbox", "Riverside Swim Club", "coach@riversideswim.org", "Spring meet: schedule for Sunday",
         "2026-03-17T19:40:00",
         "Dear swim families,\n\nOur spring meet is this coming Sunday, March 29, at the Westside Aquatic "
         "Center. Warm-up starts at 08:30 and the last relay should finish by 11:45.\n\n"
         "Please bring a towel, a water bottle and the team cap.\n\nCoach Rivera\nRiverside Swim Club",
         starred=True, labels=["l-personal"])
mail["ui"]["view"] = "starred"
cal["ui"]["view"] = "month"
post("mail", "set", mail)
post("calendar", "set", cal)
