"""Golden patch for shop.cart_to_wishlist.skillet: the cart was opened and 'Move to Wish List' clicked on the skillet."""

import os

import requests

BASE = os.environ["CUA_HUB_URL_SHOP"]
SID = os.environ["CUA_SID"]
TOKEN = os.environ.get("CUA_GYM_ADMIN_TOKEN", "")
H = {"X-CUA-Admin-Token": TOKEN} if TOKEN else {}


def wish(state, pid):
    """A new Wish List entry goes on top, dated with the shop's clock."""
    state["wishlist"].insert(0, {"id": "wish-" + pid, "product_id": pid, "added_on": state["now"][:10]})


go = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
go.raise_for_status()
state = go.json()["current_state"]
ui = state["ui"]

ui["view"] = "cart"
state["cart"] = [x for x in state["cart"] if x["product_id"] != "p16"]
wish(state, "p16")

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set_current", "state": state}, timeout=10)
r.raise_for_status()
