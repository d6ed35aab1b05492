"""Golden patch for shop.cancel_order.laptop: Returns & Orders was opened and 'Cancel order' clicked on SL-10039."""

import os

import requests

BASE = os.environ["CUA_HUB_URL_SHOP"]
SID = os.environ["CUA_SID"]
TOKEN = os.environ.get("CUA_GYM_ADMIN_TOKEN", "")
H = {"X-CUA-Admin-Token": TOKEN} if TOKEN else {}


def cancel(state, oid):
    """What "Cancel order" does: a processing order becomes cancelled and its units go back into stock."""
    order = next(o for o in state["orders"] if o["id"] == oid)
    order["status"] = "cancelled"
    for item in order["items"]:
        for p in state["products"]:
            if p["id"] == item["product_id"]:
                p["stock"] += item["quantity"]


go = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
go.raise_for_status()
state = go.json()["current_state"]
ui = state["ui"]

ui.update(view="orders", orders_page=1)
cancel(state, "SL-10039")

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
