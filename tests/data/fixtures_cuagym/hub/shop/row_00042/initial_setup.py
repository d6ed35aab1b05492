import requests

BASE_URL = "__CUA_GYM_SHOP_URL__"
SID = "__CUA_GYM_SID__"

state = requests.get(f"{BASE_URL}/go?sid={SID}", timeout=10).json()["initial_state"]
state["ui"].update(category="books", sort="price_desc")
requests.post(BASE_URL + "/post?sid=" + SID, json={"action": "set", "state": state}, timeout=10).raise_for_status()
