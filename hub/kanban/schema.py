"""Pydantic models of the kanban app's whole state.

Every list item carries an ``id`` so state diffs key items by id (``issues.WEB-112.status``).
Ids never contain dots, which would break dotted diff paths. Cross-references (assignees,
labels, comment authors, the open issue) are checked so an injected state cannot point at
things that do not exist.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Status = Literal["todo", "in_progress", "in_review", "done"]
Priority = Literal["urgent", "high", "medium", "low", "none"]
MenuName = Literal["filter-assignee", "filter-label", "status", "priority", "assignee", "labels",
                   "create-status", "create-priority", "create-assignee", "create-labels"]

STATUSES: tuple[str, ...] = ("todo", "in_progress", "in_review", "done")
UNASSIGNED = "unassigned"  # value of ui.filter_assignee that selects issues without an assignee

ID_PATTERN = r"^[A-Za-z0-9_-]{1,40}$"
ISSUE_ID_PATTERN = r"^[A-Z][A-Z0-9]{1,5}-[0-9]{1,6}$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"


def _check_date(value: str) -> str:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a real calendar date (expected YYYY-MM-DD)") from None
    return value


def _check_datetime(value: str) -> str:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", value):
        raise ValueError(f"{value!r} is not an ISO UTC datetime like 2026-03-12T10:30:00Z")
    try:
        dt.datetime.fromisoformat(value[:-1])
    except ValueError:
        raise ValueError(f"{value!r} is not a real date and time") from None
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Member(Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=80)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=120)
    color: str = Field(pattern=COLOR_PATTERN, description="avatar background colour")


class Label(Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=40)
    color: str = Field(pattern=COLOR_PATTERN)


class Comment(Strict):
    id: str = Field(pattern=ID_PATTERN)
    author: str = Field(description="member id")
    body: str = Field(min_length=1, max_length=5000)
    created_at: str

    _created = field_validator("created_at")(_check_datetime)


class Issue(Strict):
    id: str = Field(pattern=ISSUE_ID_PATTERN, description="project key + '-' + number, e.g. WEB-112")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10000)
    status: Status
    priority: Priority = "none"
    assignee: Optional[str] = Field(default=None, description="member id or null")
    reporter: str = Field(description="member id")
    labels: list[str] = Field(default_factory=list, description="label ids, in the order they were added")
    due_date: Optional[str] = Field(default=None, pattern=DATE_PATTERN)
    created_at: str
    comments: list[Comment] = Field(default_factory=list)

    _created = field_validator("created_at")(_check_datetime)

    @field_validator("due_date")
    @classmethod
    def _due(cls, v: Optional[str]) -> Optional[str]:
        return None if v is None else _check_date(v)

    @field_validator("labels")
    @classmethod
    def _unique_labels(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"labels of one issue must be distinct, got {v}")
        return v


class Project(Strict):
    key: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,5}$", description="prefix of issue ids")
    name: str = Field(min_length=1, max_length=60)


class CreateDraft(Strict):
    """What the create-issue dialog shows; copied into a new issue by 'Create issue'."""

    title: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=10000)
    status: Status = "todo"
    priority: Priority = "none"
    assignee: Optional[str] = None
    labels: list[str] = Field(default_factory=list)
    due_date: str = Field(default="", max_length=20, description="raw text typed in the due date box")


class ColumnPages(Strict):
    """Zero-based page shown in each board column (a column shows 5 cards per page)."""

    todo: int = Field(default=0, ge=0)
    in_progress: int = Field(default=0, ge=0)
    in_review: int = Field(default=0, ge=0)
    done: int = Field(default=0, ge=0)


class UI(Strict):
    view: Literal["board", "list"] = "board"
    search: str = Field(default="", max_length=200)
    filter_assignee: Optional[str] = Field(default=None, description=f"member id, '{UNASSIGNED}' or null (all)")
    filter_label: Optional[str] = Field(default=None, description="label id or null (all)")
    column_page: ColumnPages = Field(default_factory=ColumnPages)
    list_page: int = Field(default=0, ge=0, description="zero-based page of the list view (15 rows per page)")
    dialog: Optional[Literal["issue", "create"]] = None
    selected_issue: Optional[str] = Field(default=None, description="id of the issue open in the detail dialog")
    editing: Optional[Literal["title", "description", "due_date"]] = None
    edit_text: str = Field(default="", max_length=10000, description="text of the field being edited")
    comment_draft: str = Field(default="", max_length=5000)
    confirm_delete: bool = False
    create: CreateDraft = Field(default_factory=CreateDraft)
    menu: Optional[MenuName] = Field(default=None, description="open dropdown menu (transient)")
    toast: Optional[str] = Field(default=None, max_length=200, description="notification text (transient)")


class KanbanState(Strict):
    now: str = Field(description="the app's clock; the UI never reads the real one")
    workspace: str = Field(min_length=1, max_length=60)
    project: Project
    current_user: str = Field(description="member id of the signed-in user")
    members: list[Member] = Field(min_length=1)
    labels: list[Label] = Field(default_factory=list)
    issues: list[Issue] = Field(default_factory=list)
    ui: UI = Field(default_factory=UI)

    _now = field_validator("now")(_check_datetime)

    @model_validator(mode="after")
    def _references(self) -> "KanbanState":
        members = _unique_ids("members", [m.id for m in self.members])
        labels = _unique_ids("labels", [lb.id for lb in self.labels])
        issues = _unique_ids("issues", [i.id for i in self.issues])
        _unique_ids("comments", [c.id for i in self.issues for c in i.comments])
        _ref("current_user", self.current_user, members)
        for i in self.issues:
            if not i.id.startswith(self.project.key + "-"):
                raise ValueError(f"issue id {i.id!r} must start with the project key {self.project.key!r}-")
            _ref(f"issues.{i.id}.reporter", i.reporter, members)
            if i.assignee is not None:
                _ref(f"issues.{i.id}.assignee", i.assignee, members)
            for lb in i.labels:
                _ref(f"issues.{i.id}.labels", lb, labels)
            for c in i.comments:
                _ref(f"issues.{i.id}.comments.{c.id}.author", c.author, members)
        ui = self.ui
        if ui.filter_assignee not in (None, UNASSIGNED):
            _ref("ui.filter_assignee", ui.filter_assignee, members)
        if ui.filter_label is not None:
            _ref("ui.filter_label", ui.filter_label, labels)
        if (ui.dialog == "issue") != (ui.selected_issue is not None):
            raise ValueError("ui.selected_issue must be set exactly when ui.dialog is 'issue'")
        if ui.selected_issue is not None:
            _ref("ui.selected_issue", ui.selected_issue, issues)
        if ui.dialog != "issue" and (ui.editing is not None or ui.confirm_delete):
            raise ValueError("ui.editing and ui.confirm_delete need the issue dialog open (ui.dialog='issue')")
        if ui.create.assignee is not None:
            _ref("ui.create.assignee", ui.create.assignee, members)
        if len(set(ui.create.labels)) != len(ui.create.labels):
            raise ValueError("ui.create.labels must be distinct")
        for lb in ui.create.labels:
            _ref("ui.create.labels", lb, labels)
        return self


def _unique_ids(what: str, ids: list[str]) -> set[str]:
    seen = set(ids)
    if len(seen) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"{what} ids must be unique; duplicated: {', '.join(dup)}")
    return seen


def _ref(where: str, value: str, known: set[str]) -> None:
    if value not in known:
        raise ValueError(f"{where} = {value!r} names nothing; expected one of: {', '.join(sorted(known))}")
