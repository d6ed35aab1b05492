"""Near miss for mail.move_to_folder.conference_schedule: the Denver flight booking is moved instead."""
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

msgs["m80"]["folder"] = "f-conferences"
ui["checked"] = []

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
