"""Initial state for notes.new_note.groceries.

An old grocery list lies in the Trash; Work is open sorted by title with "Hiring plan" selected.
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


add_note("n41", "nb1", "Groceries — February", "- oat milk\n- apples\n- rye bread", [],
         "2026-02-01T10:00:00", "2026-02-03T18:20:00", trashed_at="2026-03-01T10:05:00")
state["ui"].update(view="notebook", notebook_id="nb4", tag=None, sort="title", page=1, selected_note="n27")

r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set", "state": state}, headers=H, timeout=10)
r.raise_for_status()
