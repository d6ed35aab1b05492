"""Initial state for kanban.dedupe.web139_into_web107: the board with a new To do issue WEB-139 that repeats
WEB-107 (which sits on To do's second page)."""

import os

import requests

BASE = os.environ["CUA_HUB_URL_KANBAN"]
SID = os.environ["CUA_SID"]
TOKEN = os.environ.get("CUA_GYM_ADMIN_TOKEN", "")
H = {"X-CUA-Admin-Token": TOKEN} if TOKEN else {}

go = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
go.raise_for_status()
state = go.json()["initial_state"]  # a fresh session starts from the app's seed
issues = {i["id"]: i for i in state["issues"]}

state["issues"].insert(0, {
    "id": "WEB-139", "title": "Avatar upload rejects photos from iPhones",
    "description": "Uploading a .heic photo from an iPhone fails with an error.", "status": "todo",
    "priority": "medium", "assignee": None, "reporter": "daniel", "labels": ["bug"], "due_date": None,
    "created_at": "2026-03-12T09:10:00Z", "comments": [],
})

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
