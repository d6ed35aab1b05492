"""Near miss for chat.thread_followup.scim_save: the reply is posted but another message is saved."""
import os

import requests

BASE = os.environ["CUA_HUB_URL_CHAT"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

go = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
go.raise_for_status()
state = go.json()["current_state"]
channels = {c["id"]: c for c in state["channels"]}
messages = {m["id"]: m for m in state["messages"]}
users = {u["id"]: u for u in state["users"]}
ui = state["ui"]

ui["search_text"] = "SCIM"
ui["search_query"] = "SCIM"
ui["view"] = "channel"
ui["channel_id"] = "c_product"
channels["c_product"]["unread_count"] = 0
ui["emoji_picker_for"] = None
ui["editing_id"] = None
ui["edit_text"] = ""
ui["member_query"] = ""
ui["panel"] = "thread"
ui["thread_id"] = "m44"
ui["thread_draft"] = ""
ids = [int(m["id"][1:]) for m in state["messages"] if m["id"][1:].isdigit()]
state["messages"].append({"id": f"m{max(ids) + 1}", "channel_id": 'c_product', "user_id": state["current_user_id"],
                          "ts": state["now"], "text": "Beta access for SCIM starts in May, I will send you the plan.", "parent_id": "m44", "reactions": [],
                          "pinned": False, "saved": False, "edited": False})
messages["m80"]["saved"] = True

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
