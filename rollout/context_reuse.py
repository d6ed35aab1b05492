"""Reuse an episode's browser context and page for the next episode, when it can be made clean.

A new context costs little, but its first page starts a renderer process, which is most of a
reset's browser time. So when an episode ends, its page leaves the app for ``about:blank``
and everything the episode could have left behind is removed:

- every page but the one kept (pop-ups, new tabs) is closed;
- the per-tab storage (``sessionStorage``) of every frame, and ``localStorage``, are cleared
  while the app is still loaded (its origin's tab storage cannot be reached afterwards);
- cookies and granted permissions of the context are cleared;
- for every hub origin, DevTools' ``Storage.clearDataForOrigin`` removes local storage,
  IndexedDB, Cache Storage, service workers and the rest of the origin's data;
- the page's navigation history is reset, so "back" cannot return to a page of the last
  episode.

The hub's hardened mode keeps the session in an HttpOnly cookie and forgets an episode's launch
links when the next ``set`` arrives, so the next episode's page can reach only its own session.
Apps served by a legacy hub put the session id in the page URL; their contexts are never reused.
Any failure while cleaning returns None: the caller closes the context and makes a new one.
``recycle`` cleans a context of Playwright's sync API, ``recycle_async`` one of its async API.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

CLEAR_TAB_STORAGE = "() => { try { sessionStorage.clear(); } catch (e) {} try { localStorage.clear(); } catch (e) {} }"


def reusable(hub_urls: dict[str, str]) -> bool:
    """Contexts may be reused only when every app is served by this hub's hardened State API."""
    return bool(hub_urls) and not any(str(u).startswith("legacy+") for u in hub_urls.values())


def origins(hub_urls: dict[str, str]) -> list[str]:
    out = []
    for url in hub_urls.values():
        parts = urlsplit(str(url).removeprefix("legacy+"))
        if parts.scheme and parts.netloc:
            out.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(out))


def recycle(context: Any, page: Any, hub_urls: dict[str, str], timeout_s: float = 5.0) -> tuple[Any, Any] | None:
    """Clean ``context`` and ``page`` for another episode; ``(context, page)``, or None when the
    context must not or cannot be reused (the caller closes it)."""
    if context is None or page is None or not reusable(hub_urls):
        return None
    try:
        if page.is_closed():
            return None
        for other in list(context.pages):
            if other is not page:
                other.close()
        for frame in page.frames:
            try:
                frame.evaluate(CLEAR_TAB_STORAGE)
            except Exception:
                pass  # a frame without script access (about:blank, an error page) holds no storage
        page.goto("about:blank", timeout=timeout_s * 1000)
        context.clear_cookies()
        context.clear_permissions()
        cdp = context.new_cdp_session(page)
        try:
            for origin in origins(hub_urls):
                cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
            cdp.send("Page.resetNavigationHistory")
        finally:
            cdp.detach()
    except Exception:
        return None
    return context, page


async def recycle_async(context: Any, page: Any, hub_urls: dict[str, str], timeout_s: float = 5.0
                        ) -> tuple[Any, Any] | None:
    """:func:`recycle` for a context and page of Playwright's async API."""
    if context is None or page is None or not reusable(hub_urls):
        return None
    try:
        if page.is_closed():
            return None
        for other in list(context.pages):
            if other is not page:
                await other.close()
        for frame in page.frames:
            try:
                await frame.evaluate(CLEAR_TAB_STORAGE)
            except Exception:
                pass  # a frame without script access (about:blank, an error page) holds no storage
        await page.goto("about:blank", timeout=timeout_s * 1000)
        await context.clear_cookies()
        await context.clear_permissions()
        cdp = await context.new_cdp_session(page)
        try:
            for origin in origins(hub_urls):
                await cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
            await cdp.send("Page.resetNavigationHistory")
        finally:
            await cdp.detach()
    except Exception:
        return None
    return context, page
