"""Near miss for notes.rename.untitled_dentist.

Types the title over "Gift ideas", the note that was open.
"""

import os
import re

import requests

BASE = os.environ["CUA_HUB_URL_NOTES"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

r = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
r.raise_for_status()
state = r.json()["current_state"]
notes = {n["id"]: n for n in state["notes"]}
NOW = state["now"]  # the app stamps every edit with its own clock


PAGE_SIZE = 8


def num(item_id):
    m = re.search(r"(\d+)$", item_id)
    return int(m.group(1)) if m else 0


def subtree(notebook_id):
    ids, grew = {notebook_id}, True
    while grew:
        grew = False
        for b in state["notebooks"]:
            if b["parent_id"] in ids and b["id"] not in ids:
                ids.add(b["id"])
                grew = True
    return ids


def list_notes():
    """The notes of the middle list in display order (all pages), as the page orders them."""
    ui = state["ui"]
    live = [n for n in state["notes"] if not n["trashed"]]
    if ui["view"] == "trash":
        shown = [n for n in state["notes"] if n["trashed"]]
    elif ui["view"] == "pinned":
        shown = [n for n in live if n["pinned"]]
    elif ui["view"] == "notebook":
        ids = subtree(ui["notebook_id"])
        shown = [n for n in live if n["notebook_id"] in ids]
    elif ui["view"] == "tag":
        shown = [n for n in live if ui["tag"] in n["tags"]]
    else:
        shown = live
    q = ui["search"].strip().lower()
    if q:
        shown = [n for n in shown
                 if q in n["title"].lower() or q in n["body"].lower() or any(q in t for t in n["tags"])]
    if ui["view"] == "trash":
        return sorted(shown, key=lambda n: (n["trashed_at"], num(n["id"])), reverse=True)
    if ui["sort"] == "title":
        return sorted(shown, key=lambda n: (not n["pinned"], (n["title"].strip() or "Untitled").lower(), num(n["id"])))
    key = "created_at" if ui["sort"] == "created" else "updated_at"
    return sorted(shown, key=lambda n: (n["pinned"], n[key], num(n["id"])), reverse=True)


def select(note_id):
    ui = state["ui"]
    if ui["selected_note"] != note_id:
        ui["selected_note"] = note_id
        ui["tag_draft"] = ""
        ui["selection"] = {"start": 0, "end": 0}


def open_view(view, notebook_id=None, tag=None):
    """A sidebar click: the new list from page 1, its first note open."""
    ui = state["ui"]
    ui["view"] = view
    ui["notebook_id"] = notebook_id if view == "notebook" else None
    ui["tag"] = tag if view == "tag" else None
    ui["page"] = 1
    shown = list_notes()
    select(shown[0]["id"] if shown else None)


notes["n11"]["title"] = "Dentist appointment"
notes["n11"]["updated_at"] = NOW

r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set_current", "state": state}, headers=H,
                  timeout=10)
r.raise_for_status()
