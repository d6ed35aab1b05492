"""Near miss of cross.mail_meeting_to_calendar.vendor_contract: replies to Hannah by email and archives her message instead of adding the event."""

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

cal = go("calendar")["current_state"]
mail = go("mail")["current_state"]


def add_event(title, cal_id, date, start, end, location="", attendees=()):
    cal["events"].append({"id": next_id(cal["events"], "e"), "title": title, "calendar_id": cal_id, "date": date,
                          "start": start, "end": end, "all_day": False, "location": location,
                          "attendees": list(attendees), "description": ""})


def open_mail(subject):
    # Reading the email marks it read and shows it in the reading pane.
    m = one(mail["messages"], "message", subject=subject)
    m["read"] = True
    mail["ui"]["open_id"] = m["id"]

m = one(mail["messages"], "message", subject="Vendor contract: time to go through it?")
m["read"], m["folder"] = True, "archive"
mail["messages"].append({"id": next_id(mail["messages"], "m"), "folder": "sent",
                         "from_name": mail["account"]["name"], "from_email": mail["account"]["email"],
                         "to": [m["from_email"]], "cc": [], "subject": "Re: " + m["subject"],
                         "body": "Works for me, see you Thursday.", "date": mail["now"], "read": True,
                         "starred": False, "labels": [], "attachments": [], "in_reply_to": m["id"]})
post("mail", "set_current", mail)
