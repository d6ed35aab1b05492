"""Initial state for chat.save_message.dm_marcus: the conversation holding the message is open."""
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

# The DM with Marcus is open; he followed up with a second message.
state["messages"].append({"id": "m101", "channel_id": "d_marcus", "user_id": "u_marcus",
                          "ts": "2026-03-13T16:16:00", "text": "Also, the staging tunnels need a restart after the credential rotation.",
                          "parent_id": None, "reactions": [], "pinned": False, "saved": False, "edited": False})
ui["channel_id"] = "d_marcus"
channels["d_marcus"]["unread_count"] = 0

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
