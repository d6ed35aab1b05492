"""Initial state for shop.open_department.books: browsing all departments sorted by customer review, on page 2, with a cookbook in the cart."""

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

ui["sort"] = "rating"
ui["page"] = 2
state["cart"].append({"id": "cart-p35", "product_id": "p35", "quantity": 1})

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
