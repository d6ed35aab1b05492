import json
import os
import subprocess
import sys
import time
import uuid

import requests

BASE_URL = "https://cua-gym-notes.xlang.ai"

# Mint a session of our own and remember it for the patch and the reward.
sid = str(uuid.uuid4())
with open("/tmp/task_web_sid", "w") as f:
    f.write(sid)

state = requests.get(f"{BASE_URL}/go?sid={sid}", timeout=10).json()["initial_state"]
state["ui"].update(view="notebook", notebook_id="nb1", tag=None, page=1, selected_note="n11")

resp = requests.post(f"{BASE_URL}/post?sid={sid}", json={"action": "set", "state": state}, timeout=10)
resp.raise_for_status()

go = requests.get(f"{BASE_URL}/go?sid={sid}", timeout=10).json()
if go.get("initial_state") is None:
    print("initial state was not stored", file=sys.stderr)
    sys.exit(1)

subprocess.Popen(["google-chrome", "--no-first-run", "--start-maximized", f"{BASE_URL}/?sid={sid}"],
                 env={**os.environ, "DISPLAY": ":0"},
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(0.5)
print(json.dumps({"sid": sid, "notes": len(state["notes"])}))
