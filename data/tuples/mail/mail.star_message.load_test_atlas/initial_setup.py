"""Initial state for mail.star_message.load_test_atlas: the Project Atlas label view is open; the Atlas sync invitation is starred."""
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


ui["view"] = "label"
ui["label_id"] = "l-atlas"
msgs["m15"]["starred"] = True
msgs["m5"]["read"] = False

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
