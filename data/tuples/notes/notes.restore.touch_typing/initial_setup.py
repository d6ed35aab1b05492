"""Initial state for notes.restore.touch_typing.

Two more notes were trashed this morning and yesterday; All notes is open.
"""

import os

import requests

BASE = os.environ["CUA_HUB_URL_NOTES"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

r = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
r.raise_for_status()
state = r.json()["initial_state"]  # a fresh session starts from the app's seed
notes = {n["id"]: n for n in state["notes"]}

notes["n31"]["trashed"], notes["n31"]["trashed_at"] = True, "2026-03-18T10:12:00"
notes["n34"]["trashed"], notes["n34"]["trashed_at"] = True, "2026-03-17T21:40:00"
state["ui"].update(view="all", sort="updated", page=1, selected_note="n3")

r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set", "state": state}, headers=H, timeout=10)
r.raise_for_status()
