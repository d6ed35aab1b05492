import json
import urllib.request

BASE_URL = "https://cua-gym-mail.xlang.ai"
sid = open("/tmp/task_web_sid").read().strip()
req = urllib.request.Request(f"{BASE_URL}/go?sid={sid}", headers={"User-Agent": "Mozilla/5.0"})
with urllib.request.urlopen(req, timeout=10) as r:
    go = json.loads(r.read().decode())

ui = go["current_state"]["ui"]
before = {m["id"]: m for m in go["initial_state"]["messages"]}
after = {m["id"]: m for m in go["current_state"]["messages"]}
score = 0.0
if ui["view"] == "folder" and ui["folder_id"] == "spam":
    score += 0.7
    keys = ("folder", "subject", "starred", "labels")
    if set(before) == set(after) and all(before[i][k] == after[i][k] for i in before for k in keys):
        score += 0.3
print("view:", ui["view"], ui.get("folder_id"))
print(f"REWARD: {score:.1f}")
