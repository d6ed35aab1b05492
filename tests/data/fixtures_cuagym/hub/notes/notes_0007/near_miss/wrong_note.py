import copy

import requests

BASE_URL = "https://cua-gym-notes.xlang.ai"
sid = open("/tmp/task_web_sid").read().strip()

go = requests.get(f"{BASE_URL}/go?sid={sid}", timeout=10).json()
state = copy.deepcopy(go["initial_state"])
for note in state["notes"]:
    if note["title"] == "Gift ideas":
        note["tags"].append("urgent")

requests.post(f"{BASE_URL}/post?sid={sid}", json={"action": "set_current", "state": state},
              timeout=10).raise_for_status()
