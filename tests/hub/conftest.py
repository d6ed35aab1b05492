"""Helpers for hub tests: open an app on a session in the shared Chromium (the ``hub`` and
``browser`` fixtures live in tests/conftest.py)."""

from __future__ import annotations

import pytest

from cuagym.hub.client import HubClient, HubError
from cuagym.hub.launcher import HubProcess


def open_app(browser, hub: HubProcess, app: str, sid: str, state: dict | None = None, viewport=(1280, 800)):
    """Set ``state`` (or the seed) on ``sid``, open the launch URL in a new context, wait until ready.

    Returns (context, page, client). The caller closes the context.
    """
    client = HubClient(hub.urls[app], hub.admin_token)
    if state is None:
        state = client.seed(sid)
    launch = client.set(sid, state)["launch_url"]
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = ctx.new_page()
    page.goto(launch)
    wait_idle(page)
    return ctx, page, client


def wait_idle(page, timeout_ms: int = 10_000) -> None:
    """Wait until the page rendered and every state write reached the server."""
    page.wait_for_selector("body[data-cua-ready='1']", timeout=timeout_ms)
    page.wait_for_function("() => window.CUA && window.CUA.pending === 0", timeout=timeout_ms)


def assert_refused(client: HubClient, sid: str, state: dict, needle: str) -> None:
    """Both state writes (``set`` and ``set_current``) refuse ``state`` with 422 and a message naming ``needle``."""
    for write in (client.set, client.set_current):
        with pytest.raises(HubError) as err:
            write(sid, state)
        assert err.value.status == 422 and needle in str(err.value), str(err.value)
