"""Initial state for mail.open_folder.spam: the Starred view is open; a new customs-fee scam sits in Spam."""
import os

import requests

BASE = os.environ["CUA_HUB_URL_MAIL"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

go = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
go.raise_for_status()
state = go.json()["initial_state"]
msgs = {m["id"]: m for m in state["messages"]}
ui = state["ui"]


def add_message(mid, folder, from_name, from_email, subject, date, body, *, read=True, starred=False,
                labels=(), to=None, cc=(), attachments=()):
    """Append a message in the shape the app stores it (SCHEMA.md, Message)."""
    m = {
        "id": mid, "folder": folder, "from_name": from_name, "from_email": from_email,
        "to": list(to) if to else [state["account"]["email"]], "cc": list(cc),
        "subject": subject, "body": body, "date": date, "read": read, "starred": starred,
        "labels": list(labels),
        "attachments": [{"id": f"{mid}-a{i}", "name": n, "size_kb": kb} for i, (n, kb) in enumerate(attachments, 1)],
        "in_reply_to": None,
    }
    state["messages"].append(m)
    msgs[mid] = m
    return m


add_message("m105", "spam", "Parcel Service", "notice@parcel-hold-center.biz",
            "Your parcel is on hold: customs fee due", "2026-03-18T06:48:00",
            "Your parcel could not be delivered. Pay the $2.99 customs fee within 12 hours to release it.",
            read=False)
ui["view"] = "starred"

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
