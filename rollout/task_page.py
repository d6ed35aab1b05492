"""Open a tuple's apps in a browser page and wait until the page has settled.

A single-app task opens the app's launch URL directly. A task that spans several apps
opens a workspace page with one tab per app (each an iframe on its own launch URL).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from cuagym.hub.client import HubClient

# Every frame (the app, or the workspace and each app tab) marks itself ready after its first
# render; apps also count their state writes in flight.
SETTLED_JS = """() => !!document.body && document.body.dataset.cuaReady === '1'
  && (!window.CUA || window.CUA.pending === 0)"""


def launch_urls(urls: dict[str, str], apps: list[str], sid: str, admin_token: str) -> list[tuple[str, str]]:
    """(app, one-time launch URL) for each app of the task, for the session as the setup left it."""
    out = []
    for app in apps:
        client = HubClient(urls[app], admin_token)
        try:
            out.append((app, client.post(sid, {"action": "launch"})["launch_url"]))
        finally:
            client.close()
    return out


def entry_url(urls: dict[str, str], launches: list[tuple[str, str]], titles: dict[str, str] | None = None) -> str:
    if len(launches) == 1:
        return launches[0][1]
    tabs = [{"title": (titles or {}).get(app, app.capitalize()), "url": url} for app, url in launches]
    blob = base64.urlsafe_b64encode(json.dumps(tabs).encode()).decode().rstrip("=")
    return f"{urls[launches[0][0]]}/_cua/workspace?tabs={blob}"


def wait_settled(page: Any, timeout_s: float = 15.0, poll_s: float = 0.02) -> bool:
    """Wait until every frame's app has rendered and written its state; False on timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if all(f.evaluate(SETTLED_JS) for f in page.frames):
                return True
        except Exception:
            pass  # a frame navigating away mid-check: look again
        time.sleep(poll_s)
    return False


def open_task(page: Any, urls: dict[str, str], apps: list[str], sid: str, admin_token: str,
              titles: dict[str, str] | None = None, timeout_s: float = 20.0) -> None:
    """Navigate ``page`` to the task's apps and wait until they are ready."""
    launches = launch_urls(urls, apps, sid, admin_token)
    page.goto(entry_url(urls, launches, titles), wait_until="load", timeout=timeout_s * 1000)
    if len(launches) > 1:
        deadline = time.monotonic() + timeout_s
        while len(page.frames) < len(launches) + 1 and time.monotonic() < deadline:
            time.sleep(0.02)
    if not wait_settled(page, timeout_s):
        raise TimeoutError(f"apps {apps} did not become ready within {timeout_s:g} s")
