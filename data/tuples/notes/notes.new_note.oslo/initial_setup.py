"""Initial state for notes.new_note.oslo.

The clock is a day later; Work is folded; All notes is open with the launch checklist selected.
"""

import os

import requests

BASE = os.environ["CUA_HUB_URL_NOTES"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

r = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
r.raise_for_status()
state = r.json()["initial_state"]  # a fresh session starts from the app's seed

state["now"] = "2026-03-19T09:05:00"
for b in state["notebooks"]:
    if b["id"] == "nb4":
        b["expanded"] = False
state["ui"].update(view="all", sort="updated", page=1, selected_note="n3")

r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set", "state": state}, headers=H, timeout=10)
r.raise_for_status()
