"""Near miss for notes.pin.hiring_plan.

Pins every note of the Work notebook, the right one among them.
"""

import os

import requests

BASE = os.environ["CUA_HUB_URL_NOTES"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

r = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
r.raise_for_status()
state = r.json()["current_state"]

work = {"nb4", "nb5", "nb6", "nb7"}
for n in state["notes"]:
    if n["notebook_id"] in work and not n["trashed"]:
        n["pinned"] = True

r = requests.post(f"{BASE}/post", params={"sid": SID}, json={"action": "set_current", "state": state}, headers=H,
                  timeout=10)
r.raise_for_status()
