"""Reward for shop.wishlist_heart.remove_camera.

Task: Take the Lumen Mirrorless Camera Kit off my Wish List.
Success criteria:
- Lumen Mirrorless Camera Kit with 15-45mm Lens is no longer on the Wish List
- Every other Wish List item stays and nothing is added
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


PRODUCT = "Lumen Mirrorless Camera Kit with 15-45mm Lens"

pid = product_id(PRODUCT)
was_saved = pid in wished(INIT)
removed = pid not in wished(CUR)
others_kept = wished(CUR) == wished(INIT) - {pid}
untouched = not changes_outside(f"wishlist.wish-{pid}")
finish([
    (f"{PRODUCT} is no longer on the Wish List", 3, removed),
    ("every other Wish List item is still there and nothing was added", 1, others_kept),
    ("nothing else in the shop changed", 1, untouched),
], gate=was_saved and removed)
