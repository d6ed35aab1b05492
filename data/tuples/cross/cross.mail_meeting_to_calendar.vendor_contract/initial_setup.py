"""Initial state of cross.mail_meeting_to_calendar.vendor_contract: the seed mailbox with Hannah's proposal on top of the inbox; the calendar on the seed week."""

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

add_mail("inbox", "Hannah Brooks", "hannah.brooks@lumen-analytics.com", "Vendor contract: time to go through it?",
         "2026-03-18T10:12:00",
         "Hi Jordan,\n\nLegal has sent back their comments on the vendor contract. Could we go through them "
         "together next Thursday, March 26, from 15:30 to 16:15? I've booked Room Cedar.\n\n"
         "Please send me a calendar invite at hannah.brooks@lumen-analytics.com.\n\nThanks,\nHannah")
post("mail", "set", mail)
post("calendar", "set", cal)
