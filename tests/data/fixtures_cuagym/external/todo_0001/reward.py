import json
import urllib.request

BASE_URL = "https://cua-gym-todo.xlang.ai"
sid = open("/tmp/task_web_sid").read().strip()
req = urllib.request.Request(f"{BASE_URL}/go?sid={sid}", headers={"User-Agent": "Mozilla/5.0"})
with urllib.request.urlopen(req, timeout=10) as r:
    go = json.loads(r.read().decode())

current = go["current_state"] or go["initial_state"]
done = {item["text"]: item["done"] for item in current["items"]}
score = 0.0
if done.get("Pay rent"):
    score += 0.7
    if not any(v for k, v in done.items() if k != "Pay rent"):
        score += 0.3
print("changed:", sorted(go["state_diff"]))
print(f"REWARD: {score:.1f}")
