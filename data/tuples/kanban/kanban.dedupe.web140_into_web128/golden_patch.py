"""Golden patch for kanban.dedupe.web140_into_web128: WEB-140 deleted with confirmation, the list paged on,
WEB-128 opened and the comment posted."""

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

state["issues"] = [i for i in state["issues"] if i["id"] != "WEB-140"]
state["ui"]["list_page"] = 1
state["ui"]["dialog"] = "issue"
state["ui"]["selected_issue"] = "WEB-128"
nums = [int(c["id"][1:]) for i in state["issues"] for c in i["comments"]]
issues["WEB-128"]["comments"].append({
    "id": f"C{max(nums) + 1}", "author": state["current_user"], "created_at": state["now"],
    "body": "Also reported as WEB-140 by support.",
})

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
