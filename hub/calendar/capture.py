"""The calendar's reference screenshots, each from a state set through the State API.

    python -m cuagym.hub.calendar.capture [OUT_DIR]      (default: hub/calendar/screenshots)

week (the seed), month, event_card (an event's card open) and event_dialog (the create dialog
filled in); see cuagym.hub.core.capture.
"""

from __future__ import annotations

import copy
from typing import Any

from cuagym.hub.calendar.seed import seed_state
from cuagym.hub.core import capture


def _event_id(state: dict[str, Any], title: str, date: str) -> str:
    for ev in state["events"]:
        if ev["title"] == title and ev["date"] == date:
            return ev["id"]
    raise KeyError(f"no event {title!r} on {date} in the seed")


def view_states() -> dict[str, dict[str, Any]]:
    """File stem -> the state that shows it."""
    seed = seed_state()
    month = copy.deepcopy(seed)
    month["ui"]["view"] = "month"
    card = copy.deepcopy(seed)
    card["ui"]["selected_event_id"] = _event_id(seed, "Architecture review", "2026-03-18")
    dialog = copy.deepcopy(seed)
    dialog["ui"].update(dialog="create", draft={
        "title": "Quarterly planning offsite", "date": "2026-03-19", "start": "13:00", "end": "15:30",
        "all_day": False, "location": "Room Atlas 4F", "attendees": ["priya.shah@example.com", "jordan.lee@example.com"],
        "attendee_input": "", "calendar_id": "work", "description": "Agenda: Q2 priorities, staffing, budget.",
        "error": None})
    return {"week": seed, "month": month, "event_card": card, "event_dialog": dialog}


def main(argv: list[str] | None = None) -> int:
    return capture.main("calendar", view_states, argv)


if __name__ == "__main__":
    raise SystemExit(main())
