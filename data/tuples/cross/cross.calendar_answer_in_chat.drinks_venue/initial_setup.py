"""Initial state of cross.calendar_answer_in_chat.drinks_venue: the calendar clock set to the chat's Friday 13 March, in month view; the drinks moved to Skyline Terrace; Kenji's question in #random; chat opens on #general."""

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

drinks = one(cal["events"], "event", title="Team offsite drinks", date="2026-03-27")
drinks["location"] = "Skyline Terrace, 9th floor"
cal["ui"]["view"] = "month"
add_chat("c_random", "u_kenji", "2026-03-13T16:16:00",
         "@Alex Morgan where are the team offsite drinks on the 27th? I'd like to put it in the newsletter.")
post("chat", "set", chat)
post("calendar", "set", cal)
