"""Initial state for shop.search_add.gull_point: the catalogue's first page with the phone and daypack in the cart."""

import os

import requests

BASE = os.environ["CUA_HUB_URL_SHOP"]
SID = os.environ["CUA_SID"]
TOKEN = os.environ.get("CUA_GYM_ADMIN_TOKEN", "")
H = {"X-CUA-Admin-Token": TOKEN} if TOKEN else {}

go = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
go.raise_for_status()
state = go.json()["initial_state"]  # a fresh session starts from the app's seed

state["wishlist"] = state["wishlist"][:2]

r = requests.post(f"{BASE}/post", params={"sid": SID}, headers=H,
                  json={"action": "set", "state": state}, timeout=10)
r.raise_for_status()
