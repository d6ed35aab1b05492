"""Reward of cross.calendar_answer_in_chat.drinks_venue.

Task: Kenji asked in #random where the team offsite drinks on the 27th are. Check the event in my calendar and answer him in #random with the place.

Criteria:
- Exactly one new message from me is posted in #random (or in a thread under Kenji's question)
- It names the location of the Team offsite drinks event on 27 March: Skyline Terrace, 9th floor
- No other message is posted, edited or deleted in chat
- The calendar is unchanged
"""

import os
import re

import requests

SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}
CHECKS = []  # (description, passed, weight, required)


def go(app):
    r = requests.get(f"{os.environ[f'CUA_HUB_URL_{app.upper()}']}/go", params={"sid": SID}, headers=H, timeout=10)
    r.raise_for_status()
    data = r.json()
    return data["initial_state"], data["current_state"]


def check(name, ok, weight=1.0, required=False):
    """Record one criterion; a failed required one makes the whole reward 0."""
    CHECKS.append((name, bool(ok), weight, required))


def finish():
    for name, ok, weight, required in CHECKS:
        print(f"[{'x' if ok else ' '}] {name} (weight {weight:g}{', required' if required else ''})")
    if not all(ok for _, ok, _, required in CHECKS if required):
        score = 0.0
    else:
        score = sum(w for _, ok, w, _ in CHECKS if ok) / sum(w for _, _, w, _ in CHECKS)
    print(f"REWARD: {round(score, 4)}")


def by_id(items):
    return {i["id"]: i for i in items}


def same_except(a, b, fields=()):
    """Two items agree on every field outside ``fields``."""
    return all(a.get(k) == b.get(k) for k in set(a) | set(b) if k not in fields)


def items_intact(before, after, may_change=(), new_ids=()):
    """Every item of ``before`` is still in ``after`` and unchanged outside ``may_change``;
    nothing appeared except ``new_ids``."""
    b, a = by_id(before), by_id(after)
    if any(i not in a or not same_except(x, a[i], may_change) for i, x in b.items()):
        return False
    return set(a) - set(b) <= set(new_ids)


def norm(text):
    return " ".join(str(text).split()).casefold()


def chat_intact(init, cur, new_ids=()):
    """Existing messages are untouched (no edit, delete, reaction, pin or save); no message
    appeared except ``new_ids``; channels changed at most in their unread counts (opening a
    conversation marks it read); people are as they were."""
    return (items_intact(init["messages"], cur["messages"], new_ids=new_ids)
            and items_intact(init["channels"], cur["channels"], may_change=("unread_count",))
            and len(init["channels"]) == len(cur["channels"])
            and init["users"] == cur["users"])


def calendars_intact(init, cur):
    """The calendar list is the same (showing or hiding one is only a view change)."""
    return items_intact(init["calendars"], cur["calendars"], may_change=("visible",)) and \
        [c["id"] for c in init["calendars"]] == [c["id"] for c in cur["calendars"]]


ASKER, CHANNEL, QUESTION = "u_kenji", "c_random", "where are the team offsite drinks on the 27th"
EXPECTED = "Skyline Terrace, 9th floor"


def ANSWER_OK(text):
    """Names the terrace (the floor may be given as well); the old venue would be wrong."""
    t = norm(text)
    return "skyline terrace" in t and "rooftop 21" not in t

chat0, chat1 = go("chat")
cal0, cal1 = go("calendar")

question = [m for m in chat0["messages"] if m["user_id"] == ASKER and m["channel_id"] == CHANNEL
            and norm(QUESTION) in norm(m["text"])]
qid = question[0]["id"] if len(question) == 1 else None
new = [m for m in chat1["messages"] if m["id"] not in by_id(chat0["messages"])]
# An answer in the conversation itself, or in a thread under the question.
answers = [m for m in new if m["channel_id"] == CHANNEL and m["user_id"] == chat0["current_user_id"]
           and (m["parent_id"] is None or m["parent_id"] == qid)]
ans = answers[0] if len(answers) == 1 else None
check(f"exactly one answer was posted to {ASKER} in {CHANNEL}", ans is not None, weight=2, required=True)
check(f"the answer gives {EXPECTED!r}", ans is not None and ANSWER_OK(ans["text"]), weight=3)
check("nothing else was posted; no message was edited, reacted to or deleted",
      chat_intact(chat0, chat1, new_ids={ans["id"]} if ans else ()))
check("the calendar's events are unchanged", items_intact(cal0["events"], cal1["events"]))
check("the calendars are unchanged", calendars_intact(cal0, cal1))
finish()
