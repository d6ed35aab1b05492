"""Initial state for chat.send_message.releases: another view is open."""
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

# #general is open.
channels["c_general"]["unread_count"] = 0

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
