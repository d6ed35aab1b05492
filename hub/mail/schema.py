"""State schema of the mail app: account, folders, labels, messages and the visible view state.

Every write to a session (a task's initial state, the page's saves, a golden patch) is
validated against :class:`MailState`: typed fields, closed enums, ids on every list item, and
references (a message's folder and labels, the open message, the checked messages, the
draft being edited) that must point at items that exist.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")

# Folders every mailbox has. Custom folders live in MailState.folders and may not reuse these ids.
SYSTEM_FOLDERS = ("inbox", "sent", "drafts", "archive", "spam", "trash")


def _check_timestamp(value: str) -> str:
    # The page formats dates by slicing this exact shape, so other ISO spellings are refused.
    if not _TIMESTAMP.match(value):
        raise ValueError(f"expected a timestamp like 2026-03-18T10:30:00, got {value!r}")
    datetime.fromisoformat(value)  # rejects impossible dates such as 2026-02-30
    return value


def _check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"expected an email address like name@example.com, got {value!r}")
    return value


Timestamp = Annotated[str, AfterValidator(_check_timestamp)]
Email = Annotated[str, AfterValidator(_check_email)]
ItemId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
Color = Literal["gray", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink"]
View = Literal["folder", "starred", "label"]
ComposeMode = Literal["new", "reply", "reply_all", "forward"]
Dialog = Literal["new_folder", "new_label", "empty_trash"]
Menu = Literal["move", "label"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Account(Strict):
    name: str = Field(min_length=1, max_length=80)
    email: Email


class Folder(Strict):
    """A user-made folder; the system folders (SYSTEM_FOLDERS) are implicit."""

    id: ItemId
    name: str = Field(min_length=1, max_length=40)


class Label(Strict):
    id: ItemId
    name: str = Field(min_length=1, max_length=40)
    color: Color = "gray"


class Attachment(Strict):
    id: ItemId
    name: str = Field(min_length=1, max_length=120)
    size_kb: int = Field(ge=0, le=50_000_000)


class Message(Strict):
    id: ItemId
    folder: str  # a SYSTEM_FOLDERS id or a custom folder id
    from_name: str = Field(max_length=80)
    from_email: Email
    to: list[Email] = Field(default_factory=list, max_length=50)
    cc: list[Email] = Field(default_factory=list, max_length=50)
    subject: str = Field(default="", max_length=300)
    body: str = Field(default="", max_length=200_000)
    date: Timestamp
    read: bool = False
    starred: bool = False
    labels: list[str] = Field(default_factory=list, max_length=20)  # label ids
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)
    in_reply_to: Optional[str] = None  # id of the message this one answers or forwards

    @model_validator(mode="after")
    def _unique_labels(self) -> "Message":
        if len(set(self.labels)) != len(self.labels):
            raise ValueError(f"message {self.id}: labels must be unique, got {self.labels}")
        return self


class Compose(Strict):
    """The open compose window. Address fields hold the raw text the user typed."""

    mode: ComposeMode = "new"
    to: str = Field(default="", max_length=2000)
    cc: str = Field(default="", max_length=2000)
    subject: str = Field(default="", max_length=300)
    body: str = Field(default="", max_length=200_000)
    source_id: Optional[str] = None  # message replied to or forwarded
    draft_id: Optional[str] = None  # draft in the Drafts folder this window edits


class Ui(Strict):
    view: View = "folder"
    folder_id: str = "inbox"  # the open folder when view == "folder"
    label_id: Optional[str] = None  # the open label when view == "label"
    page: int = Field(default=1, ge=1)  # 1-based page of the message list
    open_id: Optional[str] = None  # message shown in the reading pane
    checked: list[str] = Field(default_factory=list)  # messages ticked in the list
    search_text: str = Field(default="", max_length=200)  # text in the search box
    search: str = Field(default="", max_length=200)  # applied query; non-empty shows search results
    compose: Optional[Compose] = None
    dialog: Optional[Dialog] = None
    dialog_text: str = Field(default="", max_length=40)  # name field of the new folder/label dialog
    menu: Optional[Menu] = None  # open toolbar drop-down (transient)


class MailState(Strict):
    now: Timestamp  # the app's clock: sent and saved messages get this time
    account: Account
    folders: list[Folder] = Field(default_factory=list, max_length=100)
    labels: list[Label] = Field(default_factory=list, max_length=100)
    messages: list[Message] = Field(default_factory=list, max_length=5000)
    ui: Ui = Field(default_factory=Ui)
    toast: Optional[str] = Field(default=None, max_length=200)  # confirmation message (transient)

    @model_validator(mode="after")
    def _references(self) -> "MailState":
        folder_ids = set(SYSTEM_FOLDERS)
        for f in self.folders:
            if f.id in folder_ids:
                what = "a system folder" if f.id in SYSTEM_FOLDERS else "a duplicate"
                raise ValueError(f"folder id {f.id!r} is {what}; custom folder ids must be unique and "
                                 f"differ from {', '.join(SYSTEM_FOLDERS)}")
            folder_ids.add(f.id)
        label_ids = set()
        for lb in self.labels:
            if lb.id in label_ids:
                raise ValueError(f"duplicate label id {lb.id!r}")
            label_ids.add(lb.id)
        msgs: dict[str, Message] = {}
        for m in self.messages:
            if m.id in msgs:
                raise ValueError(f"duplicate message id {m.id!r}")
            msgs[m.id] = m
            if m.folder not in folder_ids:
                raise ValueError(f"message {m.id!r} has folder {m.folder!r}; expected one of "
                                 f"{', '.join(sorted(folder_ids))}")
            for lb in m.labels:
                if lb not in label_ids:
                    raise ValueError(f"message {m.id!r} has label {lb!r}, which is no label id")
        ui = self.ui
        if ui.folder_id not in folder_ids:
            raise ValueError(f"ui.folder_id {ui.folder_id!r} is no folder id")
        if ui.view == "label" and ui.label_id not in label_ids:
            raise ValueError(f"ui.view is 'label' but ui.label_id {ui.label_id!r} is no label id")
        if ui.open_id is not None and ui.open_id not in msgs:
            raise ValueError(f"ui.open_id {ui.open_id!r} is no message id")
        for mid in ui.checked:
            if mid not in msgs:
                raise ValueError(f"ui.checked holds {mid!r}, which is no message id")
        if len(set(ui.checked)) != len(ui.checked):
            raise ValueError("ui.checked must not repeat a message id")
        c = ui.compose
        if c is not None:
            if c.source_id is not None and c.source_id not in msgs:
                raise ValueError(f"ui.compose.source_id {c.source_id!r} is no message id")
            if c.draft_id is not None and (c.draft_id not in msgs or msgs[c.draft_id].folder != "drafts"):
                raise ValueError(f"ui.compose.draft_id {c.draft_id!r} is no message in the drafts folder")
        return self
