"""Initial state for notes.untag.todo.

"Statistics refresher" also gets #todo (four notes in all); Learning is open.
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

notes["n25"]["tags"].append("todo")
state["ui"].update(view="notebook", notebook_id="nb10", tag=None, page=1, selected_note="n10")

r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set", "state": state}, headers=H, timeout=10)
r.raise_for_status()
