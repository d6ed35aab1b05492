import requests

BASE_URL = "https://cua-gym-kanban.xlang.ai"
sid = open("/tmp/task_web_sid").read().strip()
go = requests.get(f"{BASE_URL}/go", params={"sid": sid}, headers={"User-Agent": "Mozilla/5.0"}, timeout=10).json()
ui = go["current_state"]["ui"]
score = 0.0
if ui["filter_label"] == "performance":
    score += 0.6
    if go["current_state"]["issues"] == go["initial_state"]["issues"]:
        score += 0.4
print("filter_label:", ui["filter_label"])
print(f"REWARD: {score:.1f}")
