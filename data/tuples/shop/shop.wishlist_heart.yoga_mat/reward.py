"""Reward for shop.wishlist_heart.yoga_mat.

Task: Add the Non-Slip Yoga Mat to my Wish List.
Success criteria:
- Non-Slip Yoga Mat, 6mm is on the Wish List
- No other product is added to or removed from the Wish List
- Nothing else in the shop changes
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


def wished(state):
    return {w["product_id"] for w in state["wishlist"]}


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


PRODUCT = "Non-Slip Yoga Mat, 6mm"

pid = product_id(PRODUCT)
saved = pid in wished(CUR)
# The rest of the Wish List is as it was: nothing else added, nothing removed.
others_kept = wished(CUR) - {pid} == wished(INIT) - {pid}
# Only the new Wish List entry may appear: no cart, order or catalogue change.
untouched = not changes_outside(f"wishlist.wish-{pid}")
finish([
    (f"{PRODUCT} is on the Wish List", 3, saved),
    ("no other product was added to or removed from the Wish List", 1, others_kept),
    ("nothing else in the shop changed", 1, untouched),
], gate=saved and pid not in wished(INIT))
