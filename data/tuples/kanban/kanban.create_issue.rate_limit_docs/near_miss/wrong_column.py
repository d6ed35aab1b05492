"""Near miss for kanban.create_issue.rate_limit_docs: created in To do instead of In review."""

import os

import requests

BASE = os.environ["CUA_HUB_URL_KANBAN"]
SID = os.environ["CUA_SID"]
TOKEN = os.environ.get("CUA_GYM_ADMIN_TOKEN", "")
H = {"X-CUA-Admin-Token": TOKEN} if TOKEN else {}

go = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
go.raise_for_status()
state = go.json()["current_state"]
issues = {i["id"]: i for i in state["issues"]}

nums = [int(i["id"].split("-")[1]) for i in state["issues"]]
new_id = f"WEB-{max(nums) + 1}"
state["issues"].insert(0, {
    "id": new_id,
    "title": "Document the rate limit headers",
    "description": "",
    "status": "todo",
    "priority": "medium", "assignee": "priya", "reporter": state["current_user"],
    "labels": ["docs"], "due_date": "2026-03-20", "created_at": state["now"], "comments": [],
})
state["ui"]["dialog"] = None
state["ui"]["create"] = {
    "title": "", "description": "", "status": "todo", "priority": "none", "assignee": None, "labels": [],
    "due_date": "",
}
state["ui"]["column_page"]["todo"] = 0
state["ui"]["list_page"] = 0
state["ui"]["toast"] = f"Created {new_id}"

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
