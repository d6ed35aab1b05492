"""Initial state for shop.search_add.soccer_ball: the basketball's product page is open and one basketball is in the cart."""

import os

import requests

BASE = os.environ["CUA_HUB_URL_SHOP"]
SID = os.environ["CUA_SID"]
TOKEN = os.environ.get("CUA_GYM_ADMIN_TOKEN", "")
H = {"X-CUA-Admin-Token": TOKEN} if TOKEN else {}

go = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
go.raise_for_status()
state = go.json()["initial_state"]  # a fresh session starts from the app's seed
ui = state["ui"]

state["cart"] = [{"id": "cart-p29", "product_id": "p29", "quantity": 1}]
ui.update(view="product", product_id="p29", category="sports", quantity=1)

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
