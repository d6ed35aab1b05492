"""Near miss for kanban.label_filter.docs_instead_of_bug: Docs is chosen, but an assignee filter (Priya Raman)
was set too."""

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

state["ui"]["filter_label"] = "docs"
state["ui"]["filter_assignee"] = "priya"
state["ui"]["column_page"] = {"todo": 0, "in_progress": 0, "in_review": 0, "done": 0}
state["ui"]["list_page"] = 0

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
