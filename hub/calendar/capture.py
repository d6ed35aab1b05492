"""Screenshots of the calendar's main views through a real hub and Chromium.

    python -m cuagym.hub.calendar.capture [OUT_DIR]     (default: hub/calendar/screenshots)

Each view is a state injected through the State API, so the pictures are reproducible.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

from cuagym.hub.calendar.seed import seed_state
from cuagym.hub.client import HubClient

DEFAULT_OUT = Path(__file__).parent / "screenshots"


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


def capture_views(browser, base_url: str, admin_token: str, out_dir: Path) -> list[Path]:
    """Render every view of :func:`view_states` in ``browser`` and write ``out_dir/<view>.png``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    client = HubClient(base_url, admin_token)
    written = []
    # One browser context serves every view: each launch URL replaces the session cookie.
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = ctx.new_page()
        for name, state in view_states().items():
            page.goto(client.set(f"capture-{name}", state)["launch_url"])
            page.wait_for_selector("body[data-cua-ready='1']")
            path = out_dir / f"{name}.png"
            page.screenshot(path=str(path))
            written.append(path)
    finally:
        ctx.close()
        client.close()
    return written


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    from cuagym.browser import launch_kwargs
    from cuagym.hub.launcher import HubProcess

    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else DEFAULT_OUT
    with HubProcess(["calendar"]) as hub, sync_playwright() as p:
        browser = p.chromium.launch(**launch_kwargs())
        try:
            for path in capture_views(browser, hub.urls["calendar"], hub.admin_token, out):
                print(f"{path} {path.stat().st_size // 1024} KB")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
