"""Initial state for chat.star_channel.dm_sofia: the conversation to star is open and not starred."""
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

# The DM with Sofia is open and has a fresh message from her.
state["messages"].append({"id": "m101", "channel_id": "d_sofia", "user_id": "u_sofia",
                          "ts": "2026-03-13T16:12:00", "text": "Thanks for joining the test yesterday! Notes are in the research folder.",
                          "parent_id": None, "reactions": [], "pinned": False, "saved": False, "edited": False})
ui["channel_id"] = "d_sofia"
channels["d_sofia"]["unread_count"] = 0

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
