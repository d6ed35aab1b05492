"""Near miss for notes.organize.conferences.

Keeps the dialog's default location (Work) and moves the note there.
"""

import os

import requests

BASE = os.environ["CUA_HUB_URL_NOTES"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

r = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
r.raise_for_status()
state = r.json()["current_state"]
notes = {n["id"]: n for n in state["notes"]}

state["last_ids"]["notebook"] = 14
state["notebooks"].append({"id": "nb14", "name": "Conferences", "parent_id": "nb4", "color": "teal",
                           "expanded": True})
notes["n35"]["notebook_id"] = "nb14"

r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set_current", "state": state}, headers=H,
                  timeout=10)
r.raise_for_status()
