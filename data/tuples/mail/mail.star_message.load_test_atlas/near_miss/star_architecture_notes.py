"""Near miss for mail.star_message.load_test_atlas: Marcus Webb's architecture review notes are starred instead."""
import os

import requests

BASE = os.environ["CUA_HUB_URL_MAIL"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

go = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
go.raise_for_status()
state = go.json()["current_state"]
msgs = {m["id"]: m for m in state["messages"]}
ui = state["ui"]

msgs["m62"]["starred"] = True

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
