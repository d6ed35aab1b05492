"""Near miss for notes.pin_nth.train.personal_4a: pins the right note and the one above it."""

import os

import requests

BASE = os.environ["CUA_HUB_URL_NOTES"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

r = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
r.raise_for_status()
state = r.json()["current_state"]
notes = {n["id"]: n for n in state["notes"]}

notes["n9"]["pinned"] = True
notes["n11"]["pinned"] = True
state["ui"].update(view="notebook", notebook_id="nb1", tag=None, page=1, selected_note="n9")

r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set_current", "state": state}, headers=H,
                  timeout=10)
r.raise_for_status()
