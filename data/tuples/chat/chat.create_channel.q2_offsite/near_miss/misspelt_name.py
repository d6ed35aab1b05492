"""Near miss for chat.create_channel.q2_offsite: the channel name drops the hyphen."""
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

state["channels"].append({"id": "c_q2offsite", "kind": "channel", "name": "q2offsite", "topic": "",
                          "description": "Planning the Q2 team offsite", "is_private": True,
                          "members": [state["current_user_id"]] + ["u_sofia", "u_grace"], "starred": False,
                          "unread_count": 0, "created": state["now"]})
channels["c_q2offsite"] = state["channels"][-1]
ui["dialog"] = None
ui["new_channel"] = {"name": "", "description": "", "is_private": False}
ui["view"] = "channel"
ui["channel_id"] = "c_q2offsite"
channels["c_q2offsite"]["unread_count"] = 0
ui["emoji_picker_for"] = None
ui["editing_id"] = None
ui["edit_text"] = ""
ui["member_query"] = ""

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
