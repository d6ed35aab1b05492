"""Golden patch for kanban.bulk_assign.todo_unassigned_marco: Assignee filter set to Unassigned, then each To do
card opened, assigned and closed."""

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

issues["WEB-103"]["assignee"] = "marco"
issues["WEB-107"]["assignee"] = "marco"
issues["WEB-112"]["assignee"] = "marco"
state["ui"]["filter_assignee"] = "unassigned"
state["ui"]["column_page"] = {"todo": 0, "in_progress": 0, "in_review": 0, "done": 0}
state["ui"]["list_page"] = 0

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
