"""Near miss for notes.organize.garden.

Creates Garden at the top level (the dialog's default) and moves both notes.
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

state["last_ids"]["notebook"] = 12
state["notebooks"].append({"id": "nb12", "name": "Garden", "parent_id": None, "color": "orange", "expanded": True})
notes["n41"]["notebook_id"] = notes["n42"]["notebook_id"] = "nb12"

r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set_current", "state": state}, headers=H,
                  timeout=10)
r.raise_for_status()
