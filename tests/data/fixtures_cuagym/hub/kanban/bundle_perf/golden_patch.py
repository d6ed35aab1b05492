import copy

import requests

BASE_URL = "https://cua-gym-kanban.xlang.ai"
sid = open("/tmp/task_web_sid").read().strip()
go = requests.get(f"{BASE_URL}/go", params={"sid": sid}, timeout=10).json()
state = copy.deepcopy(go["initial_state"])
state["ui"]["filter_label"] = "performance"
state["ui"]["column_page"] = {"todo": 0, "in_progress": 0, "in_review": 0, "done": 0}
state["ui"]["list_page"] = 0
requests.post(f"{BASE_URL}/post", params={"sid": sid}, json={"action": "set_current", "state": state},
              timeout=10).raise_for_status()
