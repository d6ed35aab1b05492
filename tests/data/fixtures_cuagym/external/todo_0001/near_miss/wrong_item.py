import copy

import requests

BASE_URL = "https://cua-gym-todo.xlang.ai"
sid = open("/tmp/task_web_sid").read().strip()
go = requests.get(f"{BASE_URL}/go?sid={sid}", timeout=10).json()
state = copy.deepcopy(go["initial_state"])
for item in state["items"]:
    if item["text"] == "Call mom":
        item["done"] = True
requests.post(f"{BASE_URL}/post?sid={sid}", json={"action": "set_current", "state": state},
              timeout=10).raise_for_status()
