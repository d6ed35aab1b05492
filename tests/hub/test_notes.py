"""The notes hub app in a real hub process and a real Chromium.

Every control on the main views is clicked or typed into; after each action the state the
server holds is compared with the state before, and the changed dotted paths must be exactly
what SCHEMA.md's "Observable state changes" table says for that action (the table is parsed
here, so the document and the app cannot drift apart).
"""

from __future__ import annotations

import copy
import io
import os
import re
from pathlib import Path

import pytest

from cuagym.hub.client import HubClient
from cuagym.hub.core.diff import state_diff
from cuagym.hub.notes.app import SPEC
from cuagym.hub.notes.seed import seed_state

from .conftest import assert_refused, open_app, wait_idle

SCREENSHOT_DIR = Path(SPEC.static_dir).parent / "screenshots"


# ---------- the SCHEMA.md table ----------

def parse_change_table(md: str) -> dict[str, tuple[list[str], list[str]]]:
    """``{action: (changed paths, may-also-change paths)}`` from the Observable state changes table."""
    section = md.split("## Observable state changes", 1)[1]
    rows = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 4, f"malformed row in SCHEMA.md: {line}"
        action = re.findall(r"`([^`]+)`", cells[0])[0]
        changed = [] if cells[2] == "none" else re.findall(r"`([^`]+)`", cells[2])
        rows[action] = (changed, re.findall(r"`([^`]+)`", cells[3]))
    return rows


CHANGES = parse_change_table(Path(SPEC.schema_doc).read_text())


def path_regex(pattern: str) -> re.Pattern:
    segs = pattern.split(".")
    if len(segs) == 2 and segs[0] in ("notes", "notebooks") and segs[1] == "*":
        return re.compile(rf"^{segs[0]}\.[^.]+\..+$")  # a whole item: every field under one id
    return re.compile("^" + r"\.".join("[^.]+" if s == "*" else re.escape(s) for s in segs) + "$")


def check_against_table(action: str, diff: dict) -> None:
    changed, maybe = CHANGES[action]
    paths = set(diff)
    for pattern in changed:
        assert any(path_regex(pattern).match(p) for p in paths), \
            f"{action}: expected a change matching {pattern!r}, diff has {sorted(paths)}"
    allowed = [path_regex(p) for p in changed + maybe]
    extra = sorted(p for p in paths if not any(r.match(p) for r in allowed))
    assert not extra, f"{action}: changed paths not listed in SCHEMA.md: {extra}"


def test_schema_table_parses_and_patterns_match():
    assert {"search", "format", "trash", "new-notebook", "dialog-cancel", "toast-close"} <= set(CHANGES)
    assert CHANGES["pin"] == (["notes.*.pinned"], [])
    assert CHANGES["sort-menu"] == ([], [])
    assert path_regex("notes.*.tags.*").match("notes.n3.tags.0")
    assert not path_regex("notes.*.tags.*").match("notes.n3.title")
    assert path_regex("notes.*").match("notes.n41.trashed_at")
    assert not path_regex("notes.*").match("ui.page")
    with pytest.raises(AssertionError, match="not listed"):
        check_against_table("pin", {"notes.n1.pinned": {}, "ui.page": {}})
    with pytest.raises(AssertionError, match="expected a change"):
        check_against_table("pin", {})


# ---------- fixtures ----------

pytestmark = pytest.mark.hub(["notes"])


@pytest.fixture(scope="module")
def shared(browser, hub):
    """One browser context and page for the module; each test points it at its own sid."""
    ctx, page, client = open_app(browser, hub, "notes", "notes-warmup")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page, client, errors
    ctx.close()


class Session:
    """The shared page, showing one fresh session."""

    def __init__(self, page, client, sid: str) -> None:
        self.page, self.client, self.sid = page, client, sid

    def state(self) -> dict:
        return self.client.state(self.sid)

    def do(self, action: str, fn) -> tuple[dict, dict]:
        """Run ``fn`` (a UI action); check the diff against SCHEMA.md; return (diff, new state)."""
        before = self.state()
        fn()
        wait_idle(self.page)
        after = self.state()
        diff = state_diff(before, after, SPEC.transient_keys)
        check_against_table(action, diff)
        return diff, after

    def click(self, selector: str):
        return lambda: self.page.click(selector)

    def list_ids(self) -> list[str]:
        return self.page.eval_on_selector_all("#note-list .note-item", "els => els.map(e => e.dataset.testid.slice(5))")

    def text(self, selector: str) -> str:
        return self.page.inner_text(selector)


@pytest.fixture
def session(shared, request):
    page, client, errors = shared

    def start(state: dict | None = None) -> Session:
        sid = "notes-" + re.sub(r"[^A-Za-z0-9_-]", "-", request.node.name)[:50]
        launch = client.set(sid, state if state is not None else seed_state())["launch_url"]
        page.goto(launch)
        wait_idle(page)
        return Session(page, client, sid)

    errors.clear()
    yield start
    assert not errors, f"page errors: {errors}"


def note_of(state: dict, nid: str) -> dict:
    return next(n for n in state["notes"] if n["id"] == nid)


NOW = seed_state()["now"]


# ---------- a naive reference of the list order ----------

def reference_list(state: dict) -> list[str]:
    """Ids of the note list (all pages) for the views all/pinned/notebook/tag, computed the slow way."""
    ui = state["ui"]
    books = {b["id"]: b for b in state["notebooks"]}

    def inside(nb_id, root):
        while nb_id is not None:
            if nb_id == root:
                return True
            nb_id = books[nb_id]["parent_id"]
        return False

    out = []
    for n in state["notes"]:
        if n["trashed"]:
            continue
        if ui["view"] == "pinned" and not n["pinned"]:
            continue
        if ui["view"] == "notebook" and not inside(n["notebook_id"], ui["notebook_id"]):
            continue
        if ui["view"] == "tag" and ui["tag"] not in n["tags"]:
            continue
        q = ui["search"].strip().lower()
        if q and q not in n["title"].lower() and q not in n["body"].lower() and not any(q in t for t in n["tags"]):
            continue
        out.append(n)
    num = lambda n: int(re.sub(r"\D", "", n["id"]))  # noqa: E731
    if ui["sort"] == "title":
        out.sort(key=lambda n: ((n["title"].strip() or "Untitled").lower(), num(n)))
    else:
        key = "created_at" if ui["sort"] == "created" else "updated_at"
        out.sort(key=lambda n: (n[key], num(n)), reverse=True)
    out.sort(key=lambda n: not n["pinned"])  # stable: pinned first, order kept within each group
    return [n["id"] for n in out]


# ---------- sidebar ----------

def test_sidebar_views_tags_notebooks_and_tree(session):
    s = session()
    assert s.list_ids() == reference_list(s.state())[:8]
    assert s.text("#list-count") == "36 notes"

    diff, st = s.do("open-view", s.click("[data-testid=view-trash]"))
    assert diff == {"ui.view": {"old": "all", "new": "trash"}, "ui.selected_note": {"old": "n3", "new": "n39"}}
    assert s.list_ids() == ["n39", "n37", "n40", "n38"]

    diff, st = s.do("open-view", s.click("[data-testid=view-pinned]"))
    assert st["ui"]["view"] == "pinned" and st["ui"]["selected_note"] == "n3"
    assert s.list_ids() == reference_list(st) == ["n3", "n1", "n2"]

    diff, st = s.do("open-tag", s.click("[data-testid=tag-daily]"))
    assert (st["ui"]["view"], st["ui"]["tag"], st["ui"]["selected_note"]) == ("tag", "daily", "n8")
    assert s.list_ids() == reference_list(st) == ["n8", "n16"]
    assert s.text("#list-title") == "#daily"

    diff, st = s.do("open-notebook", s.click("[data-testid=nb-nb4]"))
    assert (st["ui"]["view"], st["ui"]["notebook_id"], st["ui"]["tag"]) == ("notebook", "nb4", None)
    # Work holds its sub-notebooks' notes too: 13 live notes.
    assert len(reference_list(st)) == 13 and s.text("#list-count") == "13 notes"
    assert s.list_ids() == reference_list(st)[:8]

    diff, st = s.do("open-view", s.click("[data-testid=view-all]"))
    assert (st["ui"]["view"], st["ui"]["notebook_id"], st["ui"]["selected_note"]) == ("all", None, "n3")

    # The breadcrumb of the open note (n3 lives in Q2 Launch) opens its notebook.
    diff, st = s.do("open-notebook", s.click("#crumb-notebook"))
    assert diff == {"ui.view": {"old": "all", "new": "notebook"}, "ui.notebook_id": {"old": None, "new": "nb7"}}

    assert s.page.locator("[data-testid=nb-nb5]").count() == 1
    diff, st = s.do("toggle-notebook", s.click("[data-testid=toggle-nb4]"))
    assert diff == {"notebooks.nb4.expanded": {"old": True, "new": False}}
    assert s.page.locator("[data-testid=nb-nb5]").count() == 0  # Meetings is hidden under Work
    diff, _ = s.do("toggle-notebook", s.click("[data-testid=toggle-nb4]"))
    assert diff == {"notebooks.nb4.expanded": {"old": False, "new": True}}
    assert s.page.locator("[data-testid=nb-nb5]").count() == 1


def test_search_filters_and_clears(session):
    s = session()
    s.do("page-next", s.click("#page-next"))
    s.page.click("#search")

    diff, st = s.do("search", lambda: s.page.keyboard.type("Lentil"))
    assert diff == {"ui.search": {"old": "", "new": "Lentil"}, "ui.page": {"old": 2, "new": 1}}
    assert s.list_ids() == reference_list(st) == ["n9"]
    assert "matching" in s.text("#list-count")

    s.page.fill("#search", "")
    diff, st = s.do("search", lambda: s.page.keyboard.type("1on1"))
    assert s.list_ids() == reference_list(st) == ["n6"]  # matches its tag only
    s.page.fill("#search", "")
    diff, st = s.do("search", lambda: s.page.keyboard.type("platform"))
    # Title, body ("el andén — platform") and tag matches, pinned first.
    assert s.list_ids() == reference_list(st) == ["n1", "n7", "n17", "n18", "n21", "n27", "n30"]

    diff, st = s.do("search-clear", s.click("#search-clear"))
    assert diff == {"ui.search": {"old": "platform", "new": ""}}
    assert s.page.locator("#search-clear").count() == 0
    assert s.page.evaluate("document.activeElement.id") == "search"

    s.page.click("#search")
    s.do("search", lambda: s.page.keyboard.type("no such words"))
    assert s.list_ids() == [] and "No notes match" in s.text("#note-list")


# ---------- list ----------

def test_list_paging_selection_and_sort(session):
    s = session()
    assert s.text("#page-info") == "1\u20138 of 36"
    assert s.page.is_disabled("#page-prev")

    diff, st = s.do("page-next", s.click("#page-next"))
    assert diff == {"ui.page": {"old": 1, "new": 2}}
    assert s.list_ids() == reference_list(st)[8:16] and s.text("#page-info") == "9\u201316 of 36"
    for _ in range(3):
        s.do("page-next", s.click("#page-next"))
    assert s.state()["ui"]["page"] == 5 and s.page.is_disabled("#page-next")
    assert s.list_ids() == reference_list(st)[32:]
    diff, st = s.do("page-prev", s.click("#page-prev"))
    assert diff == {"ui.page": {"old": 5, "new": 4}}

    target = s.list_ids()[2]
    diff, st = s.do("select-note", s.click(f"[data-testid=note-{target}]"))
    assert diff == {"ui.selected_note": {"old": "n3", "new": target}}
    assert s.page.input_value("#note-title") == note_of(st, target)["title"]

    diff, _ = s.do("sort-menu", s.click("#sort-button"))
    assert diff == {} and s.page.is_visible("#sort-menu") and s.state()["ui"]["menu"] == "sort"
    diff, _ = s.do("sort-menu", lambda: s.page.keyboard.press("Escape"))
    assert diff == {} and s.page.locator("#sort-menu").count() == 0 and s.state()["ui"]["menu"] is None
    s.do("sort-menu", s.click("#sort-button"))
    s.do("sort-menu", s.click("#list-title"))  # a click elsewhere closes it
    assert s.state()["ui"]["menu"] is None

    for key, label in (("title", "Title"), ("created", "Date created"), ("updated", "Last edited")):
        s.do("sort-menu", s.click("#sort-button"))
        diff, st = s.do("sort", s.click(f"[data-testid=sort-{key}]"))
        assert st["ui"]["sort"] == key and st["ui"]["page"] == 1 and st["ui"]["menu"] is None
        assert s.list_ids() == reference_list(st)[:8]
        assert s.text("#sort-button") == label
    assert s.list_ids()[:4] == ["n3", "n1", "n2", "n8"]


# ---------- editor ----------

def body_lines(st, nid="n3"):
    return note_of(st, nid)["body"].split("\n")


def pressed(page) -> dict:
    return {f: page.get_attribute(f"#fmt-{f}", "aria-pressed") == "true" for f in ("h1", "h2", "bold", "italic", "bullet")}


def test_editor_title_body_and_keyboard(session):
    s = session()
    s.page.click("#note-title")
    s.page.keyboard.press("End")
    diff, st = s.do("edit-title", lambda: s.page.keyboard.type(" (v2)"))
    assert diff == {"notes.n3.title": {"old": "Launch checklist", "new": "Launch checklist (v2)"},
                    "notes.n3.updated_at": {"old": "2026-03-18T09:12:00", "new": NOW}}
    assert s.text("[data-testid=note-n3] .ni-title") == "Launch checklist (v2)"

    diff, _ = s.do("sort-menu", lambda: s.page.keyboard.press("Enter"))  # Enter in the title: focus to body
    assert diff == {} and s.page.evaluate("document.activeElement.id") == "note-body"

    s.page.keyboard.press("Control+End")
    old_body = note_of(st, "n3")["body"]
    diff, st = s.do("edit-body", lambda: s.page.keyboard.type("\n- Press kit"))
    assert note_of(st, "n3")["body"] == old_body + "\n- Press kit"
    assert set(diff) == {"notes.n3.body"}  # updated_at already equals now
    assert s.text("#word-count") == f"{len(note_of(st, 'n3')['body'].split())} words"


def test_formatting_toolbar_and_shortcuts(session):
    s = session()
    s.page.click("#note-body")
    s.page.keyboard.press("Control+Home")
    for _ in range(2):
        s.page.keyboard.press("ArrowDown")  # line 2: "- Final copy review"
    wait_idle(s.page)
    assert s.state()["ui"]["selection"]["start"] == len("# Q2 launch checklist\n## Product\n")
    assert pressed(s.page) == {"h1": False, "h2": False, "bold": False, "italic": False, "bullet": True}

    steps = [
        ("#fmt-bold", "- **Final copy review**"),
        ("#fmt-italic", "- **_Final copy review_**"),
        ("#fmt-h1", "# **_Final copy review_**"),
        ("#fmt-h2", "## **_Final copy review_**"),
        ("#fmt-bullet", "- **_Final copy review_**"),
        ("Control+b", "- _Final copy review_"),
        ("Control+i", "- Final copy review"),
        ("#fmt-bullet", "Final copy review"),
    ]
    original = body_lines(s.state())
    for control, line in steps:
        fn = s.click(control) if control.startswith("#") else (lambda k=control: s.page.keyboard.press(k))
        diff, st = s.do("format", fn)
        lines = body_lines(st)
        assert lines[2] == line, control
        assert lines[:2] + lines[3:] == original[:2] + original[3:]
        assert s.page.evaluate("document.activeElement.id") == "note-body"
        p = parse_line_reference(line)
        assert pressed(s.page) == p, (control, line)
    assert diff == {"notes.n3.body": {"old": "\n".join(original[:2] + ["- Final copy review"] + original[3:]),
                                      "new": "\n".join(original[:2] + ["Final copy review"] + original[3:])}}

    # A selection over two lines: "## Product" already is H2, line 2 is not -> both become H2.
    s.page.keyboard.press("Control+Home")
    s.page.keyboard.press("ArrowDown")
    s.page.keyboard.press("Shift+ArrowDown")
    s.page.keyboard.press("Shift+End")
    diff, st = s.do("format", s.click("#fmt-h2"))
    assert body_lines(st)[1:3] == ["## Product", "## Final copy review"]
    diff, st = s.do("format", s.click("#fmt-h2"))  # now all have it: removed from both
    assert body_lines(st)[1:3] == ["Product", "Final copy review"]

    # An empty line has nothing to format: no change.
    s.page.click("#note-body")
    s.page.keyboard.press("Control+End")
    s.page.keyboard.type("\n")
    wait_idle(s.page)
    before = s.state()
    s.page.click("#fmt-bold")
    wait_idle(s.page)
    assert state_diff(before, s.state(), SPEC.transient_keys) == {}


def parse_line_reference(line: str) -> dict:
    """Which toolbar buttons should be pressed for a line (naive reference of the marker rules)."""
    prefix = next((p for p in ("## ", "# ", "- ") if line.startswith(p)), "")
    text = line[len(prefix):]
    bold = text.startswith("**") and text.endswith("**") and len(text) >= 5
    inner = text[2:-2] if bold else text
    italic = inner.startswith("_") and inner.endswith("_") and len(inner) >= 3
    return {"h1": prefix == "# ", "h2": prefix == "## ", "bold": bold, "italic": italic, "bullet": prefix == "- "}


def test_pin_move_tags_and_toast(session):
    s = session()
    diff, st = s.do("pin", s.click("#pin-note"))
    assert diff == {"notes.n3.pinned": {"old": True, "new": False}}
    assert s.text("#pin-note") == "Pin" and s.list_ids()[:3] == ["n1", "n2", "n3"]
    diff, st = s.do("pin", s.click("#pin-note"))
    assert diff == {"notes.n3.pinned": {"old": False, "new": True}}

    diff, _ = s.do("move-menu", s.click("#move-note"))
    assert diff == {} and s.page.is_visible("#move-menu")
    assert s.page.is_disabled("[data-testid=move-nb7]")  # its current notebook
    diff, st = s.do("move", s.click("[data-testid=move-nb8]"))
    assert diff == {"notes.n3.notebook_id": {"old": "nb7", "new": "nb8"}}
    assert s.page.locator("#move-menu").count() == 0
    assert s.text("#toast") == "Moved to Reading" and s.text("#crumb-notebook") == "Reading"
    diff, _ = s.do("toast-close", s.click("#toast-close"))
    assert diff == {} and s.page.locator("#toast").count() == 0

    s.page.click("#tag-input")
    diff, _ = s.do("tag-draft", lambda: s.page.keyboard.type("Q2 Review!"))
    assert diff == {"ui.tag_draft": {"old": "", "new": "Q2 Review!"}}
    diff, st = s.do("tag-add", lambda: s.page.keyboard.press("Enter"))
    assert diff == {"notes.n3.tags.2": {"old": None, "new": "q2-review"},
                    "notes.n3.updated_at": {"old": "2026-03-18T09:12:00", "new": NOW},
                    "ui.tag_draft": {"old": "Q2 Review!", "new": ""}}
    assert s.page.evaluate("document.activeElement.id") == "tag-input"
    assert s.page.locator("[data-testid=tag-q2-review]").count() == 1  # now in the sidebar

    # A tag the note already has is not added again; the box is cleared and a toast explains.
    s.page.keyboard.type("#TODO")
    wait_idle(s.page)
    before = s.state()
    s.page.keyboard.press("Enter")
    wait_idle(s.page)
    assert state_diff(before, s.state(), SPEC.transient_keys) == {"ui.tag_draft": {"old": "#TODO", "new": ""}}
    assert "already" in s.text("#toast")

    diff, st = s.do("tag-remove", s.click("[data-testid=remove-tag-launch]"))
    assert note_of(st, "n3")["tags"] == ["todo", "q2-review"]
    assert set(diff) == {"notes.n3.tags.0", "notes.n3.tags.1", "notes.n3.tags.2"}


def test_trash_matches_schema_example_through_go(session):
    s = session()
    s.do("trash", s.click("#trash-note"))
    assert s.client.go(s.sid)["state_diff"] == {
        "notes.n3.trashed": {"old": False, "new": True},
        "notes.n3.trashed_at": {"old": None, "new": NOW},
        "ui.selected_note": {"old": "n3", "new": "n1"},
    }
    assert "moved to Trash" in s.text("#toast")
    assert "n3" not in s.list_ids() and s.text("[data-testid=view-trash] .count") == "5"


# ---------- trash ----------

def test_trash_restore_delete_forever_and_empty(session):
    s = session()
    s.do("open-view", s.click("[data-testid=view-trash]"))
    assert s.page.is_visible("#trash-banner") and s.page.is_disabled("#fmt-bold")
    assert s.page.get_attribute("#note-body", "readonly") is not None

    diff, st = s.do("restore", s.click("#restore-note"))
    assert diff == {"notes.n39.trashed": {"old": True, "new": False},
                    "notes.n39.trashed_at": {"old": "2026-03-16T08:00:00", "new": None},
                    "ui.selected_note": {"old": "n39", "new": "n37"}}
    assert s.list_ids() == ["n37", "n40", "n38"] and "restored to Personal" in s.text("#toast")

    diff, _ = s.do("delete-forever-open", s.click("#delete-forever"))
    assert diff == {"ui.dialog": {"old": None, "new": "delete_forever"}, "ui.dialog_target": {"old": None, "new": "n37"}}
    assert "Old standup notes" in s.text("#dialog")
    s.do("dialog-cancel", s.click("#dialog-cancel"))
    assert s.page.locator("#dialog").count() == 0

    s.do("delete-forever-open", s.click("#delete-forever"))
    diff, st = s.do("delete-forever", s.click("#dialog-confirm"))
    assert {p for p in diff if p.startswith("notes.")} == {f"notes.n37.{k}" for k in note_of(s.client.go(s.sid)["initial_state"], "n37") if k != "tags"} | {"notes.n37.tags.0"}
    assert all(v["new"] is None for p, v in diff.items() if p.startswith("notes."))
    assert st["ui"]["selected_note"] == "n40" and st["ui"]["dialog"] is None
    assert not any(n["id"] == "n37" for n in st["notes"])

    diff, _ = s.do("empty-trash-open", s.click("#empty-trash"))
    assert diff == {"ui.dialog": {"old": None, "new": "empty_trash"}}
    assert "2 notes" in s.text("#dialog")
    diff, st = s.do("empty-trash", s.click("#dialog-confirm"))
    assert {p.split(".")[1] for p in diff if p.startswith("notes.")} == {"n40", "n38"}
    assert st["ui"]["selected_note"] is None and not any(n["trashed"] for n in st["notes"])
    assert s.text("#note-list") == "Trash is empty" and s.page.is_disabled("#empty-trash")
    assert "Select a note" in s.text("#editor")

    # The empty editor's button creates a note and leaves the Trash for All notes.
    diff, st = s.do("new-note", s.click("#empty-new-note"))
    new = note_of(st, "n41")
    assert new == {"id": "n41", "notebook_id": "nb1", "title": "", "body": "", "tags": [], "pinned": False,
                   "trashed": False, "created_at": NOW, "updated_at": NOW, "trashed_at": None}
    assert (st["ui"]["view"], st["ui"]["selected_note"]) == ("all", "n41")
    assert s.page.evaluate("document.activeElement.id") == "note-title"


# ---------- new notes ----------

def test_new_note_in_tag_pinned_and_notebook_views(session):
    s = session()
    s.page.click("#search")
    s.do("search", lambda: s.page.keyboard.type("sourdough"))
    diff, st = s.do("open-tag", s.click("[data-testid=tag-daily]"))
    assert s.list_ids() == ["n16"] and st["ui"]["selected_note"] == "n16"  # the search still applies
    diff, st = s.do("new-note", s.click("#new-note"))
    assert {p.split(".")[1] for p in diff if p.startswith("notes.")} == {"n41"}
    assert note_of(st, "n41")["tags"] == ["daily"] and note_of(st, "n41")["notebook_id"] == "nb1"
    assert st["ui"]["search"] == "" and st["ui"]["selected_note"] == "n41" and st["ui"]["view"] == "tag"
    assert s.list_ids()[0] == "n41" and s.text("[data-testid=note-n41] .ni-title") == "Untitled"
    diff, st = s.do("edit-title", lambda: s.page.keyboard.type("Standup"))  # focus is in the title
    assert note_of(st, "n41")["title"] == "Standup"

    s.do("open-view", s.click("[data-testid=view-pinned]"))
    diff, st = s.do("new-note", s.click("#new-note"))
    assert note_of(st, "n42")["pinned"] is True and s.list_ids()[0] == "n42"

    s.do("open-notebook", s.click("[data-testid=nb-nb10]"))
    diff, st = s.do("new-note", s.click("#new-note"))
    assert note_of(st, "n43")["notebook_id"] == "nb10" and note_of(st, "n43")["tags"] == []
    assert s.text("[data-testid=nb-nb10] .count") == "5"


# ---------- notebook dialogs ----------

def test_notebook_create_rename_delete(session):
    s = session()
    s.do("open-notebook", s.click("[data-testid=nb-nb4]"))
    diff, st = s.do("new-notebook-open", s.click("#new-notebook"))
    assert diff == {"ui.dialog": {"old": None, "new": "new_notebook"}, "ui.dialog_parent": {"old": None, "new": "nb4"}}
    assert s.page.evaluate("document.activeElement.id") == "dialog-name"
    assert s.page.is_disabled("#dialog-confirm")  # no name yet

    diff, _ = s.do("dialog-name", lambda: s.page.keyboard.type("Side projects"))
    assert diff == {"ui.dialog_name": {"old": "", "new": "Side projects"}}
    diff, _ = s.do("dialog-parent", s.click("[data-testid=parent-root] input"))
    assert diff == {"ui.dialog_parent": {"old": "nb4", "new": None}}
    diff, _ = s.do("dialog-parent", s.click("[data-testid=parent-nb6]"))  # the label works too
    assert diff == {"ui.dialog_parent": {"old": None, "new": "nb6"}}

    s.page.click("#dialog-name")
    diff, st = s.do("new-notebook", lambda: s.page.keyboard.press("Enter"))
    assert {k: v["new"] for k, v in diff.items() if k.startswith("notebooks.")} == {
        "notebooks.nb12.id": "nb12", "notebooks.nb12.name": "Side projects", "notebooks.nb12.parent_id": "nb6",
        "notebooks.nb12.color": "orange", "notebooks.nb12.expanded": True}
    assert (st["ui"]["view"], st["ui"]["notebook_id"], st["ui"]["selected_note"]) == ("notebook", "nb12", None)
    assert s.text("#list-title") == "Side projects" and s.text("#note-list") == "No notes here yet"
    assert s.page.is_enabled("#delete-notebook")

    diff, _ = s.do("rename-notebook-open", s.click("#rename-notebook"))
    assert diff == {"ui.dialog": {"old": None, "new": "rename_notebook"},
                    "ui.dialog_name": {"old": "", "new": "Side projects"},
                    "ui.dialog_target": {"old": None, "new": "nb12"}}
    s.do("dialog-name", lambda: s.page.keyboard.type("Hobby projects"))  # the old name is selected
    diff, st = s.do("rename-notebook", s.click("#dialog-confirm"))
    assert diff["notebooks.nb12.name"] == {"old": "Side projects", "new": "Hobby projects"}
    assert s.text("[data-testid=nb-nb12] .nav-label") == "Hobby projects"

    diff, _ = s.do("delete-notebook-open", s.click("#delete-notebook"))
    assert diff == {"ui.dialog": {"old": None, "new": "delete_notebook"}, "ui.dialog_target": {"old": None, "new": "nb12"}}
    diff, st = s.do("delete-notebook", s.click("#dialog-confirm"))
    assert all(v["new"] is None for k, v in diff.items() if k.startswith("notebooks."))
    assert (st["ui"]["view"], st["ui"]["notebook_id"], st["ui"]["selected_note"]) == ("all", None, "n3")
    assert [b["id"] for b in st["notebooks"]] == [b["id"] for b in seed_state()["notebooks"]]

    # A notebook holding notes cannot be deleted: the button is disabled and does nothing.
    s.do("open-notebook", s.click("[data-testid=nb-nb1]"))
    assert s.page.is_disabled("#delete-notebook")
    before = s.state()
    s.page.click("#delete-notebook", force=True)
    wait_idle(s.page)
    assert state_diff(before, s.state(), SPEC.transient_keys) == {}


def test_every_way_to_cancel_a_dialog(session):
    s = session()
    cancels = {
        "Escape": lambda: s.page.keyboard.press("Escape"),
        "close button": s.click("#dialog-close"),
        "backdrop": lambda: s.page.mouse.click(30, 780),
        "Cancel": s.click("#dialog-cancel"),
    }
    for i, (how, fn) in enumerate(cancels.items()):
        s.do("new-notebook-open", s.click("#new-notebook"))
        expected = {"ui.dialog": {"old": "new_notebook", "new": None}}
        if i % 2 == 0:  # with a typed name half of the time: the draft is dropped too
            s.do("dialog-name", lambda: s.page.keyboard.type("Draft"))
            expected["ui.dialog_name"] = {"old": "Draft", "new": ""}
        diff, st = s.do("dialog-cancel", fn)
        assert diff == expected, how
        assert s.page.locator("#dialog").count() == 0 and len(st["notebooks"]) == 11, how
    # Clicks inside the dialog box do not close it.
    s.do("new-notebook-open", s.click("#new-notebook"))
    before = s.state()
    s.page.click("#dialog .dialog-head h2")
    wait_idle(s.page)
    assert state_diff(before, s.state(), SPEC.transient_keys) == {} and s.page.is_visible("#dialog")


# ---------- state injection, validation, layout, determinism ----------

def custom_state() -> dict:
    return {
        "now": "2027-01-05T08:00:00",
        "user": {"name": "Ola Nordmann", "email": "ola@example.org"},
        "notebooks": [{"id": "z1", "name": "Zeta Notebook", "parent_id": None, "color": "green", "expanded": True}],
        "notes": [{"id": "q1", "notebook_id": "z1", "title": "Quarterly tax plan", "body": "# Taxes\nFile by **April 30**",
                   "tags": ["finance"], "pinned": False, "trashed": False, "created_at": "2027-01-04T09:00:00",
                   "updated_at": "2027-01-04T09:30:00", "trashed_at": None}],
        "ui": {"view": "notebook", "notebook_id": "z1", "selected_note": "q1"},
    }


def test_injected_state_renders(session):
    s = session(custom_state())
    assert s.text("#list-title") == "Zeta Notebook" and s.text("#list-count") == "1 note"
    assert s.list_ids() == ["q1"]
    assert "Yesterday" in s.text("[data-testid=note-q1]")  # dates come from the state's clock
    assert s.page.input_value("#note-title") == "Quarterly tax plan"
    assert s.page.input_value("#note-body") == "# Taxes\nFile by **April 30**"
    assert "Ola Nordmann" in s.text("#sidebar") and s.page.locator("[data-testid=tag-finance]").count() == 1
    assert s.client.go(s.sid)["state_diff"] == {}  # rendering alone writes nothing


@pytest.mark.parametrize("name,patch,needle", [
    ("wrong type", lambda st: st["notes"][0].update(pinned="yes"), "pinned"),
    ("unknown key", lambda st: st["notes"][0].update(colour="red"), "colour"),
    ("unknown top-level key", lambda st: st.update(theme="dark"), "theme"),
    ("bad enum", lambda st: st["ui"].update(view="archive"), "view"),
    ("bad timestamp", lambda st: st.update(now="18/03/2026"), "timestamp"),
    ("dangling notebook", lambda st: st["notes"][0].update(notebook_id="nb99"), "nb99"),
    ("parent cycle", lambda st: st["notebooks"][0].update(parent_id="nb2"), "cycle"),
    ("trashed without time", lambda st: st["notes"][0].update(trashed=True), "trashed_at"),
    ("duplicate tags", lambda st: st["notes"][0].update(tags=["a", "a"]), "unique"),
])
def test_invalid_state_is_refused(hub, name, patch, needle):
    client = HubClient(hub.urls["notes"], hub.admin_token)
    sid = "notes-invalid-" + re.sub(r"\W", "-", name)
    good = seed_state()
    client.set(sid, good)
    bad = copy.deepcopy(good)
    patch(bad)
    assert_refused(client, sid, bad, needle)
    assert client.state(sid) == SPEC.validate(good)
    assert client.go(sid)["initial_state"] == SPEC.validate(good)


def test_seed_is_valid_deterministic_and_rich():
    a, b = SPEC.seed_state(), SPEC.seed_state()
    assert a == b
    assert len(a["notes"]) == 40 and len(a["notebooks"]) == 11
    assert sum(n["trashed"] for n in a["notes"]) == 4 and sum(n["pinned"] for n in a["notes"]) == 3
    for n in a["notes"]:
        assert n["created_at"] <= n["updated_at"] <= a["now"], n["id"]


def test_layout_fills_viewport_without_page_scrollbars(session):
    s = session()
    for view in ("view-all", "view-trash"):
        s.page.click(f"[data-testid={view}]")
        wait_idle(s.page)
        size = s.page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        assert size == [1280, 800], view
        box = s.page.locator("#app").bounding_box()
        assert (box["width"], box["height"]) == (1280, 800)


def test_identical_states_give_identical_screenshots(browser, hub, shared):
    """Two fresh sessions with one state: one in the shared page, one in a new browser context."""
    page, client, _ = shared
    state = seed_state()
    state["ui"].update(view="notebook", notebook_id="nb4", selected_note="n7", menu="sort")
    page.goto(client.set("notes-det-a", state)["launch_url"])
    wait_idle(page)
    first = page.screenshot()
    ctx, other, _ = open_app(browser, hub, "notes", "notes-det-b", state=state)
    second = other.screenshot()
    ctx.close()
    assert first == second
    assert page.is_visible("#sort-menu") and page.input_value("#note-title") == "Search relevance project"


def test_screenshots(session, tmp_path):
    """Screenshots of four views; written to hub/notes/screenshots when CUAGYM_WRITE_SCREENSHOTS=1."""
    from PIL import Image

    out = SCREENSHOT_DIR if os.environ.get("CUAGYM_WRITE_SCREENSHOTS") == "1" else tmp_path
    s = session()
    views = {
        "main.png": [],
        "notebook_sort_menu.png": ["[data-testid=nb-nb4]", "#sort-button"],
        "new_notebook_dialog.png": ["Escape", "#new-notebook", "type:Side projects"],
        "trash.png": ["Escape", "[data-testid=view-trash]"],
    }
    for name, steps in views.items():
        for step in steps:
            if step == "Escape":
                s.page.keyboard.press("Escape")
            elif step.startswith("type:"):
                s.page.keyboard.type(step[5:])
            else:
                s.page.click(step)
            wait_idle(s.page)
        data = s.page.screenshot()
        (out / name).write_bytes(data)
        assert Image.open(io.BytesIO(data)).size == (1280, 800)
        assert len(data) < 300_000, name
