"""Near miss for notes.new_note.oslo.

Creates the note in Travel with title and text but no tag.
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

state["last_ids"]["note"] = 41
state["notes"].append({"id": "n41", "notebook_id": "nb3", "title": "Oslo weekend",
                       "body": "Book the ferry to the museum island", "tags": [], "pinned": False,
                       "trashed": False, "created_at": NOW, "updated_at": NOW, "trashed_at": None})
state["ui"].update(view="notebook", notebook_id="nb3", selected_note="n41")

r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set_current", "state": state}, headers=H,
                  timeout=10)
r.raise_for_status()
