"""Near miss for mail.file_into_new_folder.newsletters: the issue in Trash is moved into the folder as well."""
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

state["folders"].append({"id": "f-newsletters", "name": "Newsletters"})
for mid in ['m121', 'm12', 'm23', 'm95']:
    msgs[mid]["folder"] = "f-newsletters"
ui.update(dialog=None, dialog_text="", checked=[])

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
