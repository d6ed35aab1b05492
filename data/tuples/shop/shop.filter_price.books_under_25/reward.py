"""Reward for shop.filter_price.books_under_25.

Task: Show me only the books under $25.
Success criteria:
- The grid is filtered to the Under $25 price band
- It still shows the Books department
- No other filter or search changes
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


DEPARTMENT = "Books"
BAND = "under_25"  # the sidebar's "Under $25" price option

dept_id = next((c["id"] for c in INIT["categories"] if c["name"] == DEPARTMENT), None)
u, u0 = CUR["ui"], INIT["ui"]
banded = u["view"] == "catalog" and u["filters"]["price"] == BAND
in_dept = dept_id is not None and u["category"] == dept_id
# Only the price band narrows the list further: other filters and the search are as they were.
same_rest = (all(u["filters"][k] == u0["filters"][k] for k in ("min_rating", "brands", "in_stock_only"))
             and u["search"] == u0["search"])
finish([
    ("the product grid is filtered to Under $25", 3, banded),
    (f"the grid still shows the {DEPARTMENT} department", 1, in_dept),
    ("no other filter or search was changed", 1, same_rest),
    ("nothing in the cart, wish list, orders or catalogue changed", 1, not DATA_CHANGES),
], gate=banded and in_dept)
