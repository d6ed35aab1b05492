"""The mail app in a real hub process and a real Chromium.

Every control on the main views is clicked or typed into; after each action the change of
the server-side state is compared with the "Observable state changes" table of
hub/mail/SCHEMA.md (parsed here), and the changed values with what the action should do.
Also: injected states render, invalid states are refused with 422, identical states give
identical screenshots, and the page fills 1280x800 without scrollbars.
"""

from __future__ import annotations

import copy
import re

import pytest

from cuagym.hub.client import HubClient, HubError
from cuagym.hub.core.diff import state_diff
from cuagym.hub.mail.app import SPEC, TRANSIENT_KEYS
from cuagym.hub.mail.seed import seed_state

from .conftest import assert_refused, open_app, wait_idle

PAGE_SIZE = 12


# ------------------------------------------------------------------ SCHEMA.md as test data
def documented_changes() -> dict[str, set[str]]:
    """Action id -> dotted path patterns, from the table under "## Observable state changes"."""
    text = SPEC.schema_doc.read_text()
    section = text.split("## Observable state changes", 1)[1]
    table: dict[str, set[str]] = {}
    for line in section.splitlines():
        m = re.match(r"^\|\s*`([a-z_]+)`\s*\|[^|]*\|(.*)\|\s*$", line)
        if not m:
            continue
        cell = m.group(2).strip()
        table[m.group(1)] = set() if cell.startswith("none") else set(re.findall(r"`([^`]+)`", cell))
    return table


DOC = documented_changes()
EXERCISED: set[str] = set()
RAN: set[str] = set()


def covers(pattern: str, path: str) -> bool:
    """A documented pattern covers a diff path when it matches a prefix of its segments."""
    p, s = pattern.split("."), path.split(".")
    return len(s) >= len(p) and all(a == "*" or a == b for a, b in zip(p, s))


def documented_patterns(action: str, diff: dict) -> set[str]:
    out = set()
    for path in diff:
        found = [p for p in DOC[action] if covers(p, path)]
        assert found, f"{action}: {path} changed ({diff[path]}) but SCHEMA.md does not list it for this action"
        out.add(max(found, key=lambda p: len(p.split("."))))
    return out


# ------------------------------------------------------------------ naive references
def listed(state: dict, *, folder: str | None = None, query: str | None = None) -> list[str]:
    """Ids the list should show, newest first (equal dates: later in the list first)."""
    order = {m["id"]: i for i, m in enumerate(state["messages"])}
    if query is not None:
        names = {lb["id"]: lb["name"] for lb in state["labels"]}
        words = query.lower().split()
        picked = []
        for m in state["messages"]:
            if m["folder"] in ("spam", "trash"):
                continue
            hay = " ".join([m["from_name"], m["from_email"], " ".join(m["to"]), " ".join(m["cc"]), m["subject"],
                            m["body"], " ".join(names[x] for x in m["labels"])]).lower()
            if all(w in hay for w in words):
                picked.append(m)
    else:
        picked = [m for m in state["messages"] if m["folder"] == folder]
    return [m["id"] for m in sorted(picked, key=lambda m: (m["date"], order[m["id"]]), reverse=True)]


def msg(state: dict, mid: str) -> dict | None:
    return next((m for m in state["messages"] if m["id"] == mid), None)


# ------------------------------------------------------------------ driver
class MailPage:
    """One browser page on one session, with before/after state checks per action."""

    def __init__(self, page, client, sid: str) -> None:
        self.page, self.client, self.sid = page, client, sid

    def state(self) -> dict:
        return self.client.state(self.sid)

    def load(self, state: dict) -> None:
        """Replace the current state and reload the page (the launch cookie stays valid)."""
        self.client.set_current(self.sid, state)
        self.page.reload()
        wait_idle(self.page)

    def loc(self, testid: str):
        return self.page.locator(f'[data-testid="{testid}"]')

    def click(self, testid: str) -> None:
        self.loc(testid).click()

    def row_ids(self) -> list[str]:
        return [t.removeprefix("row-") for t in
                self.page.locator('#list [data-testid^="row-"]').evaluate_all("els => els.map(e => e.dataset.testid)")]

    def act(self, action: str, do, expect=None) -> tuple[dict, dict, dict]:
        """Run ``do``; assert the changed paths are exactly ``expect`` (default: the whole SCHEMA.md row).

        Returns (diff, before, after).
        """
        assert action in DOC, f"{action} is not in SCHEMA.md"
        before = self.state()
        do()
        wait_idle(self.page)
        after = self.state()
        diff = state_diff(before, after, TRANSIENT_KEYS)
        want = DOC[action] if expect is None else set(expect)
        assert want <= DOC[action], f"test expects {want - DOC[action]} that SCHEMA.md does not list for {action}"
        got = documented_patterns(action, diff)
        assert got == want, f"{action}: changed {sorted(diff)} -> patterns {sorted(got)}, expected {sorted(want)}"
        EXERCISED.add(action)
        return diff, before, after


pytestmark = pytest.mark.hub(["mail"])


@pytest.fixture(autouse=True)
def _record(request):
    yield
    RAN.add(request.node.name)


@pytest.fixture(scope="module")
def shared_page(browser, hub):
    """One browser page for the module; each test points it at its own session."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    yield ctx.new_page(), HubClient(hub.urls["mail"], hub.admin_token)
    ctx.close()


@pytest.fixture
def mail(shared_page, request):
    """A fresh session on the seed state, opened through its launch URL on the shared page."""
    page, client = shared_page
    sid = "mail-" + re.sub(r"[^A-Za-z0-9_-]", "-", request.node.name)[:50]
    page.goto(client.set(sid, seed_state())["launch_url"])
    wait_idle(page)
    return MailPage(page, client, sid)


def with_ui(**ui) -> dict:
    s = seed_state()
    s["ui"].update(ui)
    return s


# ------------------------------------------------------------------ tests
def test_seed_is_valid_and_rich():
    s = seed_state()
    assert SPEC.validate(s) == SPEC.validate(seed_state())  # deterministic
    folders = {m["folder"] for m in s["messages"]}
    assert folders == {"inbox", "sent", "drafts", "archive", "spam", "trash", "f-receipts", "f-travel"}
    assert len(s["messages"]) >= 50 and len(listed(s, folder="inbox")) > 2 * PAGE_SIZE
    assert any(not m["read"] for m in s["messages"]) and any(m["starred"] for m in s["messages"])
    assert any(m["attachments"] for m in s["messages"])


def test_sidebar_navigation_and_paging(mail):
    s = seed_state()
    busy = {"view": "label", "label_id": "l-work", "page": 2, "open_id": "m5", "checked": ["m7"],
            "search": "work", "search_text": "work"}
    mail.load(with_ui(**busy))
    _, _, after = mail.act("open_folder", lambda: mail.click("nav-sent"))
    assert after["ui"]["folder_id"] == "sent" and after["ui"]["view"] == "folder" and after["ui"]["label_id"] is None
    assert (after["ui"]["page"], after["ui"]["open_id"], after["ui"]["checked"], after["ui"]["search"]) == (1, None, [], "")
    assert mail.row_ids() == listed(s, folder="sent")

    mail.load(with_ui(**busy))
    _, _, after = mail.act("open_starred", lambda: mail.click("nav-starred"))
    starred = {m["id"] for m in s["messages"] if m["starred"] and m["folder"] not in ("spam", "trash")}
    assert after["ui"]["view"] == "starred" and set(mail.row_ids()) == starred == {"m1", "m13", "m14", "m80"}

    mail.load(with_ui(**(busy | {"view": "folder", "label_id": None})))
    _, _, after = mail.act("open_label", lambda: mail.click("nav-label-l-personal"))
    assert after["ui"]["label_id"] == "l-personal"
    assert set(mail.row_ids()) == {"m4", "m10", "m13", "m27", "m63"}

    mail.act("open_folder", lambda: mail.click("nav-f-travel"), expect={"ui.view", "ui.folder_id", "ui.label_id"})
    assert mail.row_ids() == ["m82", "m81", "m80"]
    mail.act("open_folder", lambda: mail.click("nav-inbox"), expect={"ui.folder_id"})
    inbox = listed(s, folder="inbox")
    assert mail.row_ids() == inbox[:PAGE_SIZE]
    assert mail.loc("range").inner_text() == f"1–12 of {len(inbox)}"

    diff, _, _ = mail.act("check", lambda: mail.click("check-m2"))
    assert diff == {"ui.checked.0": {"old": None, "new": "m2"}}
    _, _, after = mail.act("page_next", lambda: mail.click("page-next"))
    assert after["ui"]["page"] == 2 and after["ui"]["checked"] == []
    assert mail.row_ids() == inbox[PAGE_SIZE:2 * PAGE_SIZE]
    mail.act("page_next", lambda: mail.click("page-next"), expect={"ui.page"})
    assert mail.row_ids() == inbox[2 * PAGE_SIZE:] and mail.loc("range").inner_text() == f"25–{len(inbox)} of {len(inbox)}"
    assert mail.loc("page-next").is_disabled()
    _, _, after = mail.act("page_prev", lambda: mail.click("page-prev"), expect={"ui.page"})
    assert after["ui"]["page"] == 2

    _, _, after = mail.act("check_all", lambda: mail.click("check-all"))
    assert after["ui"]["checked"] == inbox[PAGE_SIZE:2 * PAGE_SIZE]
    assert mail.loc("tb-archive").is_enabled() and "12 selected" in mail.page.locator("#toolbar").inner_text()
    mail.act("check", lambda: mail.click(f"check-{inbox[PAGE_SIZE]}"))
    assert mail.state()["ui"]["checked"] == inbox[PAGE_SIZE + 1:2 * PAGE_SIZE]
    _, _, after = mail.act("check_all", lambda: mail.click("check-all"))  # partly ticked -> all
    assert after["ui"]["checked"] == inbox[PAGE_SIZE:2 * PAGE_SIZE]
    _, _, after = mail.act("check_all", lambda: mail.click("check-all"))  # all ticked -> none
    assert after["ui"]["checked"] == []
    assert mail.loc("tb-archive").is_disabled()  # no target: toolbar is off


def test_reading_pane_star_read_labels(mail):
    diff, before, after = mail.act("open_message", lambda: mail.click("row-m2"))
    assert diff == {"ui.open_id": {"old": None, "new": "m2"}, "messages.m2.read": {"old": False, "new": True}}
    assert mail.loc("reader-subject").inner_text() == "Re: Integration timeline for Q2"
    assert "April 6 rather than April 13" in mail.loc("reader-body").inner_text()
    assert "Wed, Mar 18, 2026, 8:15 AM" in mail.page.locator("#reader").inner_text()

    diff, _, _ = mail.act("star", lambda: mail.click("star-m3"))
    assert diff == {"messages.m3.starred": {"old": False, "new": True}}
    diff, _, _ = mail.act("star", lambda: mail.click("reader-star"))
    assert diff == {"messages.m2.starred": {"old": False, "new": True}}
    diff, _, _ = mail.act("star", lambda: mail.click("star-m1"))
    assert diff == {"messages.m1.starred": {"old": True, "new": False}}

    diff, _, _ = mail.act("mark_unread", lambda: mail.click("tb-unread"))
    assert diff == {"messages.m2.read": {"old": True, "new": False}}
    diff, _, _ = mail.act("mark_read", lambda: mail.click("tb-read"))
    assert diff == {"messages.m2.read": {"old": False, "new": True}}
    mail.act("check", lambda: mail.click("check-m3"))
    mail.act("check", lambda: mail.click("check-m4"))
    diff, _, _ = mail.act("mark_read", lambda: mail.click("tb-read"))  # ticked rows win over the open message
    assert set(diff) == {"messages.m3.read", "messages.m4.read"}
    mail.act("check_all", lambda: mail.click("check-all"))
    mail.act("check_all", lambda: mail.click("check-all"))

    diff, _, after = mail.act("remove_label", lambda: mail.click("remove-label-l-work"))
    assert msg(after, "m2")["labels"] == [] and set(diff) == {"messages.m2.labels.0"}
    diff, _, _ = mail.act("close_reader", lambda: mail.click("close-reader"))
    assert diff == {"ui.open_id": {"old": "m2", "new": None}}
    assert "Select a message to read" in mail.page.locator("#reader").inner_text()

    mail.act("open_folder", lambda: mail.click("nav-drafts"), expect={"ui.folder_id"})
    _, _, after = mail.act("open_draft", lambda: mail.click("row-m50"))
    c = after["ui"]["compose"]
    assert (c["mode"], c["to"], c["draft_id"], c["source_id"]) == ("new", "nina@alvarezphoto.com", "m50", "m20")
    assert after["ui"]["open_id"] is None
    assert mail.loc("compose-subject").input_value() == "Re: Quote for the team photos"


def test_toolbar_moves_menus_and_labels(mail):
    s = seed_state()
    inbox = listed(s, folder="inbox")
    last = inbox[2 * PAGE_SIZE:]
    mail.load(with_ui(page=3, checked=last, open_id=last[1]))
    diff, _, after = mail.act("archive", lambda: mail.click("tb-archive"))
    assert all(msg(after, i)["folder"] == "archive" for i in last)
    assert (after["ui"]["page"], after["ui"]["checked"], after["ui"]["open_id"]) == (2, [], None)
    assert mail.loc("toast").inner_text() == "3 conversations archived"

    mail.act("open_folder", lambda: mail.click("nav-archive"), expect={"ui.folder_id", "ui.page"})
    mail.act("open_message", lambda: mail.click("row-m60"), expect={"ui.open_id"})
    diff, _, _ = mail.act("move_to_inbox", lambda: mail.click("tb-inbox"), expect={"messages.*.folder", "ui.open_id"})
    assert diff["messages.m60.folder"] == {"old": "archive", "new": "inbox"}

    mail.act("open_folder", lambda: mail.click("nav-inbox"), expect={"ui.folder_id"})
    mail.act("open_message", lambda: mail.click("row-m3"))
    diff, _, _ = mail.act("delete", lambda: mail.click("tb-delete"), expect={"messages.*.folder", "ui.open_id"})
    assert diff["messages.m3.folder"] == {"old": "inbox", "new": "trash"}
    mail.act("check", lambda: mail.click("check-m12"))
    diff, _, _ = mail.act("spam", lambda: mail.click("tb-spam"), expect={"messages.*.folder", "ui.checked.*"})
    assert diff["messages.m12.folder"] == {"old": "inbox", "new": "spam"}

    mail.act("open_folder", lambda: mail.click("nav-spam"), expect={"ui.folder_id"})
    assert mail.loc("tb-spam").inner_text() == "Not spam"
    mail.act("open_message", lambda: mail.click("row-m90"))
    diff, _, _ = mail.act("not_spam", lambda: mail.click("tb-spam"), expect={"messages.*.folder", "ui.open_id"})
    assert diff["messages.m90.folder"] == {"old": "spam", "new": "inbox"}

    mail.act("open_folder", lambda: mail.click("nav-trash"), expect={"ui.folder_id"})
    assert mail.row_ids() == ["m3", "m96", "m95", "m97"]
    mail.act("check", lambda: mail.click("check-m3"))
    mail.act("check", lambda: mail.click("check-m95"))
    assert mail.loc("tb-delete").inner_text() == "Delete forever"
    diff, _, after = mail.act("delete_forever", lambda: mail.click("tb-delete"), expect={"messages.*", "ui.checked.*"})
    assert msg(after, "m3") is None and msg(after, "m95") is None and len(after["messages"]) == len(s["messages"]) - 2
    assert diff["messages.m3.subject"]["new"] is None

    mail.act("open_folder", lambda: mail.click("nav-inbox"), expect={"ui.folder_id"})
    mail.act("check", lambda: mail.click("check-m11"))
    mail.act("open_menu", lambda: mail.click("tb-move"))
    assert mail.state()["ui"]["menu"] == "move" and mail.loc("move-menu").is_visible()
    assert not mail.loc("move-to-inbox").count()  # the open folder is not offered
    mail.act("open_menu", lambda: mail.click("tb-move"))
    assert mail.state()["ui"]["menu"] is None and not mail.loc("move-menu").count()
    mail.act("open_menu", lambda: mail.click("tb-move"))
    mail.act("open_menu", lambda: mail.page.mouse.click(1000, 600))  # a click elsewhere closes it
    assert mail.state()["ui"]["menu"] is None
    mail.act("open_menu", lambda: mail.click("tb-move"))
    diff, _, _ = mail.act("move_to", lambda: mail.click("move-to-f-travel"), expect={"messages.*.folder", "ui.checked.*"})
    assert diff["messages.m11.folder"] == {"old": "inbox", "new": "f-travel"}
    assert mail.loc("toast").inner_text() == "Conversation moved to Travel"

    mail.act("open_message", lambda: mail.click("row-m6"), expect={"ui.open_id"})
    mail.act("check", lambda: mail.click("check-m6"))
    mail.act("check", lambda: mail.click("check-m8"))
    mail.act("open_menu", lambda: mail.click("tb-label"))
    assert mail.state()["ui"]["menu"] == "label"
    diff, _, after = mail.act("label_toggle", lambda: mail.click("label-toggle-l-finance"))
    assert diff == {"messages.m8.labels.0": {"old": None, "new": "l-finance"}}  # m6 had it already
    mail.act("open_menu", lambda: mail.click("tb-label"))
    diff, _, after = mail.act("label_toggle", lambda: mail.click("label-toggle-l-finance"))  # both have it: remove
    assert msg(after, "m6")["labels"] == [] and msg(after, "m8")["labels"] == []
    mail.act("open_menu", lambda: mail.click("tb-label"))
    diff, _, after = mail.act("label_toggle", lambda: mail.click("label-toggle-l-urgent"))
    assert msg(after, "m6")["labels"] == ["l-urgent"] and msg(after, "m8")["labels"] == ["l-urgent"]
    assert mail.state()["ui"]["menu"] is None


def test_search(mail):
    s = seed_state()
    mail.load(with_ui(open_id="m1", checked=["m2"], page=2))
    diff, _, _ = mail.act("search_type", lambda: mail.loc("search-input").fill("atl"))
    assert diff == {"ui.search_text": {"old": "", "new": "atl"}}
    mail.act("search_type", lambda: mail.loc("search-input").press_sequentially("as"))
    assert mail.state()["ui"]["search_text"] == "atlas"
    _, _, after = mail.act("search_submit", lambda: mail.loc("search-input").press("Enter"),
                           expect={"ui.search", "ui.page", "ui.checked.*", "ui.open_id"})
    assert after["ui"]["search"] == "atlas"
    assert mail.row_ids() == listed(s, query="atlas") == ["m1", "m5", "m40", "m15", "m62", "m60"]

    mail.act("search_type", lambda: mail.loc("search-input").fill("Load  TEST marcus"))
    _, _, after = mail.act("search_submit", lambda: mail.click("search-button"), expect={"ui.search"})
    assert after["ui"]["search"] == "Load  TEST marcus" and mail.row_ids() == listed(s, query="load test marcus")
    assert "m5" in mail.row_ids() and "m3" not in mail.row_ids()
    mail.act("search_type", lambda: mail.loc("search-input").fill("zzz-nothing"))
    mail.act("search_submit", lambda: mail.loc("search-input").press("Enter"), expect={"ui.search"})
    assert mail.row_ids() == [] and "No messages matched" in mail.page.locator("#list").inner_text()
    mail.act("search_type", lambda: mail.loc("search-input").fill("photos"))
    mail.act("search_submit", lambda: mail.loc("search-input").press("Enter"), expect={"ui.search"})
    assert mail.row_ids() == listed(s, query="photos")
    mail.act("open_message", lambda: mail.click("row-m13"), expect={"ui.open_id"})
    mail.act("check", lambda: mail.click("check-m20"))
    _, _, after = mail.act("search_clear", lambda: mail.click("search-clear"),
                           expect={"ui.search", "ui.search_text", "ui.checked.*", "ui.open_id"})
    assert mail.loc("search-input").input_value() == "" and mail.row_ids() == listed(s, folder="inbox")[:PAGE_SIZE]


def test_compose_send_reply_forward_drafts(mail):
    _, _, after = mail.act("compose", lambda: mail.click("compose"))
    assert after["ui"]["compose"] == {"mode": "new", "to": "", "cc": "", "subject": "", "body": "",
                                      "source_id": None, "draft_id": None}
    mail.act("refused", lambda: mail.click("compose-send"))
    assert mail.loc("toast").inner_text() == "Please specify at least one recipient."
    for field, text in [("to", "bob@"), ("cc", "rachel.ortiz@acmerobotics.com"), ("subject", "Signed SOW"),
                        ("body", "Hi Daniel,\nthe signed SOW is attached.\n\nJordan")]:
        diff, _, _ = mail.act("compose_type", lambda: mail.loc(f"compose-{field}").fill(text), expect={f"ui.compose.{field}"})
        assert diff[f"ui.compose.{field}"]["new"] == text
    mail.act("refused", lambda: mail.click("compose-send"))
    assert 'The address "bob@" is not valid' in mail.loc("toast").inner_text()
    mail.act("refused", lambda: mail.click("compose-draft"))
    mail.act("compose_type", lambda: mail.loc("compose-to").fill("Daniel Kim <daniel.kim@acmerobotics.com>; lucas.moreau@northwind.io"),
             expect={"ui.compose.to"})
    diff, before, after = mail.act("send", lambda: mail.click("compose-send"), expect={"messages.*", "ui.compose"})
    sent = msg(after, "m98")  # one past the largest id in use (m97)
    assert sent == {"id": "m98", "folder": "sent", "from_name": "Jordan Lee", "from_email": "jordan.lee@northwind.io",
                    "to": ["daniel.kim@acmerobotics.com", "lucas.moreau@northwind.io"], "cc": ["rachel.ortiz@acmerobotics.com"],
                    "subject": "Signed SOW", "body": "Hi Daniel,\nthe signed SOW is attached.\n\nJordan",
                    "date": "2026-03-18T10:30:00", "read": True, "starred": False, "labels": [], "attachments": [],
                    "in_reply_to": None}
    assert all(p.startswith("messages.m98.") or p == "ui.compose" for p in diff)
    assert mail.loc("toast").inner_text() == "Message sent"
    mail.act("toast_close", lambda: mail.click("toast-close"))
    assert mail.state()["toast"] is None and not mail.loc("toast").count()

    mail.act("open_message", lambda: mail.click("row-m1"))
    _, _, after = mail.act("reply", lambda: mail.click("reply"))
    c = after["ui"]["compose"]
    assert (c["mode"], c["to"], c["cc"], c["subject"], c["source_id"]) == (
        "reply", "priya.raman@northwind.io", "", "Re: Atlas launch review moved to Thursday", "m1")
    assert c["body"].startswith("\n\nOn Wed, Mar 18, 2026 at 9:42 AM, Priya Raman <priya.raman@northwind.io> wrote:\n> Hi Jordan,\n>\n> Quick")  # empty lines quote as ">"
    mail.act("compose_type", lambda: mail.loc("compose-body").press_sequentially("I'll bring both."), expect={"ui.compose.body"})
    _, _, after = mail.act("send", lambda: mail.loc("compose-body").press("Control+Enter"), expect={"messages.*", "ui.compose"})
    reply = msg(after, "m99")
    assert reply["in_reply_to"] == "m1" and reply["to"] == ["priya.raman@northwind.io"]
    assert reply["body"].startswith("I'll bring both.\n\nOn Wed")

    mail.act("open_message", lambda: mail.click("row-m2"))
    _, _, after = mail.act("reply_all", lambda: mail.click("reply-all"))
    c = after["ui"]["compose"]
    assert (c["mode"], c["to"], c["cc"]) == ("reply_all", "daniel.kim@acmerobotics.com", "rachel.ortiz@acmerobotics.com")
    diff, _, _ = mail.act("discard", lambda: mail.click("compose-discard"), expect={"ui.compose"})

    mail.act("open_message", lambda: mail.click("row-m5"), expect={"ui.open_id"})
    _, _, after = mail.act("forward", lambda: mail.click("forward"))
    c = after["ui"]["compose"]
    assert (c["mode"], c["to"], c["subject"]) == ("forward", "", "Fwd: Load test results (cache fix branch)")
    assert "---------- Forwarded message ----------\nFrom: Marcus Webb <marcus.webb@northwind.io>" in c["body"]
    mail.act("compose_type", lambda: mail.loc("compose-to").fill("elena.sokolova@northwind.io"), expect={"ui.compose.to"})
    _, _, after = mail.act("send", lambda: mail.click("compose-send"), expect={"messages.*", "ui.compose"})
    fwd = msg(after, "m100")
    assert fwd["attachments"] == msg(after, "m5")["attachments"] and fwd["in_reply_to"] == "m5"

    mail.act("compose", lambda: mail.click("compose"))
    diff, _, _ = mail.act("save_draft", lambda: mail.click("compose-close"), expect={"ui.compose"})  # empty: no draft
    mail.act("compose", lambda: mail.click("compose"))
    mail.act("compose_type", lambda: mail.loc("compose-subject").fill("Offsite venue"), expect={"ui.compose.subject"})
    _, _, after = mail.act("save_draft", lambda: mail.click("compose-draft"), expect={"messages.*", "ui.compose"})
    draft = msg(after, "m101")
    assert (draft["folder"], draft["subject"], draft["to"]) == ("drafts", "Offsite venue", [])

    mail.act("open_folder", lambda: mail.click("nav-drafts"), expect={"ui.folder_id", "ui.open_id"})
    assert mail.row_ids() == ["m101", "m50", "m51"]
    mail.act("open_draft", lambda: mail.click("row-m51"))
    mail.act("compose_type", lambda: mail.loc("compose-body").fill("Priya, rough numbers: $4,200 in total."),
             expect={"ui.compose.body"})
    diff, _, after = mail.act("save_draft", lambda: mail.click("compose-close"), expect={"messages.*", "ui.compose"})
    assert set(diff) == {"messages.m51.body", "messages.m51.date", "ui.compose"}
    assert msg(after, "m51")["body"] == "Priya, rough numbers: $4,200 in total."
    mail.act("open_draft", lambda: mail.click("row-m101"))
    diff, _, after = mail.act("discard", lambda: mail.click("compose-discard"), expect={"messages.*", "ui.compose"})
    assert msg(after, "m101") is None
    mail.act("open_draft", lambda: mail.click("row-m50"))
    mail.act("compose_type", lambda: mail.loc("compose-body").fill("Hi Nina, April 15 works. Thanks!"), expect={"ui.compose.body"})
    diff, _, after = mail.act("send", lambda: mail.click("compose-send"), expect={"messages.*", "ui.compose"})
    assert msg(after, "m50")["folder"] == "sent" and diff["messages.m50.folder"] == {"old": "drafts", "new": "sent"}
    assert mail.row_ids() == ["m51"]


def test_folder_and_label_dialogs_and_empty_trash(mail):
    mail.act("new_folder", lambda: mail.click("new-folder"), expect={"ui.dialog"})
    assert mail.state()["ui"]["dialog"] == "new_folder"
    for bad, why in [("", "Please enter a folder name."), ("inbox", 'A folder named "inbox" already exists.'),
                     ("  RECEIPTS ", 'A folder named "RECEIPTS" already exists.')]:
        mail.act("dialog_type", lambda: mail.loc("dialog-input").fill(bad), expect={"ui.dialog_text"} if bad else set())
        mail.act("refused", lambda: mail.click("dialog-ok"))
        assert mail.loc("toast").inner_text() == why
    mail.act("dialog_type", lambda: mail.loc("dialog-input").fill("Clients"))
    diff, _, after = mail.act("create_folder", lambda: mail.click("dialog-ok"))
    assert after["folders"][-1] == {"id": "f-clients", "name": "Clients"} and after["ui"]["dialog"] is None
    assert mail.loc("nav-f-clients").inner_text() == "Clients"

    mail.act("new_label", lambda: mail.click("new-label"), expect={"ui.dialog"})
    mail.act("dialog_type", lambda: mail.loc("dialog-input").press_sequentially("Hiring"))
    _, _, after = mail.act("create_label", lambda: mail.loc("dialog-input").press("Enter"))
    assert after["labels"][-1] == {"id": "l-hiring", "name": "Hiring", "color": "teal"}
    mail.act("new_label", lambda: mail.click("new-label"), expect={"ui.dialog"})
    mail.act("dialog_type", lambda: mail.loc("dialog-input").fill("work"))
    mail.act("refused", lambda: mail.loc("dialog-input").press("Enter"))
    mail.act("dialog_cancel", lambda: mail.click("dialog-cancel"))
    mail.act("new_folder", lambda: mail.click("new-folder"), expect={"ui.dialog"})
    mail.act("dialog_cancel", lambda: mail.page.keyboard.press("Escape"), expect={"ui.dialog"})
    mail.act("new_folder", lambda: mail.click("new-folder"), expect={"ui.dialog"})
    mail.act("dialog_cancel", lambda: mail.page.mouse.click(640, 700), expect={"ui.dialog"})  # the backdrop

    mail.act("open_folder", lambda: mail.click("nav-trash"), expect={"ui.folder_id"})
    mail.act("empty_trash_open", lambda: mail.click("empty-trash"))
    assert "All 3 messages in Trash" in mail.loc("dialog").inner_text()
    mail.act("dialog_cancel", lambda: mail.click("dialog-cancel"), expect={"ui.dialog"})
    mail.act("open_message", lambda: mail.click("row-m96"), expect={"ui.open_id"})
    mail.act("check", lambda: mail.click("check-m97"))
    mail.act("empty_trash_open", lambda: mail.click("empty-trash"))
    _, before, after = mail.act("empty_trash", lambda: mail.click("dialog-ok"),
                                expect={"messages.*", "ui.dialog", "ui.checked.*", "ui.open_id"})
    assert [m["id"] for m in after["messages"] if m["folder"] == "trash"] == []
    assert len(after["messages"]) == len(before["messages"]) - 3
    assert mail.row_ids() == [] and mail.loc("toast").inner_text() == "Trash emptied"


def test_injected_state_renders(mail):
    s = seed_state()
    s["folders"].append({"id": "f-zephyr", "name": "Zephyr Project"})
    s["labels"] = [{"id": "vip", "name": "VIP", "color": "pink"}]
    s["messages"] = [{
        "id": "q1", "folder": "f-zephyr", "from_name": "Zed Quill", "from_email": "zed@quill.example.org",
        "to": ["jordan.lee@northwind.io"], "cc": [], "subject": "Quarterly numbers for Zephyr",
        "body": "The totals are 1,204 units.", "date": "2025-12-30T23:05:00", "read": False, "starred": True,
        "labels": ["vip"], "attachments": [{"id": "a1", "name": "zephyr-q4.xlsx", "size_kb": 2048}], "in_reply_to": None}]
    s["ui"].update({"folder_id": "f-zephyr", "open_id": "q1"})
    mail.load(s)
    assert mail.row_ids() == ["q1"] and mail.loc("range").inner_text() == "1–1 of 1"
    row = mail.loc("row-q1").inner_text()
    assert "Zed Quill" in row and "Dec 30, 2025" in row and "VIP" in row
    assert mail.loc("reader-subject").inner_text() == "Quarterly numbers for Zephyr"
    reader = mail.page.locator("#reader").inner_text()
    assert "Tue, Dec 30, 2025, 11:05 PM" in reader and "zephyr-q4.xlsx" in reader and "2.0 MB" in reader
    assert "1" in mail.loc("nav-f-zephyr").inner_text()  # unread count of the custom folder
    assert mail.loc("nav-f-zephyr").get_attribute("class").split().count("active") == 1

    mail.load(with_ui(page=5))  # past the last of 3 pages
    assert mail.row_ids() == [] and mail.loc("range").inner_text() == "Page 5 of 3"
    _, _, after = mail.act("page_prev", lambda: mail.click("page-prev"), expect={"ui.page"})
    assert after["ui"]["page"] == 3 and mail.row_ids() == listed(seed_state(), folder="inbox")[2 * PAGE_SIZE:]


def test_invalid_state_is_refused(hub):
    client = HubClient(hub.urls["mail"], hub.admin_token)
    sid = "mail-invalid"
    good = seed_state()
    good["messages"][0]["subject"] = "Kept"
    client.set(sid, good)
    stored = client.state(sid)
    bad_cases = {
        "wrong type": lambda s: s["messages"][0].update(read="yes"),
        "unknown key": lambda s: s["ui"].update(colour="blue"),
        "bad enum": lambda s: s["ui"].update(view="calendar"),
        "unknown folder": lambda s: s["messages"][0].update(folder="nowhere"),
        "unknown label": lambda s: s["messages"][0].update(labels=["l-nope"]),
        "bad email": lambda s: s["messages"][0].update(to=["not-an-address"]),
        "bad date": lambda s: s.update(now="2026-02-30T10:00:00"),
        "duplicate id": lambda s: s["messages"].append(copy.deepcopy(s["messages"][0])),
        "dangling open_id": lambda s: s["ui"].update(open_id="m404"),
        "system folder id": lambda s: s["folders"].append({"id": "inbox", "name": "Inbox 2"}),
    }
    for name, spoil in bad_cases.items():
        s = copy.deepcopy(good)
        spoil(s)
        assert_refused(client, sid, s, "state does not match the app schema")
        assert client.state(sid) == stored, name
    with pytest.raises(HubError, match="extra|permitted"):
        client.set(sid, good | {"calendar": []})


def test_identical_states_give_identical_pixels_and_fit_the_viewport(browser, hub):
    state = with_ui(open_id="m5", checked=["m7"], menu="label")
    shots = []
    for sid in ("mail-pixels-a", "mail-pixels-b"):
        ctx, page, _ = open_app(browser, hub, "mail", sid, state=copy.deepcopy(state))
        try:
            size = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
                                 " document.body.scrollWidth, document.body.scrollHeight]")
            assert size == [1280, 800, 1280, 800]
            shots.append(page.screenshot())
        finally:
            ctx.close()
    assert len(shots[0]) > 20_000 and shots[0] == shots[1]


def test_zz_every_documented_action_was_exercised():
    others = {n for n in globals() if n.startswith("test_") and n != "test_zz_every_documented_action_was_exercised"}
    if not others <= RAN:
        pytest.skip("only meaningful when the whole module runs")
    assert EXERCISED == set(DOC), f"never exercised: {sorted(set(DOC) - EXERCISED)}; unknown: {sorted(EXERCISED - set(DOC))}"
