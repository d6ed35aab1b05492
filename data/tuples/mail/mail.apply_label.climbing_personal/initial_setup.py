"""Initial state for mail.apply_label.climbing_personal: the climbing email from Marcus is open in the reading pane."""
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


add_message("m118", "inbox", "Marcus Webb", "marcus.webb@northwind.io", "Climbing on Saturday?",
            "2026-03-18T10:20:00", "The bouldering gym has a new wall. Want to go Saturday morning, 10ish?\n\nMarcus")
ui["open_id"] = "m118"

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
