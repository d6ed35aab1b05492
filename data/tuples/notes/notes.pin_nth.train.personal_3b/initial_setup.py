"""Initial state for notes.pin_nth.train.personal_3b.

The app's seed with no note pinned and no note open, on "All notes".
"""

import os

import requests

BASE = os.environ["CUA_HUB_URL_NOTES"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

r = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
r.raise_for_status()
state = r.json()["initial_state"]  # a fresh session starts from the app's seed

for n in state["notes"]:
    n["pinned"] = False
state["ui"].update(view="all", notebook_id=None, tag=None, page=1, selected_note=None)

r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set", "state": state}, headers=H, timeout=10)
r.raise_for_status()
