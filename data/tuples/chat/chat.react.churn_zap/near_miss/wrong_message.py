"""Near miss for chat.react.churn_zap: the right emoji on a neighbouring message."""
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

m = messages["m80"]
r = next((x for x in m["reactions"] if x["id"] == "zap"), None)
if r is None:
    m["reactions"].append({"id": "zap", "users": [state["current_user_id"]]})
elif state["current_user_id"] not in r["users"]:
    r["users"].append(state["current_user_id"])
ui["emoji_picker_for"] = None

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
