"""Initial state for kanban.switch_view.to_board: the Fabrikam workspace in the All issues list on its second
page, signed in as Sofia Lindqvist."""

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

state["workspace"] = "Fabrikam"
state["current_user"] = "sofia"
state["ui"]["view"] = "list"
state["ui"]["list_page"] = 1

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
