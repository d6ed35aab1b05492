"""Reward for shop.search_add.soccer_ball.

Task: Add a Match Soccer Ball, Size 5 to my cart as well.
Success criteria:
- One Match Soccer Ball, Size 5 is in the cart
- The basketball line stays as it is and nothing else is added or removed
- The wish list, orders and catalogue are unchanged
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


def cart_of(state):
    return {ln["product_id"]: ln["quantity"] for ln in state["cart"]}


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


PRODUCT = "Match Soccer Ball, Size 5"
ADDED = 1  # units the user asked to add

pid = product_id(PRODUCT)
before, after = cart_of(INIT), cart_of(CUR)
right = after.get(pid, 0) == before.get(pid, 0) + ADDED
others_kept = {k: v for k, v in after.items() if k != pid} == {k: v for k, v in before.items() if k != pid}
untouched = not changes_outside("cart")
finish([
    (f"{ADDED} more of {PRODUCT} is in the cart", 3, right),
    ("every other cart line is unchanged (none added or removed)", 1, others_kept),
    ("the wish list, orders and catalogue are unchanged", 1, untouched),
], gate=right)
