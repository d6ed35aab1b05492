"""Near miss for chat.set_topic.support: the new text is typed after the old topic without clearing it."""
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

c = channels["c_support"]
c["topic"] = (c["topic"] + " " + "P1 escalations: page Olivia first, then Marcus").strip()

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
