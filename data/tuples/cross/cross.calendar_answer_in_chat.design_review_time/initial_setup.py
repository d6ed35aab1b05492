"""Initial state of cross.calendar_answer_in_chat.design_review_time: the calendar clock set to the chat's Friday 13 March, the design review of 19 March moved to 11:30; Priya's unread question in her DM; chat opens on #engineering."""

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
cal = go("calendar")["initial_state"]
# Both apps share one clock: today is the chat's Friday afternoon.
cal["now"] = chat["now"][:16]
cal["ui"]["focus_date"], cal["ui"]["mini_month"] = chat["now"][:10], chat["now"][:7]


def add_chat(channel_id, user_id, ts, text):
    chat["messages"].append({"id": next_id(chat["messages"], "m"), "channel_id": channel_id, "user_id": user_id,
                             "ts": ts, "text": text, "parent_id": None, "reactions": [], "pinned": False,
                             "saved": False, "edited": False})
    one(chat["channels"], "channel", id=channel_id)["unread_count"] += 1

review = one(cal["events"], "event", title="Design review", date="2026-03-19")
review["start"], review["end"] = "11:30", "12:30"
add_chat("d_priya", "u_priya", "2026-03-13T16:18:00",
         "Quick one: what time does the design review next Thursday start? I want to book the room after it.")
chat["ui"]["channel_id"] = "c_engineering"
one(chat["channels"], "channel", id="c_engineering")["unread_count"] = 0
post("chat", "set", chat)
post("calendar", "set", cal)
