"""Reused browser contexts in real Chromium against a real hub: the next episode on a slot gets
the same context and page, and sees nothing of its predecessor (storage, cookies, history,
session, state); legacy-hub apps never reuse a context."""

from __future__ import annotations

from pathlib import Path

import pytest

from cuagym.data.format import load_tuple
from cuagym.hub.client import HubClient
from cuagym.hub.core.auth import COOKIE_ALIAS
from cuagym.rollout.context_reuse import recycle
from cuagym.rollout.slot import EpisodeSlot

pytestmark = [pytest.mark.usefixtures("sandbox"), pytest.mark.hub(["notes"])]

PIN = Path(__file__).resolve().parents[2] / "data" / "tuples" / "notes" / "notes.pin.hiring_plan"

LEAVE_TRACES = """async () => {
  localStorage.setItem('trace', 'ep1'); sessionStorage.setItem('trace', 'ep1');
  document.cookie = 'trace=ep1; path=/';
  await new Promise((ok, bad) => { const r = indexedDB.open('trace-db', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('s');
    r.onsuccess = () => { const tx = r.result.transaction('s', 'readwrite'); tx.objectStore('s').put('ep1', 'k');
      tx.oncomplete = () => { r.result.close(); ok(); }; }; r.onerror = bad; });
  await caches.open('trace-cache').then(c => c.put('/trace', new Response('ep1')));
}"""

READ_TRACES = """async () => {
  const dbs = indexedDB.databases ? (await indexedDB.databases()).map(d => d.name) : [];
  return {local: localStorage.getItem('trace'), session: sessionStorage.getItem('trace'),
          cookie: document.cookie, dbs, caches: await caches.keys(), history: history.length};
}"""


def page_state(page) -> dict:
    """The session state as the page itself can read it (through its launch cookie)."""
    return page.evaluate(f"async () => (await fetch('/state?sid={COOKIE_ALIAS}')).json()")


def test_next_episode_reuses_the_page_and_sees_nothing_of_the_last(hub, browser):
    t = load_tuple(PIN)
    client = HubClient(hub.urls["notes"], hub.admin_token)
    slot = EpisodeSlot(browser, hub.urls, hub.admin_token, reuse_contexts=True)
    try:
        slot.reset(t)
        ctx1, page1, sid1 = slot.context, slot.page, slot.access.sid
        page1.evaluate(LEAVE_TRACES)
        before = page1.evaluate(READ_TRACES)
        assert before["local"] == before["session"] == "ep1" and "trace=ep1" in before["cookie"]
        assert "trace-db" in before["dbs"] and before["caches"] == ["trace-cache"]
        # The first episode changes its state through the page (the note gets pinned).
        state1 = client.state(sid1)
        state1["ui"]["page"] = 1
        client.set_current(sid1, state1)
        assert page_state(page1)["ui"]["page"] == 1
        cookies1 = {c["name"]: c["value"] for c in ctx1.cookies()}
        assert cookies1.get("trace") == "ep1" and any(n.startswith("cua_session_") for n in cookies1)

        slot.close_context()          # the episode ends (the pool's release)
        slot.reset(t)                 # the next episode on the same slot
        assert slot.context is ctx1 and slot.page is page1 and len(ctx1.pages) == 1
        sid2 = slot.access.sid
        assert sid2 != sid1
        traces = page1.evaluate(READ_TRACES)
        assert traces["local"] is None and traces["session"] is None and "trace" not in traces["cookie"]
        assert "trace-db" not in traces["dbs"] and traces["caches"] == []
        cookies2 = {c["name"]: c["value"] for c in ctx1.cookies()}
        assert "trace" not in cookies2
        session_cookies = [n for n in cookies2 if n.startswith("cua_session_")]
        assert len(session_cookies) == 1 and cookies2[session_cookies[0]] != cookies1[session_cookies[0]]
        # The page reaches its own new session, which starts from the tuple's initial state.
        assert page_state(page1) == client.state(sid2) and page_state(page1)["ui"]["page"] == 2
        assert client.state(sid1)["ui"]["page"] == 1  # the old session is untouched, and out of reach
        # History holds nothing of the last episode.
        assert traces["history"] <= 2  # about:blank, then this episode's app
        page1.go_back()
        assert page1.url == "about:blank"
    finally:
        slot.close_context()
        client.close()


def test_without_reuse_every_episode_gets_a_new_context(hub, browser):
    t = load_tuple(PIN)
    slot = EpisodeSlot(browser, hub.urls, hub.admin_token)
    try:
        slot.reset(t)
        ctx1 = slot.context
        slot.reset(t)
        assert slot.context is not ctx1
    finally:
        slot.close_context()


def test_legacy_hub_apps_never_reuse_a_context(hub, browser):
    ctx = browser.new_context()
    page = ctx.new_page()
    try:
        assert recycle(ctx, page, {"notes": "legacy+" + hub.urls["notes"]}) is None
        assert recycle(ctx, page, {"notes": hub.urls["notes"]}) == (ctx, page)
        page.close()
        assert recycle(ctx, page, {"notes": hub.urls["notes"]}) is None  # a dead page is not reused
    finally:
        ctx.close()


def test_the_async_slot_reuses_and_cleans_its_page_like_the_sync_one(hub):
    """The env worker's slot (Playwright's async API, ``recycle_async``) gives the next episode the
    same context and page with nothing of the last one in them."""
    import asyncio
    import threading

    from playwright.async_api import async_playwright

    from cuagym.browser import launch_kwargs
    from cuagym.rollout.slot import AsyncEpisodeSlot

    t = load_tuple(PIN)
    client = HubClient(hub.urls["notes"], hub.admin_token)
    seen: dict = {}

    async def main() -> None:
        async with async_playwright() as p:
            browser = await p.chromium.launch(**launch_kwargs())
            slot = AsyncEpisodeSlot(browser, hub.urls, hub.admin_token, reuse_contexts=True)
            try:
                await slot.reset(t)
                ctx1, page1, sid1 = slot.context, slot.page, slot.access.sid
                await page1.evaluate(LEAVE_TRACES)
                seen["before"] = await page1.evaluate(READ_TRACES)
                seen["cookies1"] = {c["name"]: c["value"] for c in await ctx1.cookies()}
                await slot.close_context()
                await slot.reset(t)
                seen["same"] = slot.context is ctx1 and slot.page is page1 and len(ctx1.pages) == 1
                seen["sids"] = (sid1, slot.access.sid)
                seen["after"] = await page1.evaluate(READ_TRACES)
                seen["cookies2"] = {c["name"]: c["value"] for c in await ctx1.cookies()}
                seen["page_state"] = await page1.evaluate(
                    f"async () => (await fetch('/state?sid={COOKIE_ALIAS}')).json()")
                await page1.go_back()
                seen["back"] = page1.url
            finally:
                await slot.close_context()
                await browser.close()

    errors: list[BaseException] = []
    th = threading.Thread(target=lambda: errors.extend(_run(asyncio.run, main())))
    th.start()
    th.join()
    if errors:
        client.close()
        raise errors[0]
    try:
        before, after = seen["before"], seen["after"]
        assert before["local"] == before["session"] == "ep1" and "trace-db" in before["dbs"]
        assert seen["same"] and seen["sids"][0] != seen["sids"][1]
        assert after["local"] is None and after["session"] is None and "trace" not in after["cookie"]
        assert "trace-db" not in after["dbs"] and after["caches"] == [] and after["history"] <= 2
        assert "trace" not in seen["cookies2"]
        name = next(n for n in seen["cookies2"] if n.startswith("cua_session_"))
        assert seen["cookies2"][name] != seen["cookies1"][name]
        assert seen["page_state"] == client.state(seen["sids"][1]) and seen["page_state"]["ui"]["page"] == 2
        assert seen["back"] == "about:blank"
    finally:
        client.close()


def _run(fn, *args) -> list[BaseException]:
    """``fn(*args)``; the exception it raised, if any, as a one-item list."""
    try:
        fn(*args)
    except BaseException as e:
        return [e]
    return []
