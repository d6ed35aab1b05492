"""Golden patch of cross.calendar_answer_in_chat.design_review_time: the state a correct agent leaves behind."""

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

chat = go("chat")["current_state"]
cal = go("calendar")["current_state"]


def open_conversation(channel_id):
    one(chat["channels"], "channel", id=channel_id)["unread_count"] = 0
    chat["ui"]["channel_id"] = channel_id


def send(channel_id, text, parent_id=None):
    chat["messages"].append({"id": next_id(chat["messages"], "m"), "channel_id": channel_id,
                             "user_id": chat["current_user_id"], "ts": chat["now"], "text": text,
                             "parent_id": parent_id, "reactions": [], "pinned": False, "saved": False,
                             "edited": False})

open_conversation("d_priya")
send("d_priya", "11:30")
# The answer was looked up in the week of 16 March.
cal["ui"]["focus_date"] = "2026-03-20"
post("chat", "set_current", chat)
post("calendar", "set_current", cal)
