"""Initial state for shop.cart_quantity.bottle_to_3: Sports & Outdoors is open; the cart holds a basketball, one bottle and a Python book."""

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

ui["category"] = "sports"
state["cart"] = [{"id": "cart-p29", "product_id": "p29", "quantity": 1},
                 {"id": "cart-p25", "product_id": "p25", "quantity": 1},
                 {"id": "cart-p34", "product_id": "p34", "quantity": 1}]

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
