"""Initial state for notes.open_notebook.journal.

The #travel tag is open with "Lisbon trip — May" in the editor; Work is folded in the sidebar.
"""

import os

import requests

BASE = os.environ["CUA_HUB_URL_NOTES"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

r = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
r.raise_for_status()
state = r.json()["initial_state"]  # a fresh session starts from the app's seed

for b in state["notebooks"]:
    if b["id"] == "nb4":
        b["expanded"] = False
state["ui"].update(view="tag", tag="travel", notebook_id=None, page=1, selected_note="n4")

r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set", "state": state}, headers=H, timeout=10)
r.raise_for_status()
