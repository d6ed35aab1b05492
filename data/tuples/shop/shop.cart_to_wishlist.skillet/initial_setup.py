"""Initial state for shop.cart_to_wishlist.skillet: the frying pan's page is open; the cart holds skillet, frying pan and kettle."""

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

state["cart"] = [{"id": "cart-p16", "product_id": "p16", "quantity": 1},
                 {"id": "cart-p10", "product_id": "p10", "quantity": 1},
                 {"id": "cart-p13", "product_id": "p13", "quantity": 1}]
state["wishlist"] = [{"id": "wish-p12", "product_id": "p12", "added_on": "2025-06-03"},
                     {"id": "wish-p11", "product_id": "p11", "added_on": "2025-05-29"}]
ui.update(view="product", product_id="p10", category="home", quantity=1)

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
