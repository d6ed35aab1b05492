"""Initial state for shop.cancel_order.laptop: yesterday's order SL-10039 (laptop and 2 desk lamps) is still processing; the Wish List is open."""

import os

import requests

BASE = os.environ["CUA_HUB_URL_SHOP"]
SID = os.environ["CUA_SID"]
TOKEN = os.environ.get("CUA_GYM_ADMIN_TOKEN", "")
H = {"X-CUA-Admin-Token": TOKEN} if TOKEN else {}

go = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
go.raise_for_status()
state = go.json()["initial_state"]  # a fresh session starts from the app's seed
P = {p["id"]: p for p in state["products"]}
ui = state["ui"]

items = [{"id": "oi-p02", "product_id": "p02", "name": P["p02"]["name"], "unit_price": 899.0, "quantity": 1},
         {"id": "oi-p11", "product_id": "p11", "name": P["p11"]["name"], "unit_price": 42.99, "quantity": 2}]
address = {k: ui["checkout"][k] for k in ("full_name", "address_line1", "address_line2", "city", "region",
                                          "postal_code", "country", "phone")}
# 899.00 + 2 x 42.99 = 984.98; free standard shipping; 8% tax = 78.80.
state["orders"].insert(0, {
    "id": "SL-10039", "placed_at": "2025-06-11T16:20:00", "status": "processing", "items": items,
    "ship_to": address, "shipping_method": "standard", "payment": {"method": "card", "card_last4": "4242"},
    "subtotal": 984.98, "shipping_cost": 0.0, "tax": 78.8, "total": 1063.78, "estimated_delivery": "2025-06-16"})
P["p02"]["stock"] -= 1
P["p11"]["stock"] -= 2
ui["view"] = "wishlist"

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
