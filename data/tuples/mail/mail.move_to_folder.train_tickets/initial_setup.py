"""Initial state for mail.move_to_folder.train_tickets: the e-tickets email is open in the reading pane; Coastline Rail also asked for a rating."""
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


add_message("m115", "inbox", "Coastline Rail", "tickets@coastlinerail.com",
            "Your e-tickets: Boston to Portland, April 20", "2026-03-18T08:40:00",
            "Hi Jordan,\n\nYour e-tickets are attached. Train 684 leaves Boston North at 9:05 AM.\n\n"
            "Coastline Rail", attachments=[("etickets-684.pdf", 96)])
add_message("m116", "inbox", "Coastline Rail", "tickets@coastlinerail.com", "How was your journey?",
            "2026-03-16T12:00:00", "Tell us about your last trip with Coastline Rail. It takes two minutes.")
ui["open_id"] = "m115"

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
