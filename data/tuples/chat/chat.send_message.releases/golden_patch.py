"""Golden patch for chat.send_message.releases: open the conversation, type the message, press Enter."""
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
ui["channel_id"] = "c_releases"
channels["c_releases"]["unread_count"] = 0
ui["emoji_picker_for"] = None
ui["editing_id"] = None
ui["edit_text"] = ""
ui["member_query"] = ""
ids = [int(m["id"][1:]) for m in state["messages"] if m["id"][1:].isdigit()]
state["messages"].append({"id": f"m{max(ids) + 1}", "channel_id": 'c_releases', "user_id": state["current_user_id"],
                          "ts": state["now"], "text": "v4.1.5 is deployed to production, all checks green.", "parent_id": None, "reactions": [],
                          "pinned": False, "saved": False, "edited": False})
ui["drafts"].pop("c_releases", None)

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
