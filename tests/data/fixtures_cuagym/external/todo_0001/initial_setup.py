import subprocess
import time
import uuid

import requests

BASE_URL = "https://cua-gym-todo.xlang.ai"
HEADERS = {"User-Agent": "Mozilla/5.0"}

sid = str(uuid.uuid4())
with open("/tmp/task_web_sid", "w") as f:
    f.write(sid)

state = {
    "list": "Groceries & bills",
    "items": [
        {"id": 1, "text": "Buy milk", "done": False},
        {"id": 2, "text": "Pay rent", "done": False},
        {"id": 3, "text": "Call mom", "done": False},
    ],
}
r = requests.post(f"{BASE_URL}/post?sid={sid}", json={"action": "set", "state": state}, headers=HEADERS, timeout=10)
r.raise_for_status()
go = requests.get(f"{BASE_URL}/go?sid={sid}", headers=HEADERS, timeout=10).json()
assert go["initial_state"] is not None, "the server did not keep the initial state"

subprocess.Popen(["google-chrome", "--new-window", f"{BASE_URL}/?sid={sid}"], env={"DISPLAY": ":0"})
time.sleep(0.2)
