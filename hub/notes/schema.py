"""State schema of the notes app: notebooks (a tree), notes, and the visible view state.

Every write to a session is validated against :class:`NotesState`, so a task's initial
state, the page's saves and a golden patch all obey the same rules: typed fields, closed
enums, ids on every list item, and references (notebook parents, a note's notebook, the
selected note) that point at items that exist.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def _check_timestamp(value: str) -> str:
    # The page formats dates by slicing this exact shape, so other ISO spellings are refused.
    if not _TIMESTAMP.match(value):
        raise ValueError(f"expected a timestamp like 2026-03-18T10:30:00, got {value!r}")
    datetime.fromisoformat(value)  # rejects impossible dates such as 2026-02-30
    return value


Timestamp = Annotated[str, AfterValidator(_check_timestamp)]
Tag = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Color = Literal["gray", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink"]
View = Literal["all", "pinned", "notebook", "tag", "trash"]
Sort = Literal["updated", "created", "title"]
Dialog = Literal["new_notebook", "rename_notebook", "delete_notebook", "delete_forever", "empty_trash"]
Menu = Literal["sort", "move"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Notebook(Strict):
    id: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=80)
    parent_id: Optional[str] = None
    color: Color = "gray"
    expanded: bool = True  # whether its sub-notebooks show in the sidebar tree


class Note(Strict):
    id: str = Field(min_length=1, max_length=40)
    notebook_id: str
    title: str = Field(default="", max_length=200)
    body: str = Field(default="", max_length=100_000)
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    pinned: bool = False
    trashed: bool = False
    created_at: Timestamp
    updated_at: Timestamp
    trashed_at: Optional[Timestamp] = None

    @model_validator(mode="after")
    def _consistent(self) -> "Note":
        if len(set(self.tags)) != len(self.tags):
            raise ValueError(f"note {self.id}: tags must be unique, got {self.tags}")
        if self.trashed != (self.trashed_at is not None):
            raise ValueError(f"note {self.id}: trashed_at must be set exactly when trashed is true")
        return self


class Selection(Strict):
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Toast(Strict):
    text: str = Field(max_length=200)


class Ui(Strict):
    view: View = "all"
    notebook_id: Optional[str] = None  # the open notebook when view == "notebook"
    tag: Optional[Tag] = None  # the open tag when view == "tag"
    selected_note: Optional[str] = None  # the note open in the editor
    search: str = Field(default="", max_length=200)
    sort: Sort = "updated"
    page: int = Field(default=1, ge=1)  # 1-based page of the note list
    tag_draft: str = Field(default="", max_length=40)  # text in the editor's "Add tag" box
    dialog: Optional[Dialog] = None
    dialog_name: str = Field(default="", max_length=80)  # name field of a notebook dialog
    dialog_parent: Optional[str] = None  # location chosen in the new-notebook dialog
    dialog_target: Optional[str] = None  # notebook or note a dialog acts on
    menu: Optional[Menu] = None  # open drop-down menu (transient)
    selection: Selection = Field(default_factory=lambda: Selection(start=0, end=0))  # body caret (transient)
    toast: Optional[Toast] = None  # confirmation message (transient)


class User(Strict):
    name: str = Field(min_length=1, max_length=80)
    email: str = Field(min_length=3, max_length=120)


class LastIds(Strict):
    """Highest id numbers handed out, so an id is never reused after a permanent delete."""

    note: int = Field(default=0, ge=0)
    notebook: int = Field(default=0, ge=0)


class NotesState(Strict):
    now: Timestamp  # the app's clock: new and edited notes get this time
    user: User
    last_ids: LastIds = Field(default_factory=LastIds)
    notebooks: list[Notebook] = Field(min_length=1)
    notes: list[Note] = Field(default_factory=list)
    ui: Ui = Field(default_factory=Ui)

    @model_validator(mode="after")
    def _references(self) -> "NotesState":
        books = {}
        for nb in self.notebooks:
            if nb.id in books:
                raise ValueError(f"duplicate notebook id {nb.id!r}")
            books[nb.id] = nb
        for nb in self.notebooks:
            seen, cur = {nb.id}, nb.parent_id
            while cur is not None:
                if cur not in books:
                    raise ValueError(f"notebook {nb.id!r} has parent_id {cur!r}, which is no notebook id")
                if cur in seen:
                    raise ValueError(f"notebook {nb.id!r} is inside a cycle of parent_id links")
                seen.add(cur)
                cur = books[cur].parent_id
        note_ids = set()
        for n in self.notes:
            if n.id in note_ids:
                raise ValueError(f"duplicate note id {n.id!r}")
            note_ids.add(n.id)
            if n.notebook_id not in books:
                raise ValueError(f"note {n.id!r} has notebook_id {n.notebook_id!r}, which is no notebook id")
        ui = self.ui
        if ui.view == "notebook" and ui.notebook_id not in books:
            raise ValueError(f"ui.view is 'notebook' but ui.notebook_id {ui.notebook_id!r} is no notebook id")
        if ui.view == "tag" and ui.tag is None:
            raise ValueError("ui.view is 'tag' but ui.tag is null")
        if ui.selected_note is not None and ui.selected_note not in note_ids:
            raise ValueError(f"ui.selected_note {ui.selected_note!r} is no note id")
        if ui.dialog_parent is not None and ui.dialog_parent not in books:
            raise ValueError(f"ui.dialog_parent {ui.dialog_parent!r} is no notebook id")
        return self
