"""Near miss for chat.create_channel.mobile_release: the people are added to an existing channel instead."""
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

if "u_noah" not in channels["c_marketing"]["members"]:
    channels["c_marketing"]["members"].append("u_noah")
if "u_kenji" not in channels["c_marketing"]["members"]:
    channels["c_marketing"]["members"].append("u_kenji")

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
