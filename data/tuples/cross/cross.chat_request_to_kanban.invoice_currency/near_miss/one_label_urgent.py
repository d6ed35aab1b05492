"""Near miss of cross.chat_request_to_kanban.invoice_currency: right title, but Urgent priority and only the Bug label."""

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
board = go("kanban")["current_state"]


def open_conversation(channel_id):
    # Opening a conversation shows it and marks it read.
    one(chat["channels"], "channel", id=channel_id)["unread_count"] = 0
    chat["ui"]["channel_id"] = channel_id


def add_issue(title, priority="none", labels=(), assignee=None, due_date=None, status="todo"):
    issue = {"id": next_id(board["issues"], board["project"]["key"] + "-"), "title": title, "description": "",
             "status": status, "priority": priority, "assignee": assignee, "labels": list(labels),
             "due_date": due_date, "created_at": board["now"], "reporter": board["current_user"], "comments": []}
    # New issues go first in the list; their column and the list show page one.
    board["issues"].insert(0, issue)
    board["ui"]["column_page"][status] = 0
    board["ui"]["list_page"] = 0
    return issue

add_issue("Invoice PDF shows wrong currency symbol", priority="urgent", labels=["bug"])
post("kanban", "set_current", board)
