"""Near miss for notes.restore.touch_typing.

Leaves it in the Trash and types a new note with the same title and text.
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
NOW = state["now"]  # the app stamps every edit with its own clock

old = notes["n31"]
state["last_ids"]["note"] = 41
state["notes"].append(dict(old, id="n41", notebook_id="nb1", trashed=False, trashed_at=None,
                           created_at=NOW, updated_at=NOW))
state["ui"]["selected_note"] = "n41"

r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set_current", "state": state}, headers=H,
                  timeout=10)
r.raise_for_status()
