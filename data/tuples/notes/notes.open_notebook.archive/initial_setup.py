"""Initial state for notes.open_notebook.archive.

Two old notes are filed in Archive; the Pinned view is open.
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


add_note("n41", "nb11", "2025 tax return checklist",
         "- Pension statement\n- Donation receipts\n- Home office days: 96", ["admin"],
         "2025-02-10T19:00:00", "2025-04-28T20:10:00")
add_note("n42", "nb11", "Old apartment lease", "Lease ended 30 June 2025. Deposit returned in full.", ["home"],
         "2024-06-01T12:00:00", "2025-07-15T09:30:00")
state["ui"].update(view="pinned", notebook_id=None, tag=None, page=1, selected_note="n1")

r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set", "state": state}, headers=H, timeout=10)
r.raise_for_status()
