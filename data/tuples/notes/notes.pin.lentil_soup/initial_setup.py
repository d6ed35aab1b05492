"""Initial state for notes.pin.lentil_soup.

A second lentil recipe is added; the #recipe tag is open, sorted by title, with the soup open.
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


def add_note(note_id, notebook_id, title, body, tags, created, updated, pinned=False, trashed_at=None):
    state["notes"].append({"id": note_id, "notebook_id": notebook_id, "title": title, "body": body,
                           "tags": tags, "pinned": pinned, "trashed": trashed_at is not None,
                           "created_at": created, "updated_at": updated, "trashed_at": trashed_at})
    notes[note_id] = state["notes"][-1]
    state["last_ids"]["note"] = max(state["last_ids"]["note"], int(note_id[1:]))


add_note("n41", "nb2", "Lentil and spinach dal",
         "# Dal\n- 200 g red lentils\n- 2 handfuls of spinach\n- 1 tbsp garam masala\n\n_Serve with rice._",
         ["recipe", "vegetarian"], "2026-03-12T18:00:00", "2026-03-12T18:25:00")
state["ui"].update(view="tag", tag="recipe", notebook_id=None, sort="title", page=1, selected_note="n9")

r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set", "state": state}, headers=H, timeout=10)
r.raise_for_status()
