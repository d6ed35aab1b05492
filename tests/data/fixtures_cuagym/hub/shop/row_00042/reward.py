import requests

go = requests.get("__CUA_GYM_SHOP_URL__/go", params={"sid": "__CUA_GYM_SID__"}, timeout=10).json()
ui = go["current_state"]["ui"]
score = 0.0
if ui["filters"]["price"] == "under_25":
    score += 0.5
    if ui["category"] == "books":
        score += 0.3
    if go["current_state"]["cart"] == go["initial_state"]["cart"]:
        score += 0.2
print(f"REWARD: {score}")
