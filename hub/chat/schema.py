"""Pydantic models of the chat app's whole state.

Every list item carries an ``id`` so the State API diff keys items by id
(``messages.m12.pinned``). Cross references (authors, channels, thread parents,
the open channel) are checked so an injected state can never leave the UI
pointing at something that does not exist.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

# Reactions and status emoji are named; the UI maps names to glyphs the bundled fonts draw.
EMOJI_NAMES = ("check", "heart", "joy", "smile", "wow", "sad", "star", "zap", "coffee", "sun", "plane", "music")
Emoji = Literal["check", "heart", "joy", "smile", "wow", "sad", "star", "zap", "coffee", "sun", "plane", "music"]

ISO_SECONDS = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"
CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class User(Strict):
    id: Id
    name: str = Field(min_length=1, max_length=80, description="display name")
    title: str = Field("", max_length=120, description="job title shown in profiles")
    presence: Literal["active", "away"] = "active"
    status_emoji: Optional[Emoji] = None
    status_text: str = Field("", max_length=100)
    color: str = Field("#4a6fa5", pattern=r"^#[0-9a-fA-F]{6}$", description="avatar background")


class Channel(Strict):
    id: Id
    kind: Literal["channel", "dm"]
    name: str = Field("", max_length=80, description="channel name without '#'; empty for a dm")
    topic: str = Field("", max_length=250)
    description: str = Field("", max_length=250)
    is_private: bool = False
    members: list[str] = Field(min_length=1)
    starred: bool = False
    unread_count: int = Field(0, ge=0, description="messages the current user has not read")
    created: str = Field(pattern=ISO_SECONDS)

    @model_validator(mode="after")
    def _kind_rules(self) -> "Channel":
        if self.kind == "channel" and not CHANNEL_NAME.match(self.name):
            raise ValueError(f"channel name {self.name!r} must be lowercase letters, digits, '-' or '_' "
                             "(1-80 characters, starting with a letter or digit)")
        if self.kind == "dm" and (len(self.members) != 2 or len(set(self.members)) != 2):
            raise ValueError("a dm has exactly two distinct members")
        if len(set(self.members)) != len(self.members):
            raise ValueError(f"channel {self.id!r} lists a member twice")
        return self


class Reaction(Strict):
    id: Emoji = Field(description="emoji name; one reaction entry per emoji on a message")
    users: list[str] = Field(min_length=1, description="user ids who reacted, in order")


class Message(Strict):
    id: Id
    channel_id: str
    user_id: str
    ts: str = Field(pattern=ISO_SECONDS, description="send time, local wall clock")
    text: str = Field(min_length=1, max_length=4000)
    parent_id: Optional[str] = Field(None, description="thread parent message id; None for a top-level message")
    reactions: list[Reaction] = Field(default_factory=list)
    pinned: bool = False
    saved: bool = False
    edited: bool = False

    @model_validator(mode="after")
    def _one_entry_per_emoji(self) -> "Message":
        emojis = [r.id for r in self.reactions]
        if len(set(emojis)) != len(emojis):
            raise ValueError(f"message {self.id!r} lists a reaction emoji twice; use one entry with several users")
        for r in self.reactions:
            if len(set(r.users)) != len(r.users):
                raise ValueError(f"message {self.id!r} reaction {r.id!r} lists a user twice")
        return self


class NewChannelForm(Strict):
    name: str = Field("", max_length=80)
    description: str = Field("", max_length=250)
    is_private: bool = False


class StatusForm(Strict):
    emoji: Optional[Emoji] = None
    text: str = Field("", max_length=100)


class UI(Strict):
    view: Literal["channel", "threads", "saved", "search"] = "channel"
    channel_id: str
    panel: Optional[Literal["thread", "pins", "members"]] = None
    thread_id: Optional[str] = None
    menu: Optional[Literal["profile", "workspace"]] = None
    emoji_picker_for: Optional[str] = None
    dialog: Optional[Literal["create_channel", "edit_topic", "set_status"]] = None
    new_channel: NewChannelForm = Field(default_factory=NewChannelForm)
    topic_text: str = Field("", max_length=250)
    status_form: StatusForm = Field(default_factory=StatusForm)
    search_text: str = Field("", max_length=200, description="text in the search box")
    search_query: str = Field("", max_length=200, description="submitted query shown in the search view")
    drafts: dict[str, str] = Field(default_factory=dict, description="unsent composer text per channel id")
    thread_draft: str = Field("", max_length=4000)
    editing_id: Optional[str] = None
    edit_text: str = Field("", max_length=4000)
    member_query: str = Field("", max_length=80)
    starred_collapsed: bool = False
    channels_collapsed: bool = False
    dms_collapsed: bool = False


class ChatState(Strict):
    now: str = Field(pattern=ISO_SECONDS, description="the app's clock; new messages get this time")
    workspace: str = Field(min_length=1, max_length=60)
    current_user_id: str
    users: list[User] = Field(min_length=1)
    channels: list[Channel] = Field(min_length=1)
    messages: list[Message] = Field(default_factory=list)
    ui: UI
    toast: Optional[str] = Field(None, max_length=200, description="transient confirmation banner")

    @field_validator("users", "channels", "messages")
    @classmethod
    def _unique_ids(cls, items: list) -> list:
        seen: set[str] = set()
        for it in items:
            if it.id in seen:
                raise ValueError(f"duplicate id {it.id!r}")
            seen.add(it.id)
        return items

    @model_validator(mode="after")
    def _references(self) -> "ChatState":
        users = {u.id for u in self.users}
        chans = {c.id: c for c in self.channels}
        msgs = {m.id: m for m in self.messages}
        if self.current_user_id not in users:
            raise ValueError(f"current_user_id {self.current_user_id!r} is not a user id")
        names = [c.name for c in self.channels if c.kind == "channel"]
        if len(set(names)) != len(names):
            raise ValueError("two channels share a name")
        for c in self.channels:
            for u in c.members:
                if u not in users:
                    raise ValueError(f"channel {c.id!r} member {u!r} is not a user id")
        for m in self.messages:
            if m.channel_id not in chans:
                raise ValueError(f"message {m.id!r} channel_id {m.channel_id!r} is not a channel id")
            if m.user_id not in users:
                raise ValueError(f"message {m.id!r} user_id {m.user_id!r} is not a user id")
            for r in m.reactions:
                for u in r.users:
                    if u not in users:
                        raise ValueError(f"message {m.id!r} reaction {r.id!r} user {u!r} is not a user id")
            if m.parent_id is not None:
                p = msgs.get(m.parent_id)
                if p is None or p.parent_id is not None or p.channel_id != m.channel_id:
                    raise ValueError(f"message {m.id!r} parent_id {m.parent_id!r} must be a top-level "
                                     "message of the same channel")
        ui = self.ui
        if ui.channel_id not in chans:
            raise ValueError(f"ui.channel_id {ui.channel_id!r} is not a channel id")
        for key in ("thread_id", "emoji_picker_for", "editing_id"):
            ref = getattr(ui, key)
            if ref is not None and ref not in msgs:
                raise ValueError(f"ui.{key} {ref!r} is not a message id")
        if ui.thread_id is not None and msgs[ui.thread_id].parent_id is not None:
            raise ValueError("ui.thread_id must be a top-level message")
        if (ui.panel == "thread") != (ui.thread_id is not None):
            raise ValueError("ui.panel is 'thread' exactly when ui.thread_id is set")
        for cid in ui.drafts:
            if cid not in chans:
                raise ValueError(f"ui.drafts key {cid!r} is not a channel id")
        return self
