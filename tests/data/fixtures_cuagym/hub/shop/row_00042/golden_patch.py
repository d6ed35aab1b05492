import copy

import requests

go = requests.get("__CUA_GYM_SHOP_URL__/go?sid=__CUA_GYM_SID__", timeout=10).json()
state = copy.deepcopy(go["initial_state"])
state["ui"]["filters"]["price"] = "under_25"
state["ui"]["page"] = 1
requests.post("__CUA_GYM_SHOP_URL__/post?sid=__CUA_GYM_SID__", json={"action": "set_current", "state": state},
              timeout=10).raise_for_status()
