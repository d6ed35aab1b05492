"""Fixtures for hub tests: a real hub process on loopback and a real headless Chromium."""

from __future__ import annotations

import pytest

from cuagym.browser import launch_kwargs
from cuagym.hub.client import HubClient
from cuagym.hub.launcher import HubProcess


# Module scope, not session: a sync Playwright that outlives this folder's tests would hold the
# thread's event loop and make every later in-process sync_playwright() (rollout, validator) fail.
@pytest.fixture(scope="module")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_instance):
    b = playwright_instance.chromium.launch(**launch_kwargs())
    yield b
    b.close()


def start_hub(apps, hardened=True):
    """Start a hub for ``apps``; use as a context manager."""
    return HubProcess(apps, hardened=hardened)


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
