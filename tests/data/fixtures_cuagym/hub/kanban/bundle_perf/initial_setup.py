import os
import subprocess
import uuid

import requests

BASE_URL = "https://cua-gym-kanban.xlang.ai"
sid = str(uuid.uuid4())
open("/tmp/task_web_sid", "w").write(sid)

state = requests.get(f"{BASE_URL}/go", params={"sid": sid}, timeout=10).json()["initial_state"]
state["ui"]["column_page"]["todo"] = 2
requests.post(f"{BASE_URL}/post", params={"sid": sid}, json={"action": "set", "state": state},
              headers={"User-Agent": "Mozilla/5.0"}, timeout=10).raise_for_status()
assert requests.get(f"{BASE_URL}/go", params={"sid": sid}, timeout=10).json()["initial_state"]
subprocess.Popen(["xdg-open", f"{BASE_URL}/?sid={sid}"], env={**os.environ, "DISPLAY": ":0"})
