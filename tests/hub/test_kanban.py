"""The kanban hub app through a real hub process and a real headless Chromium.

Every UI action is checked against the "Observable state changes" table of
hub/kanban/SCHEMA.md: the test parses the table and asserts that the action changed exactly the
documented dotted paths (ids replaced by ``*``) and to the right values.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from cuagym.hub.client import HubError
from cuagym.hub.core.diff import state_diff
from cuagym.hub.kanban.app import SPEC
from cuagym.hub.kanban.schema import KanbanState
from cuagym.hub.kanban.seed import seed_state
from .conftest import assert_refused, open_app, wait_idle

SCHEMA_DOC = Path(SPEC.schema_doc)
LIST_KEYS = {"issues", "comments", "labels", "members"}  # the segment after these is an item id or index
EXERCISED: set[str] = set()


# ---------------------------------------------------------------- the documented table

def documented_changes() -> dict[str, tuple[set[str], set[str]]]:
    """action -> (paths it changes, paths it may also change), parsed from SCHEMA.md."""
    section = SCHEMA_DOC.read_text().split("## Observable state changes", 1)[1]
    table: dict[str, tuple[set[str], set[str]]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 4 or cells[0] in ("action", "---"):
            continue

        def paths(cell: str) -> set[str]:
            return {p for p in re.findall(r"`([^`]+)`", cell) if p.startswith(("issues.", "ui."))}

        table[cells[0]] = (paths(cells[2]), paths(cells[3]))
    return table


DOC = documented_changes()


def normalise(path: str) -> str:
    segs = path.split(".")
    return ".".join("*" if i and segs[i - 1] in LIST_KEYS else s for i, s in enumerate(segs))


def matches(doc: str, observed: str) -> bool:
    d, o = doc.split("."), observed.split(".")
    if d[-1] == "**":
        return len(o) > len(d) - 1 and all(x in ("*", y) for x, y in zip(d[:-1], o))
    return len(d) == len(o) and all(x in ("*", y) for x, y in zip(d, o))


def test_schema_table_parses_and_matcher_works():
    assert len(DOC) >= 40 and DOC["board.move"] == ({"issues.*.status"}, {"ui.column_page.*"})
    assert DOC["issue.comment_submit"][0] == {"issues.*.comments.*.**", "ui.comment_draft"}
    assert normalise("issues.WEB-1.comments.C3.body") == "issues.*.comments.*.body"
    assert normalise("ui.create.labels.0") == "ui.create.labels.*"
    assert normalise("ui.column_page.todo") == "ui.column_page.todo"
    assert matches("ui.column_page.*", "ui.column_page.todo")
    assert matches("issues.*.**", "issues.*.comments.*.body") and not matches("issues.*.**", "issues.*")
    assert not matches("issues.*.status", "issues.*.title") and not matches("ui.create.*", "ui.create.labels.*")


# ---------------------------------------------------------------- fixtures and step helpers

pytestmark = pytest.mark.hub(["kanban"])


class App:
    """One browser page on one session, with helpers that act and check the diff."""

    def __init__(self, page, client, sid):
        self.page, self.client, self.sid = page, client, sid
        self._last: dict | None = None  # state after the previous checked action = state before the next


    def el(self, testid: str):
        return self.page.locator(f"[data-testid='{testid}']")

    def state(self) -> dict:
        return self.client.state(self.sid)

    def step(self, key: str, act) -> tuple[dict, dict]:
        """Run ``act``; assert the diff is exactly what SCHEMA.md documents for ``key``."""
        before = self._last or self.state()
        act()
        wait_idle(self.page)
        after = self._last = self.state()
        diff = state_diff(before, after, SPEC.transient_keys)
        observed = {normalise(p) for p in diff}
        changes, may = DOC[key]
        stray = {o for o in observed if not any(matches(d, o) for d in changes | may)}
        missing = {d for d in changes if not any(matches(d, o) for o in observed)}
        assert not stray and not missing, f"{key}: undocumented {stray}, missing {missing}, diff {diff}"
        EXERCISED.add(key)
        return diff, after

    def tap(self, key: str, testid: str) -> tuple[dict, dict]:
        return self.step(key, lambda: self.el(testid).click())

    def quiet(self, act) -> dict:
        """An action that touches only transient keys (menus, toasts): state_diff must not move."""
        before = self._last or self.state()
        act()
        wait_idle(self.page)
        after = self._last = self.state()
        assert state_diff(before, after, SPEC.transient_keys) == {}
        return after

    def cards(self, status: str) -> list[str]:
        return self.el(f"column-{status}").locator(".card").evaluate_all("els => els.map(e => e.dataset.issue)")


def _values(diff: dict) -> dict:
    return {p: v["new"] for p, v in diff.items()}


@pytest.fixture
def app(browser, hub, request):
    sid = "kb-" + re.sub(r"[^A-Za-z0-9_-]", "-", request.node.name)[:60]
    ctx, page, client = open_app(browser, hub, "kanban", sid)
    page.set_default_timeout(5000)  # every control is on screen at once; fail fast when one is not
    yield App(page, client, sid)
    ctx.close()


# ---------------------------------------------------------------- seed and schema (no browser)

def test_seed_is_deterministic_valid_and_rich():
    a, b = seed_state(), seed_state()
    assert a == b and KanbanState.model_validate(a).model_dump(mode="json") == a
    by_status = {s: [i["id"] for i in a["issues"] if i["status"] == s] for s in ("todo", "in_progress", "in_review", "done")}
    assert {s: len(v) for s, v in by_status.items()} == {"todo": 12, "in_progress": 9, "in_review": 7, "done": 10}
    assert by_status["todo"][:5] == ["WEB-101", "WEB-102", "WEB-103", "WEB-104", "WEB-105"]
    assert sum(len(i["comments"]) for i in a["issues"]) == 16
    assert a["now"] == "2026-03-12T10:30:00Z"
    # WEB-101 is due tomorrow and WEB-115 yesterday, relative to the seed's clock.
    due = {i["id"]: i["due_date"] for i in a["issues"]}
    assert due["WEB-101"] == "2026-03-13" and due["WEB-115"] == "2026-03-11"


@pytest.mark.parametrize("mutate, needle", [
    (lambda s: s["issues"][0].update(assignee="nobody"), "issues.WEB-101.assignee = 'nobody' names nothing"),
    (lambda s: s["issues"][0].update(labels=["bug", "bug"]), "labels of one issue must be distinct"),
    (lambda s: s["issues"][1].update(id="WEB-101"), "issues ids must be unique; duplicated: WEB-101"),
    (lambda s: s["issues"][0].update(id="OPS-101"), "must start with the project key 'WEB'-"),
    (lambda s: s["issues"][0].update(due_date="2026-02-30"), "not a real calendar date"),
    (lambda s: s["issues"][0].update(status="blocked"), "issues.0.status"),
    (lambda s: s["ui"].update(selected_issue="WEB-101"), "ui.selected_issue must be set exactly when"),
    (lambda s: s["ui"].update(dialog="issue", selected_issue="WEB-999"), "ui.selected_issue = 'WEB-999'"),
    (lambda s: s["ui"].update(filter_label="urgent"), "ui.filter_label = 'urgent' names nothing"),
    (lambda s: s["ui"].update(colour="red"), "Extra inputs are not permitted"),
    (lambda s: s.update(now="yesterday"), "not an ISO UTC datetime"),
])
def test_schema_rejects_broken_states_with_a_clear_reason(mutate, needle):
    state = seed_state()
    mutate(state)
    with pytest.raises(ValidationError) as err:
        KanbanState.model_validate(state)
    assert needle in str(err.value)


# ---------------------------------------------------------------- the board

def test_board_renders_seed_and_fits_the_viewport(app):
    page = app.page
    assert app.cards("todo") == ["WEB-101", "WEB-102", "WEB-103", "WEB-104", "WEB-105"]
    assert app.cards("in_review") == ["WEB-122", "WEB-123", "WEB-124", "WEB-125", "WEB-126"]
    assert app.el("column-todo").locator(".col-foot").inner_text().startswith("1–5 of 12")
    assert app.el("issue-count").inner_text() == "38 issues"
    assert "Mar 13" in app.el("card-WEB-101").inner_text() and app.el("card-WEB-101").locator(".due.soon").count() == 1
    assert app.el("move-left-WEB-101").is_disabled() and app.el("move-right-WEB-129").is_disabled()
    dims = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
                         " document.body.scrollWidth, document.body.scrollHeight]")
    assert dims == [1280, 800, 1280, 800]
    # No card's top row overflows: the assignee avatar ends inside the card on every page-1 card.
    overflow = page.evaluate("""() => [...document.querySelectorAll('.card')].filter(c => {
        const a = c.querySelector('.card-top .avatar').getBoundingClientRect();
        return a.right > c.getBoundingClientRect().right - 4; }).map(c => c.dataset.issue)""")
    assert overflow == []
    # Every card of the first page sits wholly inside its column (nothing is cut off).
    for s in ("todo", "in_progress", "in_review", "done"):
        col = app.el(f"column-{s}").bounding_box()
        for card in app.el(f"column-{s}").locator(".card").all():
            b = card.bounding_box()
            assert col["y"] <= b["y"] and b["y"] + b["height"] <= col["y"] + col["height"] - 30


def test_sidebar_search_and_filters(app):
    _, st = app.tap("nav.list", "nav-list")
    assert st["ui"]["view"] == "list" and app.el("list").is_visible()
    _, st = app.tap("nav.board", "nav-board")
    assert st["ui"]["view"] == "board" and app.el("board").is_visible()

    d, st = app.tap("board.page", "col-next-todo")
    assert _values(d) == {"ui.column_page.todo": 1}
    # Filtering resets pages: the stale page would otherwise point past the filtered column.
    d, st = app.tap("nav.my_issues", "nav-my-issues")
    assert _values(d) == {"ui.filter_assignee": "maya", "ui.column_page.todo": 0}
    assert app.cards("in_progress") == ["WEB-116"] and app.cards("done") == ["WEB-131"] and app.cards("todo") == []
    d, _ = app.tap("nav.my_issues", "nav-my-issues")
    assert _values(d) == {"ui.filter_assignee": None}

    d, _ = app.tap("nav.label", "sidebar-label-bug")
    assert _values(d) == {"ui.filter_label": "bug"}
    assert app.cards("todo") == ["WEB-101", "WEB-107", "WEB-110"] and app.el("issue-count").inner_text() == "10 issues"
    st = app.quiet(lambda: app.el("menu-btn-filter-label").click())
    assert st["ui"]["menu"] == "filter-label" and app.el("menu-filter-label").is_visible()
    d, st = app.tap("filter.label", "pick-filter-label-none")
    assert _values(d) == {"ui.filter_label": None} and st["ui"]["menu"] is None

    app.quiet(lambda: app.el("menu-btn-filter-assignee").click())
    d, _ = app.tap("filter.assignee", "pick-filter-assignee-unassigned")
    assert _values(d) == {"ui.filter_assignee": "unassigned"}
    assert app.cards("todo") == ["WEB-103", "WEB-107", "WEB-112"] and app.cards("done") == []
    app.quiet(lambda: app.el("menu-btn-filter-assignee").click())
    d, _ = app.tap("filter.assignee", "pick-filter-assignee-daniel")
    assert _values(d) == {"ui.filter_assignee": "daniel"}
    # A click outside an open menu closes it without doing anything else.
    app.quiet(lambda: app.el("menu-btn-filter-assignee").click())
    st = app.quiet(lambda: app.page.mouse.click(1100, 73))
    assert st["ui"]["menu"] is None and app.el("menu-filter-assignee").count() == 0

    def type_search():
        app.el("search-input").click()
        app.page.keyboard.type("Checkout")
    d, _ = app.step("search.type", type_search)
    assert _values(d) == {"ui.search": "Checkout"}
    assert app.cards("todo") == ["WEB-101"] and app.el("issue-count").inner_text() == "1 issue"
    assert app.el("search-input").input_value() == "Checkout"
    d, _ = app.tap("search.clear", "search-clear")
    assert _values(d) == {"ui.search": ""}
    # Ids match too, and the search combines with the assignee filter (daniel).
    app.step("search.type", lambda: app.el("search-input").fill("web-12"))
    assert app.cards("in_review") == ["WEB-126"] and app.el("issue-count").inner_text() == "1 issue"
    d, st = app.tap("filter.clear", "clear-filters")
    assert _values(d) == {"ui.search": "", "ui.filter_assignee": None}
    assert app.el("clear-filters").count() == 0 and len(app.cards("todo")) == 5


def test_board_paging_moves_and_drag(app):
    app.tap("board.page", "col-next-todo")
    d, _ = app.tap("board.page", "col-next-todo")
    assert _values(d) == {"ui.column_page.todo": 2} and app.cards("todo") == ["WEB-111", "WEB-112"]
    assert app.el("col-next-todo").is_disabled()

    d, st = app.tap("board.move", "move-right-WEB-111")
    assert _values(d) == {"issues.WEB-111.status": "in_progress"} and st["ui"]["toast"] == "WEB-111 moved to In progress"
    assert app.el("toast").inner_text() == "WEB-111 moved to In progress"
    # Moving the last card off page 3 empties it: the column falls back to page 2.
    d, _ = app.tap("board.move", "move-right-WEB-112")
    assert _values(d) == {"issues.WEB-112.status": "in_progress", "ui.column_page.todo": 1}
    assert app.cards("todo") == ["WEB-106", "WEB-107", "WEB-108", "WEB-109", "WEB-110"]
    d, _ = app.tap("board.page", "col-prev-todo")
    assert _values(d) == {"ui.column_page.todo": 0}
    d, _ = app.tap("board.move", "move-left-WEB-113")
    assert _values(d) == {"issues.WEB-113.status": "todo"}
    d, _ = app.tap("board.move", "move-right-WEB-124")
    assert _values(d) == {"issues.WEB-124.status": "done"}
    st = app.quiet(lambda: app.el("toast-close").click())
    assert st["ui"]["toast"] is None and app.el("toast").count() == 0

    def drag(card: str, column: str):
        def act():
            src = app.el(f"card-{card}").bounding_box()
            dst = app.el(f"column-{column}").bounding_box()
            m = app.page.mouse
            m.move(src["x"] + 60, src["y"] + 45)
            m.down()
            m.move(src["x"] + 80, src["y"] + 60, steps=3)
            m.move(dst["x"] + dst["width"] / 2, dst["y"] + 300, steps=8)
            m.up()
        return act
    d, st = app.step("board.drag", drag("WEB-122", "done"))
    assert _values(d) == {"issues.WEB-122.status": "done"} and st["ui"]["dialog"] is None
    assert app.cards("done") == ["WEB-122", "WEB-124", "WEB-129", "WEB-130", "WEB-131"]
    # A drop on the card's own column is no move; a plain click afterwards still opens the card.
    app.quiet(drag("WEB-123", "in_review"))
    d, _ = app.tap("board.open_card", "card-WEB-123")
    assert _values(d) == {"ui.dialog": "issue", "ui.selected_issue": "WEB-123"}


def test_issue_dialog_edits_every_field(app):
    page = app.page
    d, _ = app.tap("board.open_card", "card-WEB-101")
    assert _values(d) == {"ui.dialog": "issue", "ui.selected_issue": "WEB-101"}
    assert app.el("dialog-issue-id").inner_text() == "WEB-101"
    assert app.el("issue-dialog").locator(".comment").count() == 3

    # title: start, type, save with Enter
    d, _ = app.tap("issue.edit_start", "issue-title")
    assert _values(d) == {"ui.editing": "title", "ui.edit_text": "Checkout button stays disabled after fixing a card error"}
    d, _ = app.step("issue.edit_type", lambda: app.el("edit-input").fill("  Pay button stuck after card error "))
    assert _values(d) == {"ui.edit_text": "  Pay button stuck after card error "}
    d, _ = app.step("issue.edit_save_title", lambda: page.keyboard.press("Enter"))
    assert _values(d) == {"issues.WEB-101.title": "Pay button stuck after card error", "ui.editing": None, "ui.edit_text": ""}
    assert app.el("issue-title").inner_text() == "Pay button stuck after card error"
    # a blank title cannot be saved
    app.tap("issue.edit_start", "issue-title")
    app.step("issue.edit_type", lambda: app.el("edit-input").fill("   "))
    assert app.el("edit-save").is_disabled()
    d, _ = app.step("issue.edit_cancel", lambda: page.keyboard.press("Escape"))
    assert _values(d) == {"ui.editing": None, "ui.edit_text": ""}

    # description: cancel keeps the old text, Save writes the new one
    app.tap("issue.edit_start", "issue-description")
    app.step("issue.edit_type", lambda: app.el("edit-input").fill("throwaway"))
    d, st = app.tap("issue.edit_cancel", "edit-cancel")
    assert st["issues"][0]["description"].startswith("When the card number")
    app.tap("issue.edit_start", "issue-description")
    app.step("issue.edit_type", lambda: app.el("edit-input").fill("Line one.\nLine two."))
    d, _ = app.tap("issue.edit_save_description", "edit-save")
    assert _values(d) == {"issues.WEB-101.description": "Line one.\nLine two.", "ui.editing": None, "ui.edit_text": ""}

    # due date: an impossible date disables Save and shows a hint; a real one saves
    d, _ = app.tap("issue.edit_start", "due-edit")
    assert _values(d) == {"ui.editing": "due_date", "ui.edit_text": "2026-03-13"}
    app.step("issue.edit_type", lambda: app.el("edit-input").fill("2026-02-30"))
    assert app.el("edit-save").is_disabled() and app.el("due-error").is_visible()
    app.step("issue.edit_type", lambda: app.el("edit-input").fill("2026-04-01"))
    d, _ = app.step("issue.edit_save_due", lambda: page.keyboard.press("Enter"))
    assert _values(d) == {"issues.WEB-101.due_date": "2026-04-01", "ui.editing": None, "ui.edit_text": ""}
    assert "Apr 1" in app.el("due-edit").inner_text()
    d, _ = app.tap("issue.due_clear", "due-clear")
    assert _values(d) == {"issues.WEB-101.due_date": None} and "Set due date" in app.el("due-edit").inner_text()

    # status, priority, assignee menus
    st = app.quiet(lambda: app.el("status-btn").click())
    assert st["ui"]["menu"] == "status"
    d, st = app.tap("issue.status", "pick-status-in_review")
    assert _values(d) == {"issues.WEB-101.status": "in_review"} and st["ui"]["menu"] is None
    app.quiet(lambda: app.el("priority-btn").click())
    d, _ = app.tap("issue.priority", "pick-priority-low")
    assert _values(d) == {"issues.WEB-101.priority": "low"}
    app.quiet(lambda: app.el("assignee-btn").click())
    d, _ = app.tap("issue.assignee", "pick-assignee-unassigned")
    assert _values(d) == {"issues.WEB-101.assignee": None}
    app.quiet(lambda: app.el("assignee-btn").click())
    d, _ = app.tap("issue.assignee", "pick-assignee-sofia")
    assert _values(d) == {"issues.WEB-101.assignee": "sofia"} and "Sofia Lindqvist" in app.el("assignee-btn").inner_text()

    # labels: the multi-select menu stays open between toggles
    app.quiet(lambda: app.el("labels-btn").click())
    d, st = app.tap("issue.label_toggle", "pick-labels-docs")
    assert _values(d) == {"issues.WEB-101.labels.2": "docs"} and st["ui"]["menu"] == "labels"
    d, st = app.tap("issue.label_toggle", "pick-labels-bug")
    assert st["issues"][0]["labels"] == ["frontend", "docs"] and set(d) == {
        "issues.WEB-101.labels.0", "issues.WEB-101.labels.1", "issues.WEB-101.labels.2"}
    app.quiet(lambda: page.keyboard.press("Escape"))  # closes the menu only
    assert app.state()["ui"]["dialog"] == "issue"

    # comments: button and Ctrl+Enter; a blank draft cannot be posted
    assert app.el("comment-submit").is_disabled()
    def type_comment():
        app.el("comment-input").click()
        page.keyboard.type("Verified.")
    d, _ = app.step("issue.comment_type", type_comment)
    assert _values(d) == {"ui.comment_draft": "Verified."}
    d, _ = app.tap("issue.comment_submit", "comment-submit")
    assert _values(d) == {"issues.WEB-101.comments.C17.id": "C17", "issues.WEB-101.comments.C17.author": "maya",
                          "issues.WEB-101.comments.C17.body": "Verified.",
                          "issues.WEB-101.comments.C17.created_at": "2026-03-12T10:30:00Z", "ui.comment_draft": ""}
    assert "Verified." in app.el("comment-C17").inner_text()
    app.step("issue.comment_type", lambda: app.el("comment-input").fill("Shipping it."))
    d, _ = app.step("issue.comment_submit", lambda: page.keyboard.press("Control+Enter"))
    assert _values(d)["issues.WEB-101.comments.C18.body"] == "Shipping it."

    # delete: ask, cancel by button and by Escape
    d, _ = app.tap("issue.delete_ask", "delete-issue")
    assert _values(d) == {"ui.confirm_delete": True} and "Delete WEB-101?" in app.el("confirm-delete-box").inner_text()
    d, _ = app.tap("issue.delete_cancel", "delete-cancel")
    assert _values(d) == {"ui.confirm_delete": False}
    app.tap("issue.delete_ask", "delete-issue")
    app.step("issue.delete_cancel", lambda: page.keyboard.press("Escape"))

    # closing: the × button, Escape, and a click on the dimmed background
    app.step("issue.comment_type", lambda: app.el("comment-input").fill("unsent draft"))
    d, _ = app.tap("issue.close", "dialog-close")
    assert _values(d) == {"ui.dialog": None, "ui.selected_issue": None, "ui.comment_draft": ""}
    app.tap("board.open_card", "card-WEB-102")
    d, _ = app.step("issue.close", lambda: page.keyboard.press("Escape"))
    assert _values(d) == {"ui.dialog": None, "ui.selected_issue": None}
    app.tap("board.open_card", "card-WEB-102")
    app.step("issue.close", lambda: page.mouse.click(640, 20))

    # delete for real: every field of the issue leaves the state
    app.tap("board.open_card", "card-WEB-103")
    app.tap("issue.delete_ask", "delete-issue")
    d, st = app.tap("issue.delete_confirm", "delete-confirm")
    assert {p for p in d if p.startswith("issues.")} >= {"issues.WEB-103.id", "issues.WEB-103.title", "issues.WEB-103.labels.1"}
    assert all(v["new"] is None for p, v in d.items() if p.startswith("issues."))
    assert "WEB-103" not in [i["id"] for i in st["issues"]] and st["ui"]["toast"] == "Deleted WEB-103"
    assert app.el("card-WEB-103").count() == 0 and app.cards("todo") == ["WEB-102", "WEB-104", "WEB-105", "WEB-106", "WEB-107"]


def test_create_issue_dialog(app):
    page = app.page
    d, _ = app.tap("create.open", "new-issue")
    assert _values(d) == {"ui.dialog": "create"}
    assert page.evaluate("document.activeElement.id") == "create-title" and app.el("create-submit").is_disabled()
    d, _ = app.step("create.type_title", lambda: page.keyboard.type("CSV import"))
    assert _values(d) == {"ui.create.title": "CSV import"}
    d, _ = app.step("create.type_description", lambda: app.el("create-description").fill("Map columns, preview 10 rows."))
    assert _values(d) == {"ui.create.description": "Map columns, preview 10 rows."}
    for key, btn, pick, path, value in [
        ("create.status", "create-status-btn", "pick-create-status-in_progress", "ui.create.status", "in_progress"),
        ("create.priority", "create-priority-btn", "pick-create-priority-high", "ui.create.priority", "high"),
        ("create.assignee", "create-assignee-btn", "pick-create-assignee-arjun", "ui.create.assignee", "arjun"),
    ]:
        app.quiet(lambda: app.el(btn).click())
        d, st = app.tap(key, pick)
        assert _values(d) == {path: value} and st["ui"]["menu"] is None
    app.quiet(lambda: app.el("create-labels-btn").click())
    d, _ = app.tap("create.label_toggle", "pick-create-labels-feature")
    assert _values(d) == {"ui.create.labels.0": "feature"}
    app.tap("create.label_toggle", "pick-create-labels-backend")
    app.tap("create.label_toggle", "pick-create-labels-docs")
    d, _ = app.tap("create.label_toggle", "pick-create-labels-docs")
    assert _values(d) == {"ui.create.labels.2": None}
    d, _ = app.step("create.type_due", lambda: app.el("create-due").fill("2026-13-01"))
    assert _values(d) == {"ui.create.due_date": "2026-13-01"}
    assert app.el("create-submit").is_disabled() and app.el("create-due-error").is_visible()
    app.step("create.type_due", lambda: app.el("create-due").fill("2026-03-20"))
    d, st = app.tap("create.submit", "create-submit")
    new = st["issues"][0]
    assert new == {"id": "WEB-139", "title": "CSV import", "description": "Map columns, preview 10 rows.",
                   "status": "in_progress", "priority": "high", "assignee": "arjun", "reporter": "maya",
                   "labels": ["feature", "backend"], "due_date": "2026-03-20", "created_at": "2026-03-12T10:30:00Z",
                   "comments": []}
    assert st["ui"]["dialog"] is None and st["ui"]["create"]["title"] == "" and st["ui"]["toast"] == "Created WEB-139"
    assert app.cards("in_progress")[0] == "WEB-139"

    # keyboard: "c" opens the dialog, Escape discards the draft
    d, _ = app.step("create.open", lambda: page.keyboard.press("c"))
    assert _values(d) == {"ui.dialog": "create"}
    app.step("create.type_title", lambda: page.keyboard.type("temp"))
    d, st = app.step("create.cancel", lambda: page.keyboard.press("Escape"))
    assert _values(d) == {"ui.dialog": None, "ui.create.title": ""}

    # "+" in a column presets the status; ×, Cancel and the background discard the draft
    d, _ = app.tap("board.add_in_column", "column-add-in_review")
    assert _values(d) == {"ui.dialog": "create", "ui.create.status": "in_review"}
    d, _ = app.tap("create.cancel", "create-close")
    assert _values(d) == {"ui.dialog": None, "ui.create.status": "todo"}
    app.tap("create.open", "new-issue")
    app.tap("create.cancel", "create-cancel")
    app.tap("create.open", "new-issue")
    app.step("create.cancel", lambda: page.mouse.click(640, 40))
    assert app.state()["ui"]["dialog"] is None

    # Enter in the title creates an issue with the defaults
    app.tap("board.add_in_column", "column-add-done")
    app.step("create.type_title", lambda: page.keyboard.type("Retro"))
    d, st = app.step("create.submit", lambda: page.keyboard.press("Enter"))
    new = st["issues"][0]
    assert (new["id"], new["status"], new["priority"], new["assignee"], new["labels"], new["due_date"]) == \
        ("WEB-140", "done", "none", None, [], None)
    assert app.cards("done")[0] == "WEB-140"


def test_list_view_paging_and_rows(app):
    app.tap("nav.list", "nav-list")
    rows = lambda: app.el("list").locator("tbody tr").evaluate_all("els => els.map(e => e.dataset.testid)")
    ids = [i["id"] for i in app.state()["issues"]]
    assert rows() == [f"row-{i}" for i in ids[:15]]
    d, _ = app.tap("list.page", "list-next")
    assert _values(d) == {"ui.list_page": 1} and rows() == [f"row-{i}" for i in ids[15:30]]
    app.tap("list.page", "list-next")
    assert rows() == [f"row-{i}" for i in ids[30:]] and app.el("list-next").is_disabled()
    d, _ = app.tap("list.page", "list-prev")
    assert _values(d) == {"ui.list_page": 1}
    d, _ = app.tap("list.open_row", "row-WEB-120")
    assert _values(d) == {"ui.dialog": "issue", "ui.selected_issue": "WEB-120"}
    assert "Search results ignore accented characters" in app.el("issue-title").inner_text()


def test_every_documented_action_is_exercised(request):
    """The table and the tests move together: each documented action ran in a test above."""
    module_tests = {n for n in globals() if n.startswith("test_") and n != "test_every_documented_action_is_exercised"}
    selected = {item.originalname for item in request.session.items if item.module.__name__ == __name__}
    if not module_tests <= selected:
        pytest.skip("needs the whole module to run")
    assert set(DOC) - EXERCISED == set()


# ---------------------------------------------------------------- State API: injection, refusal, determinism

def _custom_state() -> dict:
    return {
        "now": "2027-01-05T09:00:00Z", "workspace": "Helio", "project": {"key": "OPS", "name": "Operations"},
        "current_user": "ana",
        "members": [{"id": "ana", "name": "Ana Silva", "email": "ana@helio.io", "color": "#336699"},
                    {"id": "bo", "name": "Bo Park", "email": "bo@helio.io", "color": "#993366"}],
        "labels": [{"id": "infra", "name": "Infra", "color": "#228844"}],
        "issues": [
            {"id": "OPS-7", "title": "Rotate the staging TLS certificate", "status": "in_review", "priority": "urgent",
             "assignee": "bo", "reporter": "ana", "labels": ["infra"], "due_date": "2027-01-04",
             "created_at": "2026-12-30T08:00:00Z",
             "comments": [{"id": "C1", "author": "bo", "body": "New cert is in the vault.", "created_at": "2027-01-05T07:00:00Z"}]},
            {"id": "OPS-8", "title": "Archive old build logs", "status": "todo", "reporter": "ana",
             "created_at": "2027-01-02T10:00:00Z"},
        ],
        "ui": {"dialog": "issue", "selected_issue": "OPS-7", "column_page": {"todo": 3}},
    }


def test_injected_state_is_rendered(browser, hub):
    # A "set" starts a new episode (earlier launch cookies stop working), so open a fresh page.
    ctx, page, client = open_app(browser, hub, "kanban", "kb-injected", state=_custom_state())
    try:
        app = App(page, client, "kb-injected")
        assert app.cards("in_review") == ["OPS-7"] and app.cards("todo") == ["OPS-8"] and app.cards("done") == []
        assert app.el("issue-title").inner_text() == "Rotate the staging TLS certificate"
        dialog = app.el("issue-dialog").inner_text()
        assert "New cert is in the vault." in dialog and "2h ago" in dialog and "Bo Park" in dialog
        assert app.el("due-edit").locator(".overdue").inner_text() == "Jan 4"  # a day late by the state's clock
        # The injected page 4 of a one-card column shows as its last page; the next action stores that.
        assert app.cards("todo") == ["OPS-8"]
        app.el("dialog-close").click()
        wait_idle(page)
        assert _values(client.go("kb-injected")["state_diff"]) == {
            "ui.dialog": None, "ui.selected_issue": None, "ui.column_page.todo": 0}
        assert app.el("issue-count").inner_text() == "2 issues" and "Operations" in page.inner_text("header")
        assert client.state("kb-injected")["issues"][0]["title"] == "Rotate the staging TLS certificate"
    finally:
        ctx.close()


def test_invalid_state_is_refused_and_nothing_changes(hub):
    from cuagym.hub.client import HubClient

    client = HubClient(hub.urls["kanban"], hub.admin_token)
    sid = "kb-invalid"
    good = _custom_state()
    client.set(sid, good)
    before = client.go(sid)
    bad_status = copy.deepcopy(good)
    bad_status["issues"][0]["status"] = 3
    unknown = copy.deepcopy(good)
    unknown["ui"]["zoom"] = 2
    dangling = copy.deepcopy(good)
    dangling["issues"][1]["assignee"] = "ghost"
    for bad, needle in [(bad_status, "issues.0.status"), (unknown, "ui.zoom"), (dangling, "'ghost' names nothing")]:
        assert_refused(client, sid, bad, needle)
    with pytest.raises(HubError) as err:
        client.set_current(sid, {"issues": [{"id": "OPS-7"}]}, merge=True)  # lists replace: fields missing
    assert err.value.status == 422
    assert client.go(sid) == before


def test_same_state_gives_identical_screenshots(browser, hub):
    state = seed_state()
    state["ui"].update(dialog="issue", selected_issue="WEB-115", menu="status", toast="WEB-115 moved to In progress")
    shots = []
    for sid in ("kb-shot-a", "kb-shot-b"):
        ctx, page, _ = open_app(browser, hub, "kanban", sid, state=state)
        shots.append(page.screenshot())
        ctx.close()
    assert shots[0] == shots[1] and len(shots[0]) > 50_000
