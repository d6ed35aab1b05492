"""Initial state for shop.open_department.beauty_from_cart: the cart page is open, holding a moisturizer, vitamin gummies and T-shirts."""

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

state["cart"] = [{"id": "cart-p41", "product_id": "p41", "quantity": 1},
                 {"id": "cart-p47", "product_id": "p47", "quantity": 2},
                 {"id": "cart-p17", "product_id": "p17", "quantity": 1}]
ui["view"] = "cart"

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
