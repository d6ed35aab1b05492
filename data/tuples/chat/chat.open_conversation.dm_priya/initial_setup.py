"""Initial state for chat.open_conversation.dm_priya: another view is open and the target has unread messages."""
import os

import requests

BASE = os.environ["CUA_HUB_URL_CHAT"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

go = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
go.raise_for_status()
state = go.json()["initial_state"]
channels = {c["id"]: c for c in state["channels"]}
messages = {m["id"]: m for m in state["messages"]}
users = {u["id"]: u for u in state["users"]}
ui = state["ui"]

# #product is open; Priya sent a third unread message.
state["messages"].append({"id": "m101", "channel_id": "d_priya", "user_id": "u_priya",
                          "ts": "2026-03-13T16:19:00", "text": "Ping me when you are back from the customer call.",
                          "parent_id": None, "reactions": [], "pinned": False, "saved": False, "edited": False})
channels["d_priya"]["unread_count"] = 3
ui["channel_id"] = "c_product"
channels["c_product"]["unread_count"] = 0

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
