"""Initial state for chat.open_conversation.random: another view is open and the target has unread messages."""
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

# #general is open; #random has six unread messages (one just arrived).
state["messages"].append({"id": "m101", "channel_id": "c_random", "user_id": "u_kenji",
                          "ts": "2026-03-13T16:17:00", "text": "Pizza is here, 3rd floor kitchen.",
                          "parent_id": None, "reactions": [], "pinned": False, "saved": False, "edited": False})
channels["c_random"]["unread_count"] = 6

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
