"""Near miss for mail.file_into_new_folder.acme: the sent reply to Daniel is moved into the folder as well."""
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

state["folders"].append({"id": "f-acme", "name": "Acme"})
for mid in ['m2', 'm14', 'm26', 'm41']:
    msgs[mid]["folder"] = "f-acme"
ui.update(dialog=None, dialog_text="", checked=[])

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
