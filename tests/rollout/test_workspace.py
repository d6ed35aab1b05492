"""Multi-app tasks open in one workspace page with a tab per app; apps in background tabs must
lay out at full size, so state that depends on layout (the calendar's week-grid scroll) is
already right when the agent switches to them."""

from __future__ import annotations

import pytest

from cuagym.hub.client import HubClient
from cuagym.rollout.task_page import open_task

HOUR_PX = 48  # hub/calendar/static/app.js: height of one hour row of the week grid
pytestmark = pytest.mark.hub(["mail", "calendar"])


def test_background_tab_app_keeps_its_layout_state(hub, browser):
    sid = "ws-scroll"
    client = HubClient(hub.urls["calendar"], hub.admin_token)
    try:
        state = client.go(sid)["current_state"]
        state["ui"]["view"], state["ui"]["scroll_hour"] = "week", 9
        client.post(sid, {"action": "set", "state": state})
    finally:
        client.close()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        open_task(page, hub.urls, ["mail", "calendar"], sid, hub.admin_token)
        frames = [f for f in page.frames if f != page.main_frame]
        cal = next(f for f in frames if f.query_selector("[data-testid=week-grid]"))
        # Hidden behind the mail tab, yet laid out at full size with the stored scroll applied.
        assert cal.evaluate("document.querySelector('[data-testid=week-grid]').clientHeight") > 300
        assert cal.evaluate("document.querySelector('[data-testid=week-grid]').scrollTop") == 9 * HOUR_PX
        assert not page.evaluate("document.querySelectorAll('iframe')[1].checkVisibility({visibilityProperty: true})")
        page.click("#bar .tab >> nth=1")
        assert page.evaluate("document.querySelectorAll('iframe')[1].checkVisibility({visibilityProperty: true})")
        assert cal.evaluate("document.querySelector('[data-testid=week-grid]').scrollTop") == 9 * HOUR_PX
    finally:
        page.close()
