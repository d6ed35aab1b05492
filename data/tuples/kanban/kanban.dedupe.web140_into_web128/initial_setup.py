"""Initial state for kanban.dedupe.web140_into_web128: the All issues list signed in as Lena Fischer, with two
new issues: WEB-140 (the duplicate) and WEB-139."""

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

state["current_user"] = "lena"
state["ui"]["view"] = "list"
state["issues"][:0] = [{
    "id": "WEB-140", "title": "Password reset mails go to junk",
    "description": "Support forwarded three tickets: reset mails end up in the junk folder.",
    "status": "in_review", "priority": "high", "assignee": None, "reporter": "priya",
    "labels": ["bug"], "due_date": None, "created_at": "2026-03-12T08:45:00Z", "comments": [],
}, {
    "id": "WEB-139", "title": "Export the board as PDF",
    "description": "Sales wants a printable snapshot of the board for quarterly reviews.",
    "status": "todo", "priority": "low", "assignee": "marco", "reporter": "maya",
    "labels": ["feature"], "due_date": None, "created_at": "2026-03-11T16:20:00Z", "comments": [],
}]

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
