import copy
import json
import urllib.request

BASE_URL = "https://cua-gym-mail.xlang.ai"
HEADERS = {"User-Agent": "Mozilla/5.0", "Content-Type": "application/json"}
sid = open("/tmp/task_web_sid").read().strip()

with urllib.request.urlopen(urllib.request.Request(f"{BASE_URL}/go?sid={sid}", headers=HEADERS), timeout=10) as r:
    go = json.loads(r.read().decode())
state = copy.deepcopy(go["initial_state"])
state["ui"].update(view="folder", folder_id="trash", label_id=None, page=1, open_id=None, checked=[], search="",
                   search_text="")
body = json.dumps({"action": "set_current", "state": state}).encode()
urllib.request.urlopen(urllib.request.Request(f"{BASE_URL}/post?sid={sid}", data=body, headers=HEADERS), timeout=10)
