"""Near miss for chat.react.grace_check: the picker is opened but nothing is picked."""
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

ui["view"] = "channel"
ui["channel_id"] = "d_grace"
channels["d_grace"]["unread_count"] = 0
ui["emoji_picker_for"] = None
ui["editing_id"] = None
ui["edit_text"] = ""
ui["member_query"] = ""

ui["emoji_picker_for"] = "m101"

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
