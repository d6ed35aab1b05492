"""Golden patch for shop.search_add.gull_point: 'gull point' was searched and the result's 'Add to cart' clicked."""

import os

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


go = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
go.raise_for_status()
state = go.json()["current_state"]
ui = state["ui"]

ui.update(search_draft="gull point", search="gull point", view="catalog", page=1)
add_to_cart(state, "p40", 1)

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
