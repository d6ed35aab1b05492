"""Initial state for chat.edit_message.webinar_typo."""
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

# #marketing is open; Alex posted a message with a typo this afternoon.
state["messages"].append({"id": "m101", "channel_id": "c_marketing", "user_id": "u_alex", "ts": "2026-03-13T15:20:00",
                          "text": "The webinar deck is due on Wendesday, please send me your slides.", "parent_id": None, "reactions": [], "pinned": False,
                          "saved": False, "edited": False})
ui["channel_id"] = "c_marketing"

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
