"""Initial state for notes.organize.garden.

Two garden notes are added to Personal; All notes is open.
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


add_note("n41", "nb1", "Tomato seedlings", "- Sow indoors 20 March\n- Pot on at 4 true leaves\n- Harden off in May",
         ["garden"], "2026-03-14T17:00:00", "2026-03-16T18:45:00")
add_note("n42", "nb1", "Compost bin plan", "Two bays, pallet wood. Turn every 3 weeks.", ["garden", "home"],
         "2026-03-01T12:00:00", "2026-03-12T08:30:00")
state["ui"].update(view="all", sort="updated", page=1, selected_note="n3")

r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set", "state": state}, headers=H, timeout=10)
r.raise_for_status()
