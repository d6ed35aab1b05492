"""Reward for shop.cancel_order.laptop.

Task: Cancel the order that has the Nimbus laptop in it.
Success criteria:
- The order containing the Nimbus 14" Laptop is cancelled
- Its items are back in stock
- No other order changes (the other processing order stays open)
- Cart, wish list and the rest of the catalogue are unchanged
"""

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


LAPTOP = 'Nimbus 14" Laptop, 16GB RAM, 512GB SSD'
laptop = product_id(LAPTOP)
holding = [o["id"] for o in INIT["orders"] if any(i["product_id"] == laptop for i in o["items"])]
if len(holding) != 1:
    raise SystemExit(f"expected one order with the laptop, found {holding}")
TARGET = holding[0]
before = {o["id"]: o for o in INIT["orders"]}
after = {o["id"]: o for o in CUR["orders"]}
order = after.get(TARGET)
cancelled = order is not None and order["status"] == "cancelled" and before[TARGET]["status"] == "processing"
# Cancelling puts the ordered units back into stock.
units = {}
for item in before[TARGET]["items"]:
    units[item["product_id"]] = units.get(item["product_id"], 0) + item["quantity"]
stock0 = {p["id"]: p["stock"] for p in INIT["products"]}
stock1 = {p["id"]: p["stock"] for p in CUR["products"]}
restocked = all(stock1.get(pid) == stock0[pid] + n for pid, n in units.items())
# Only the order's status and its products' stock may change; every other order stays as it was.
others_kept = all(after.get(oid) == o for oid, o in before.items() if oid != TARGET) and len(after) == len(before)
untouched = not changes_outside(f"orders.{TARGET}.status", *[f"products.{pid}.stock" for pid in units])
finish([
    ("the order with the Nimbus laptop is cancelled", 3, cancelled),
    ("its items are back in stock", 1, restocked),
    ("no other order changed", 1, others_kept),
    ("cart, wish list and the rest of the catalogue are unchanged", 1, untouched),
], gate=cancelled)
