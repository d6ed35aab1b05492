"""Reward for shop.open_department.sports_from_product.

Task: Go to the Sports & Outdoors department.
Success criteria:
- The product grid shows the Sports & Outdoors department
- No search query or filter hides part of it
- Nothing in the cart, wish list, orders or catalogue changes
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


def finish(checks, gate=True):
    """checks: (description, points, passed). Nothing counts unless the gate (the task's core) holds."""
    total = sum(pts for _, pts, _ in checks)
    got = sum(pts * float(ok) for _, pts, ok in checks) if gate else 0.0
    for name, pts, ok in checks:
        print(f"[{'x' if ok else ' '}] {name} ({pts:g} of {total:g})")
    if DATA_CHANGES:
        print("data changes:", ", ".join(DATA_CHANGES[:20]))
    print(f"REWARD: {round(got / total, 4):g}")


DEPARTMENT = "Sports & Outdoors"  # the department the user asked to see
DEFAULT_FILTERS = {"price": "any", "min_rating": 0, "brands": [], "in_stock_only": False}

dept_id = next((c["id"] for c in INIT["categories"] if c["name"] == DEPARTMENT), None)
u = CUR["ui"]
shown = dept_id is not None and u["view"] == "catalog" and u["category"] == dept_id
# The whole department is listed: no search query or filter hides part of it.
unfiltered = u["search"].strip() == "" and u["filters"] == DEFAULT_FILTERS
finish([
    (f"the product grid shows the {DEPARTMENT} department", 3, shown),
    ("no search or filter hides part of the department", 1, unfiltered),
    ("nothing in the cart, wish list, orders or catalogue changed", 1, not DATA_CHANGES),
], gate=shown)
