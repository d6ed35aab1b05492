"""Near miss for notes.new_note.groceries.

Writes "milk, eggs, bread" on one line instead of a bulleted list.
"""

import os

import requests

BASE = os.environ["CUA_HUB_URL_NOTES"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

r = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
r.raise_for_status()
state = r.json()["current_state"]
NOW = state["now"]  # the app stamps every edit with its own clock

state["last_ids"]["note"] = 42
state["notes"].append({"id": "n42", "notebook_id": "nb1", "title": "Groceries", "body": "milk, eggs, bread",
                       "tags": [], "pinned": True, "trashed": False, "created_at": NOW, "updated_at": NOW,
                       "trashed_at": None})
state["ui"].update(view="notebook", notebook_id="nb1", selected_note="n42")

r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set_current", "state": state}, headers=H,
                  timeout=10)
r.raise_for_status()
