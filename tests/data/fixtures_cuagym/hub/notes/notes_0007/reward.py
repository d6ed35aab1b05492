import json
import urllib.request

BASE_URL = "https://cua-gym-notes.xlang.ai"
sid = open("/tmp/task_web_sid").read().strip()

req = urllib.request.Request(f"{BASE_URL}/go?sid={sid}", headers={"User-Agent": "Mozilla/5.0"})
with urllib.request.urlopen(req, timeout=10) as r:
    go = json.loads(r.read().decode())

before = {n["id"]: n for n in go["initial_state"]["notes"]}
after = {n["id"]: n for n in go["current_state"]["notes"]}
target = next(i for i, n in before.items() if n["title"] == "Apartment to-do")

score = 0.0
tagged = "urgent" in after[target]["tags"]
if tagged:
    score += 0.6  # the note carries the tag
    if [t for t in after[target]["tags"] if t != "urgent"] == before[target]["tags"]:
        score += 0.2  # its other tags are kept
    if all(after.get(i, {}).get("tags") == n["tags"] and after[i]["title"] == n["title"]
           for i, n in before.items() if i != target):
        score += 0.2  # no other note was retagged or renamed
print(f"tagged={tagged}")
print(f"REWARD: {round(score, 2)}")
