"""Golden patch for mail.compose_new.monitor_request: what the page writes when the task is done through the UI."""
import os
from datetime import datetime

import requests

BASE = os.environ["CUA_HUB_URL_MAIL"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

go = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
go.raise_for_status()
state = go.json()["current_state"]
msgs = {m["id"]: m for m in state["messages"]}
ui = state["ui"]


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def next_message_id():
    """The id the page gives a message it writes: m<n>, one past the largest m<number> in use."""
    nums = [int(m["id"][1:]) for m in state["messages"] if m["id"][:1] == "m" and m["id"][1:].isdigit()]
    return f"m{max(nums, default=0) + 1}"


def quoted_reply_body(m):
    """The text a Reply window starts with: two blank lines, the attribution, the quoted body."""
    dt = datetime.fromisoformat(m["date"])
    clock = f"{dt.hour % 12 or 12}:{dt.minute:02d} {'AM' if dt.hour < 12 else 'PM'}"
    header = (f"On {DAYS[dt.weekday()]}, {MONTHS[dt.month - 1]} {dt.day}, {dt.year} at {clock}, "
              f"{m['from_name'] or m['from_email']} <{m['from_email']}> wrote:")
    quoted = "\n".join("> " + line if line else ">" for line in m["body"].split("\n"))
    return "\n\n" + header + "\n" + quoted


def write_message(folder, to, subject, body, cc=(), in_reply_to=None):
    """What Send (folder "sent") or Save draft (folder "drafts") appends for a new compose window."""
    m = {
        "id": next_message_id(), "from_name": state["account"]["name"], "from_email": state["account"]["email"],
        "folder": folder, "to": list(to), "cc": list(cc), "subject": subject, "body": body, "date": state["now"],
        "read": True, "starred": False, "labels": [], "attachments": [], "in_reply_to": in_reply_to,
    }
    state["messages"].append(m)
    return m


write_message("sent", ['helpdesk@northwind.io'], 'Second monitor request', 'Could I get a second monitor for my desk on floor 3?', cc=['priya.raman@northwind.io'])

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
