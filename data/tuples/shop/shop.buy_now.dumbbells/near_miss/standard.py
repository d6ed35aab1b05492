"""Near miss for shop.buy_now.dumbbells: two dumbbells with PayPal, but standard delivery."""

import math
import os
from datetime import date, timedelta

import requests

BASE = os.environ["CUA_HUB_URL_SHOP"]
SID = os.environ["CUA_SID"]
TOKEN = os.environ.get("CUA_GYM_ADMIN_TOKEN", "")
H = {"X-CUA-Admin-Token": TOKEN} if TOKEN else {}


def add_to_cart(state, pid, quantity):
    """The shop's "Add to cart": raise the product's line (capped by stock and store limit) or append one."""
    p = next(x for x in state["products"] if x["id"] == pid)
    limit = min(p["stock"], state["store"]["max_quantity"])
    line = next((x for x in state["cart"] if x["product_id"] == pid), None)
    if line is None:
        line = {"id": "cart-" + pid, "product_id": pid, "quantity": 0}
        state["cart"].append(line)
    line["quantity"] = max(1, min(line["quantity"] + quantity, limit))


def money(x):
    # Half-up rounding to cents, as the checkout page does.
    return math.floor((x + 1e-9) * 100 + 0.5) / 100


def place_order(state):
    """What "Place your order" does with a valid form: the order, stock, empty cart, confirmation page."""
    ui, store, c = state["ui"], state["store"], state["ui"]["checkout"]
    products = {p["id"]: p for p in state["products"]}
    items = [{"id": "oi-" + ln["product_id"], "product_id": ln["product_id"],
              "name": products[ln["product_id"]]["name"], "unit_price": products[ln["product_id"]]["price"],
              "quantity": ln["quantity"]} for ln in state["cart"]]
    subtotal = money(sum(i["unit_price"] * i["quantity"] for i in items))
    method = c["shipping_method"]
    if method == "express":
        shipping = store["express_shipping"]
    else:
        shipping = 0.0 if subtotal >= store["free_shipping_min"] else store["standard_shipping"]
    tax = money(subtotal * store["tax_rate"])
    days = store["express_days"] if method == "express" else store["standard_days"]
    nums = [int(o["id"][3:]) for o in state["orders"] if o["id"].startswith("SL-") and o["id"][3:].isdigit()]
    oid = "SL-" + str(max(nums) + 1 if nums else 10001)
    fields = ("full_name", "address_line1", "address_line2", "city", "region", "postal_code", "country", "phone")
    pay = c["payment_method"]
    digits = "".join(ch for ch in c["card_number"] if ch.isdigit())
    order = {
        "id": oid, "placed_at": state["now"], "status": "processing", "items": items,
        "ship_to": {k: c[k].strip() for k in fields}, "shipping_method": method,
        "payment": {"method": pay, "card_last4": digits[-4:] if pay == "card" else None},
        "subtotal": subtotal, "shipping_cost": shipping, "tax": tax, "total": money(subtotal + shipping + tax),
        "estimated_delivery": (date.fromisoformat(state["now"][:10]) + timedelta(days=days)).isoformat(),
    }
    for i in items:
        products[i["product_id"]]["stock"] -= i["quantity"]
    state["orders"].insert(0, order)
    state["cart"] = []
    ui["checkout_errors"] = {}
    ui["view"] = "confirmation"
    ui["order_id"] = oid


go = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
go.raise_for_status()
state = go.json()["current_state"]
ui = state["ui"]

ui.update(view="product", product_id="p32", quantity=2)
add_to_cart(state, "p32", 2)
ui["checkout"].update(shipping_method="standard", payment_method="paypal")
place_order(state)

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
