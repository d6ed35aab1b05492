"""Open a tuple's apps in a browser page and wait until the page has settled.

A single-app task opens the app's launch URL directly. A task that spans several apps
opens a workspace page with one tab per app (each an iframe on its own launch URL).

An app behind a legacy CUA-Gym-Hub server (a ``legacy+http://...`` URL, see
:mod:`cuagym.hub.client`) has no launch URLs and sets no ready marker: it opens as
``BASE/?sid=SID``, and a script added to the page before the app loads stands in for the
marker: the frame counts as ready once it has loaded, has no fetch/XHR in flight and its DOM
has been quiet for ``QUIET_MS``, or once it has been busy for ``MAX_BUSY_MS`` without a pause
(an animation or a long poll never goes quiet), so each wait stays bounded.

``open_task`` and ``wait_settled`` take a page of Playwright's sync API; ``open_task_async``
and ``wait_settled_async`` are the same steps for a page of its async API (the env worker's
event loop), with the hub calls run in the loop's executor.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

from cuagym.hub.client import LEGACY, HubClient, split_url

# Every frame (the app, or the workspace and each app tab) marks itself ready after its first
# render; apps also count their state writes in flight.
SETTLED_JS = """() => !!document.body && document.body.dataset.cuaReady === '1'
  && (!window.CUA || window.CUA.pending === 0)"""


QUIET_MS = 300
MAX_BUSY_MS = 3000
# Readiness for a legacy app's frames: set on the page before any app script runs (in every
# frame; it acts only in frames of the legacy origins). It defines what our apps define
# themselves, ``body.dataset.cuaReady`` and ``window.CUA.pending``, from the load event,
# the page's own fetch/XHR calls in flight and the time since the last DOM mutation.
LEGACY_READY_JS = """(origins) => {
  if (!origins.includes(location.origin) || window.CUA) return;
  let inflight = 0, last = performance.now(), busySince = last, loaded = false;
  const mark = () => {
    const now = performance.now();
    if (now - last >= %(quiet)d) busySince = now;  // activity after a pause: a new busy spell
    last = now;
  };
  const wrapFetch = window.fetch;
  if (wrapFetch) window.fetch = function (...a) {
    inflight++; mark();
    return wrapFetch.apply(this, a).finally(() => { inflight--; mark(); });
  };
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...a) {
    inflight++; mark();
    this.addEventListener('loadend', () => { inflight--; mark(); }, {once: true});
    return send.apply(this, a);
  };
  new MutationObserver((rs) => { if (rs.some((r) => r.attributeName !== 'data-cua-ready')) mark(); })
    .observe(document, {subtree: true, childList: true, attributes: true,
                         characterData: true});
  window.addEventListener('load', () => { loaded = true; mark(); });
  const quiet = () => {
    const now = performance.now();
    return loaded && ((inflight === 0 && now - last >= %(quiet)d) || now - busySince >= %(busy)d);
  };
  Object.defineProperty(window, 'CUA', {value: {get pending() { return quiet() ? 0 : 1; }, legacy: true}});
  const tick = () => {
    if (document.body && quiet()) document.body.dataset.cuaReady = '1';
    else setTimeout(tick, 50);
  };
  tick();
}""" % {"quiet": QUIET_MS, "busy": MAX_BUSY_MS}


def is_legacy(url: str) -> bool:
    return split_url(url)[0] == LEGACY


def legacy_url(url: str, sid: str) -> str:
    """The page of a legacy app for session ``sid``, as CUA-Gym's own scripts open it."""
    return f"{split_url(url)[1]}/?sid={sid}"


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(split_url(url)[1])
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def launch_urls(urls: dict[str, str], apps: list[str], sid: str, admin_token: str) -> list[tuple[str, str]]:
    """(app, URL to open) for each app of the task, for the session as the setup left it: a
    one-time launch URL from a hardened hub (the page never sees the sid), ``BASE/?sid=SID``
    for a legacy one."""
    out = []
    for app in apps:
        if is_legacy(urls[app]):
            out.append((app, legacy_url(urls[app], sid)))
            continue
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
    host = next((app for app, _ in launches if not is_legacy(urls[app])), None)
    if host is None:
        raise ValueError(f"apps {[a for a, _ in launches]} are all served by legacy hubs; a task spanning several "
                         "apps needs the workspace page of this project's hub (serve one of its apps here)")
    return f"{split_url(urls[host])[1]}/_cua/workspace?tabs={blob}"


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
    legacy = sorted({_origin(urls[a]) for a in apps if is_legacy(urls[a])})
    launches = launch_urls(urls, apps, sid, admin_token)
    entry = entry_url(urls, launches, titles)
    if legacy:
        page.add_init_script(script=f"({LEGACY_READY_JS})({json.dumps(legacy)})")
    page.goto(entry, wait_until="load", timeout=timeout_s * 1000)
    if legacy:
        try:  # bounded: an app that polls its server never goes network-idle
            page.wait_for_load_state("networkidle", timeout=min(timeout_s, 5.0) * 1000)
        except Exception:
            pass
    if len(launches) > 1:
        deadline = time.monotonic() + timeout_s
        while len(page.frames) < len(launches) + 1 and time.monotonic() < deadline:
            time.sleep(0.02)
    if not wait_settled(page, timeout_s):
        raise TimeoutError(f"apps {apps} did not become ready within {timeout_s:g} s")


async def wait_settled_async(page: Any, timeout_s: float = 15.0, poll_s: float = 0.02) -> bool:
    """:func:`wait_settled` for a page of Playwright's async API."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if all([await f.evaluate(SETTLED_JS) for f in page.frames]):
                return True
        except Exception:
            pass  # a frame navigating away mid-check: look again
        await asyncio.sleep(poll_s)
    return False


async def open_task_async(page: Any, urls: dict[str, str], apps: list[str], sid: str, admin_token: str,
                          titles: dict[str, str] | None = None, timeout_s: float = 20.0) -> None:
    """:func:`open_task` for a page of Playwright's async API; the hub's launch calls (blocking
    HTTP) run in the event loop's executor."""
    legacy = sorted({_origin(urls[a]) for a in apps if is_legacy(urls[a])})
    launches = await asyncio.get_running_loop().run_in_executor(None, launch_urls, urls, apps, sid, admin_token)
    entry = entry_url(urls, launches, titles)
    if legacy:
        await page.add_init_script(script=f"({LEGACY_READY_JS})({json.dumps(legacy)})")
    await page.goto(entry, wait_until="load", timeout=timeout_s * 1000)
    if legacy:
        try:  # bounded: an app that polls its server never goes network-idle
            await page.wait_for_load_state("networkidle", timeout=min(timeout_s, 5.0) * 1000)
        except Exception:
            pass
    if len(launches) > 1:
        deadline = time.monotonic() + timeout_s
        while len(page.frames) < len(launches) + 1 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    if not await wait_settled_async(page, timeout_s):
        raise TimeoutError(f"apps {apps} did not become ready within {timeout_s:g} s")
