"""Pydantic models of the calendar app's whole state (see SCHEMA.md for the field meanings).

Dates are ``YYYY-MM-DD`` strings and times ``HH:MM`` (24-hour) strings rather than datetime
objects, so a state round-trips through JSON unchanged and the UI never needs a clock or a
time zone: ``now`` is the only notion of the present the app has.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^(\d{2}):(\d{2})$")
_NOW_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")
_MONTH_RE = re.compile(r"^\d{4}-\d{2}$")
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_date(value: str) -> str:
    """``YYYY-MM-DD`` naming a real calendar day."""
    if not _DATE_RE.match(value):
        raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a real calendar day") from None
    return value


def time_minutes(value: str, *, allow_24: bool = False) -> int:
    """Minutes since midnight of an ``HH:MM`` time; ``24:00`` only as an end time."""
    m = _TIME_RE.match(value)
    if not m:
        raise ValueError(f"expected a time as HH:MM (24-hour), got {value!r}")
    h, mi = int(m.group(1)), int(m.group(2))
    if mi > 59 or h > 24 or (h == 24 and (mi != 0 or not allow_24)):
        limit = "00:00..24:00" if allow_24 else "00:00..23:59"
        raise ValueError(f"time {value!r} is out of range {limit}")
    return h * 60 + mi


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class User(_Strict):
    """The signed-in account shown in the header."""

    name: str = Field(min_length=1, max_length=80)
    email: str = Field(pattern=_EMAIL_RE.pattern)


class CalendarInfo(_Strict):
    """One calendar (a color category) listed in the sidebar."""

    id: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=60)
    color: str = Field(pattern=_COLOR_RE.pattern, description="#rrggbb")
    visible: bool = True
    group: Literal["mine", "other"] = "mine"


class Event(_Strict):
    """One event on one day."""

    id: str = Field(min_length=1, max_length=40)
    title: str = Field(max_length=200)
    calendar_id: str
    date: str
    start: str = "09:00"
    end: str = "10:00"
    all_day: bool = False
    location: str = Field(default="", max_length=200)
    attendees: list[str] = Field(default_factory=list, max_length=50)
    description: str = Field(default="", max_length=4000)

    @field_validator("date")
    @classmethod
    def _date(cls, v: str) -> str:
        return check_date(v)

    @field_validator("attendees")
    @classmethod
    def _attendees(cls, v: list[str]) -> list[str]:
        for a in v:
            if not _EMAIL_RE.match(a):
                raise ValueError(f"attendee {a!r} is not an email address like name@example.com")
        if len(set(v)) != len(v):
            raise ValueError("attendees must not repeat")
        return v

    @model_validator(mode="after")
    def _times(self) -> "Event":
        start = time_minutes(self.start)
        end = time_minutes(self.end, allow_24=True)
        if end <= start:
            raise ValueError(f"event {self.id!r}: end {self.end} must be after start {self.start}")
        return self


class Draft(_Strict):
    """The contents of the open event dialog, exactly as typed (validated only on Save)."""

    title: str = Field(default="", max_length=200)
    date: str = Field(default="", max_length=40)
    start: str = Field(default="", max_length=20)
    end: str = Field(default="", max_length=20)
    all_day: bool = False
    location: str = Field(default="", max_length=200)
    attendees: list[str] = Field(default_factory=list, max_length=50)
    attendee_input: str = Field(default="", max_length=200)
    calendar_id: str
    description: str = Field(default="", max_length=4000)
    error: str | None = None


class Ui(_Strict):
    """Visible view state: what the page shows is a function of this and the data above."""

    view: Literal["week", "month"] = "week"
    focus_date: str
    mini_month: str = Field(description="YYYY-MM shown by the sidebar's mini month")
    scroll_hour: int = Field(default=7, ge=0, le=23, description="first hour row shown by the week grid")
    sidebar_open: bool = True
    selected_event_id: str | None = None
    dialog: Literal["create", "edit"] | None = None
    editing_event_id: str | None = None
    draft: Draft | None = None

    @field_validator("focus_date")
    @classmethod
    def _focus(cls, v: str) -> str:
        return check_date(v)

    @field_validator("mini_month")
    @classmethod
    def _mini(cls, v: str) -> str:
        if not _MONTH_RE.match(v) or not 1 <= int(v[5:]) <= 12:
            raise ValueError(f"expected a month as YYYY-MM, got {v!r}")
        return v

    @model_validator(mode="after")
    def _dialog(self) -> "Ui":
        if (self.dialog is None) != (self.draft is None):
            raise ValueError("ui.dialog and ui.draft are set together: both null or both present")
        if (self.dialog == "edit") != (self.editing_event_id is not None):
            raise ValueError("ui.editing_event_id is set exactly when ui.dialog is 'edit'")
        return self


class Toast(_Strict):
    """The snackbar at the bottom left; transient (the diff ignores it)."""

    message: str = Field(max_length=200)
    undo_event: Event | None = Field(default=None, description="a deleted event that Undo restores")
    undo_index: int | None = Field(default=None, ge=0)


class CalendarState(_Strict):
    """The whole state of one calendar session."""

    now: str = Field(description="the present moment, YYYY-MM-DDTHH:MM[:SS]; the UI never reads a clock")
    user: User
    calendars: list[CalendarInfo] = Field(min_length=1, max_length=30)
    events: list[Event] = Field(max_length=5000)
    ui: Ui
    toast: Toast | None = None

    @field_validator("now")
    @classmethod
    def _now(cls, v: str) -> str:
        if not _NOW_RE.match(v):
            raise ValueError(f"expected now as YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS, got {v!r}")
        try:
            dt.datetime.fromisoformat(v)
        except ValueError:
            raise ValueError(f"now {v!r} is not a real date and time") from None
        return v

    @model_validator(mode="after")
    def _references(self) -> "CalendarState":
        cal_ids = [c.id for c in self.calendars]
        if len(set(cal_ids)) != len(cal_ids):
            raise ValueError("calendar ids must be unique")
        ev_ids = [e.id for e in self.events]
        if len(set(ev_ids)) != len(ev_ids):
            raise ValueError("event ids must be unique")
        known = set(cal_ids)
        for e in self.events:
            if e.calendar_id not in known:
                raise ValueError(f"event {e.id!r} names unknown calendar {e.calendar_id!r}; "
                                 f"known calendars: {', '.join(cal_ids)}")
        ids = set(ev_ids)
        for name in ("selected_event_id", "editing_event_id"):
            ref = getattr(self.ui, name)
            if ref is not None and ref not in ids:
                raise ValueError(f"ui.{name} {ref!r} is not the id of an event")
        if self.ui.draft is not None and self.ui.draft.calendar_id not in known:
            raise ValueError(f"ui.draft.calendar_id {self.ui.draft.calendar_id!r} is not a calendar id")
        return self
