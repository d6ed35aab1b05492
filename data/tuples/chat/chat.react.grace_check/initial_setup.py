"""Initial state for chat.react.grace_check."""
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

# #general is open; Grace sent an unread direct message about the board meeting.
state["messages"].append({"id": "m101", "channel_id": "d_grace", "user_id": "u_grace", "ts": "2026-03-13T16:10:00",
                          "text": "Could you present the roadmap at the board meeting on the 24th?", "parent_id": None, "reactions": [], "pinned": False,
                          "saved": False, "edited": False})
channels["d_grace"]["unread_count"] = 1
messages["m57"]["reactions"] = []

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
