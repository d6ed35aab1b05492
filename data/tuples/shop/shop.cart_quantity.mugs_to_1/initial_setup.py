"""Initial state for shop.cart_quantity.mugs_to_1: the cart page is open with 3 mug sets, a planter and 2 toothpaste packs."""

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

state["cart"] = [{"id": "cart-p09", "product_id": "p09", "quantity": 3},
                 {"id": "cart-p15", "product_id": "p15", "quantity": 1},
                 {"id": "cart-p43", "product_id": "p43", "quantity": 2}]
ui["view"] = "cart"

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
