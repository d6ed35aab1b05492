"""Initial state for shop.open_department.sports_from_product: the desk lamp's product page is open (reached from Home & Kitchen); a kettle tops the Wish List."""

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

ui.update(view="product", product_id="p11", category="home", quantity=1)
state["wishlist"].insert(0, {"id": "wish-p13", "product_id": "p13", "added_on": "2025-06-09"})

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
