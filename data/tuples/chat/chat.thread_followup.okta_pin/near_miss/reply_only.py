"""Near miss for chat.thread_followup.okta_pin: the reply is posted but the question is not pinned."""
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

ui["search_text"] = "Okta"
ui["search_query"] = "Okta"
ui["view"] = "channel"
ui["channel_id"] = "c_support"
channels["c_support"]["unread_count"] = 0
ui["emoji_picker_for"] = None
ui["editing_id"] = None
ui["edit_text"] = ""
ui["member_query"] = ""
ui["panel"] = "thread"
ui["thread_id"] = "m38"
ui["thread_draft"] = ""
ids = [int(m["id"][1:]) for m in state["messages"] if m["id"][1:].isdigit()]
state["messages"].append({"id": f"m{max(ids) + 1}", "channel_id": 'c_support', "user_id": state["current_user_id"],
                          "ts": state["now"], "text": "The Okta setup guide now has screenshots for every step.", "parent_id": "m38", "reactions": [],
                          "pinned": False, "saved": False, "edited": False})

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
