"""Reward for shop.buy_now.tent.

Task: Order the Ridgeline 2-Person Backpacking Tent from my Wish List: standard delivery to my saved address, paying by card 5500 0000 0000 0004, name on card Maya Thompson, expiry 11/26.
Success criteria:
- One new order holds exactly 1 Ridgeline 2-Person Backpacking Tent
- Delivery is standard
- Payment is by card ending in 0004
- It ships to the saved address (Maya Thompson, 1420 NW Lovejoy St, Apt 5B, Portland, OR 97209)
- The order's figures follow the shop's rules and the units leave stock
- The cart is empty afterwards; earlier orders, the rest of the wish list and catalogue are unchanged
"""

import math
import os

import requests

BASE = os.environ["CUA_HUB_URL_SHOP"]
SID = os.environ["CUA_SID"]
TOKEN = os.environ.get("CUA_GYM_ADMIN_TOKEN", "")
H = {"X-CUA-Admin-Token": TOKEN} if TOKEN else {}

go = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
go.raise_for_status()
g = go.json()
INIT, CUR, DIFF = g["initial_state"], g["current_state"], g["state_diff"]
# Changes to the shop's data (cart, wish list, orders, products); ui.* paths are only the view.
DATA_CHANGES = sorted(p for p in DIFF if not p.startswith("ui."))


def product_id(name):
    """The id of the product the instruction names, looked up by its exact name."""
    ids = [p["id"] for p in INIT["products"] if p["name"] == name]
    if len(ids) != 1:
        raise SystemExit(f"the catalogue should hold exactly one product named {name!r}, found {len(ids)}")
    return ids[0]


def changes_outside(*prefixes):
    """Data changes at paths that do not start with any of the given prefixes."""
    return [p for p in DATA_CHANGES if not any(p == x or p.startswith(x + ".") for x in prefixes)]


def finish(checks, gate=True):
    """checks: (description, points, passed). Nothing counts unless the gate (the task's core) holds."""
    total = sum(pts for _, pts, _ in checks)
    got = sum(pts * float(ok) for _, pts, ok in checks) if gate else 0.0
    for name, pts, ok in checks:
        print(f"[{'x' if ok else ' '}] {name} ({pts:g} of {total:g})")
    if DATA_CHANGES:
        print("data changes:", ", ".join(DATA_CHANGES[:20]))
    print(f"REWARD: {round(got / total, 4):g}")


def money(x):
    return math.floor((x + 1e-9) * 100 + 0.5) / 100


def norm(text):
    # Letter case and runs of spaces are not part of an address.
    return " ".join(str(text).split()).casefold()


def digits(text):
    return "".join(ch for ch in str(text) if ch.isdigit())


def address_ok(got, want):
    """Every address field as asked: phone by its digits, the rest ignoring case and extra spaces."""
    wrong = [k for k, v in want.items()
             if (digits(got.get(k, "")) != digits(v) if k == "phone" else norm(got.get(k, "")) != norm(v))]
    if wrong:
        print("address fields not as asked:", ", ".join(wrong))
    return not wrong


def order_consistent(order, state):
    """The order's figures follow the shop's rules: prices, subtotal, shipping, tax, total, date, status."""
    store, prices = state["store"], {p["id"]: p["price"] for p in state["products"]}
    sub = money(sum(i["unit_price"] * i["quantity"] for i in order["items"]))
    if order["shipping_method"] == "express":
        ship = store["express_shipping"]
    else:
        ship = 0.0 if sub >= store["free_shipping_min"] else store["standard_shipping"]
    tax = money(sub * store["tax_rate"])
    return (all(abs(i["unit_price"] - prices.get(i["product_id"], -1)) < 0.005 for i in order["items"])
            and abs(order["subtotal"] - sub) < 0.005 and abs(order["shipping_cost"] - ship) < 0.005
            and abs(order["tax"] - tax) < 0.005 and abs(order["total"] - money(sub + ship + tax)) < 0.005
            and order["status"] == "processing" and order["placed_at"] == state["now"])


WANT = {product_id("Ridgeline 2-Person Backpacking Tent"): 1}
SHIPPING = "standard"
PAYMENT = "card"
CARD_LAST4 = "0004"
# "My saved address" is the one the checkout form is filled with.
FIELDS = ("full_name", "address_line1", "address_line2", "city", "region", "postal_code", "country", "phone")
ADDRESS = {k: INIT["ui"]["checkout"][k] for k in FIELDS}

old_ids = {o["id"] for o in INIT["orders"]}
new = [o for o in CUR["orders"] if o["id"] not in old_ids]
order = new[0] if len(new) == 1 else None
got = {}
for item in (order["items"] if order else []):
    got[item["product_id"]] = got.get(item["product_id"], 0) + item["quantity"]
placed = order is not None and got == WANT
shipping_ok = placed and order["shipping_method"] == SHIPPING
payment_ok = placed and order["payment"]["method"] == PAYMENT and (
    CARD_LAST4 is None or order["payment"]["card_last4"] == CARD_LAST4)
address_right = placed and address_ok(order["ship_to"], ADDRESS)
figures_ok = placed and order_consistent(order, INIT)
# Placing an order takes the ordered units out of stock and leaves every other product alone.
stock0 = {p["id"]: p["stock"] for p in INIT["products"]}
stock1 = {p["id"]: p["stock"] for p in CUR["products"]}
stock_ok = placed and all(stock1[pid] == stock0[pid] - WANT.get(pid, 0) for pid in stock0)
cart_empty = CUR["cart"] == []
history_kept = placed and not [p for p in DATA_CHANGES if p.startswith("orders.")
                               and not p.startswith(f"orders.{order['id']}.")]
untouched = placed and not changes_outside("cart", f"orders.{order['id']}",
                                           *[f"products.{pid}.stock" for pid in WANT],
                                           *[f"wishlist.wish-{pid}" for pid in WANT])
if new and not placed:
    print("new orders:", [(o["id"], {i["product_id"]: i["quantity"] for i in o["items"]}) for o in new])
finish([
    ("one new order holds exactly the requested items and quantities", 3, placed),
    (f"delivery is {SHIPPING}", 1, shipping_ok),
    (f"payment is {PAYMENT}" + (f" with the card ending in {CARD_LAST4}" if CARD_LAST4 else ""), 1, payment_ok),
    ("the order ships to the requested address", 2, address_right),
    ("the order's prices, shipping, tax, total and status follow the shop's rules", 1, figures_ok),
    ("the ordered units were taken out of stock, nothing else", 1, stock_ok),
    ("the cart is empty afterwards", 1, cart_empty),
    ("earlier orders, the wish list and the catalogue are unchanged", 1, history_kept and untouched),
], gate=placed)
