"""Initial state of cross.chat_request_to_kanban.alt_text: Sofia (named as on the board) asks in her DM; chat opens on #design, the board shows the list view."""

import os

import requests

SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}


def url(app):
    """Each app of the task has its own hub address."""
    return os.environ[f"CUA_HUB_URL_{app.upper()}"]


def go(app):
    r = requests.get(f"{url(app)}/go", params={"sid": SID}, headers=H, timeout=10)
    r.raise_for_status()
    return r.json()


def post(app, action, state):
    r = requests.post(f"{url(app)}/post", params={"sid": SID}, json={"action": action, "state": state},
                      headers=H, timeout=10)
    r.raise_for_status()


def next_id(items, prefix):
    """The id the app gives a new item: <prefix><largest number in use + 1>."""
    nums = [int(i["id"][len(prefix):]) for i in items
            if i["id"].startswith(prefix) and i["id"][len(prefix):].isdigit()]
    return f"{prefix}{max(nums, default=0) + 1}"


def one(items, what, **match):
    """The single item whose fields equal ``match`` (anything else means the state is not as expected)."""
    hits = [i for i in items if all(i.get(k) == v for k, v in match.items())]
    if len(hits) != 1:
        raise SystemExit(f"expected exactly one {what} with {match}, found {len(hits)}")
    return hits[0]

chat = go("chat")["initial_state"]
board = go("kanban")["initial_state"]


def add_chat(channel_id, user_id, ts, text):
    chat["messages"].append({"id": next_id(chat["messages"], "m"), "channel_id": channel_id, "user_id": user_id,
                             "ts": ts, "text": text, "parent_id": None, "reactions": [], "pinned": False,
                             "saved": False, "edited": False})
    one(chat["channels"], "channel", id=channel_id)["unread_count"] += 1

one(chat["users"], "user", id="u_sofia")["name"] = "Sofia Lindqvist"
add_chat("d_sofia", "u_sofia", "2026-03-13T16:12:00",
         "Hi Alex! Could you put a card on the board for the alt-text work? Title: \"Add alt text field to image "
         "uploads\". Labels Feature and Frontend, Medium priority, assign it to me, and set the due date to "
         "Friday March 27. Thanks!")
chat["ui"]["channel_id"] = "c_design"
one(chat["channels"], "channel", id="c_design")["unread_count"] = 0
board["ui"]["view"] = "list"
post("chat", "set", chat)
post("kanban", "set", board)
