"""Near miss for notes.organize.conferences.

Creates the notebook but never moves the note.
"""

import os

import requests

BASE = os.environ["CUA_HUB_URL_NOTES"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

r = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
r.raise_for_status()
state = r.json()["current_state"]

state["last_ids"]["notebook"] = 14
state["notebooks"].append({"id": "nb14", "name": "Conferences", "parent_id": None, "color": "teal",
                           "expanded": True})
state["ui"].update(view="notebook", notebook_id="nb14", selected_note=None)

r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set_current", "state": state}, headers=H,
                  timeout=10)
r.raise_for_status()
