"""Readiness of a legacy CUA-Gym-Hub page, which sets no ready marker: bounded even when the page
never goes quiet."""

from __future__ import annotations

import time

import requests

from cuagym.hub.client import with_protocols
from cuagym.rollout.task_page import MAX_BUSY_MS, open_task, wait_settled

from ..legacy_hub import LegacyHub


def test_a_page_that_never_goes_quiet_opens_and_settles_within_the_bound(browser):
    with LegacyHub(spinner=True) as hub:
        state = {"list": "Errands", "items": [{"id": 1, "text": "Post office", "done": False}]}
        requests.post(f"{hub.url}/post", params={"sid": "s1"}, json={"action": "set", "state": state},
                      timeout=5).raise_for_status()
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        try:
            page = ctx.new_page()
            t0 = time.monotonic()
            open_task(page, with_protocols({"todo": hub.url}, {"todo": "legacy"}), ["todo"], "s1", "",
                      timeout_s=20)
            opened = time.monotonic() - t0
            assert page.url == f"{hub.url}/?sid=s1"
            assert page.locator("li span").all_inner_texts() == ["Post office"]  # the late render was waited for
            assert page.evaluate("window.CUA.legacy") is True and opened < 15  # (open_task's bound is 20 s)
            page.mouse.click(40, 84)  # tick the item: a write through fetch, then the spinner goes on
            # Settled after the write, though the DOM never pauses: the busy spell is capped.
            assert wait_settled(page, 3 * MAX_BUSY_MS / 1000)
            assert hub.files["s1"]["current"]["items"][0]["done"] is True
        finally:
            ctx.close()
