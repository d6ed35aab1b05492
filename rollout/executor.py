"""Execute internal actions in a Playwright page with real mouse and keyboard events.

``execute`` drives a page of Playwright's sync API, ``execute_async`` one of its async API
(the env worker's event loop); both run the same events for the same action.
"""

from __future__ import annotations

import time
from typing import Any

from cuagym.rollout.actions import Action, ActionError, ActionResult, Geometry, key_combo, to_screen

DRAG_STEPS = 8


def execute(page: Any, action: Action, geometry: Geometry) -> ActionResult:
    """Run one action; never raises for a bad action (the result carries the error)."""
    t0 = time.monotonic()
    try:
        a = to_screen(action, geometry)
        _run(page, a)
        return ActionResult(action.to_dict(), True, seconds=time.monotonic() - t0)
    except ActionError as e:
        return ActionResult(action.to_dict(), False, str(e), time.monotonic() - t0)


def _run(page: Any, a: Action) -> None:
    m, kb = page.mouse, page.keyboard
    if a.type == "click":
        m.click(a.x, a.y, button=a.button)
    elif a.type == "double_click":
        m.dblclick(a.x, a.y)
    elif a.type == "right_click":
        m.click(a.x, a.y, button="right")
    elif a.type == "move":
        m.move(a.x, a.y)
    elif a.type == "scroll":
        m.move(a.x, a.y)
        m.wheel(a.dx, a.dy)
    elif a.type == "drag":
        (x0, y0), rest = a.path[0], a.path[1:]
        m.move(x0, y0)
        m.down()
        for x, y in rest:
            m.move(x, y, steps=DRAG_STEPS)
        m.up()
    elif a.type == "type":
        kb.type(a.text)
    elif a.type == "keypress":
        combo = key_combo(a.keys)
        try:
            kb.press(combo)
        except Exception as e:  # Playwright raises a generic Error for unknown key names
            raise ActionError(f"keypress: unknown key in {combo!r} ({str(e).splitlines()[0]})") from None
    elif a.type == "wait":
        page.wait_for_timeout(a.seconds * 1000)
    elif a.type == "terminate":
        pass
    else:  # pragma: no cover - check() rejects unknown types first
        raise ActionError(f"unknown action type {a.type!r}")


async def execute_async(page: Any, action: Action, geometry: Geometry) -> ActionResult:
    """:func:`execute` for a page of Playwright's async API."""
    t0 = time.monotonic()
    try:
        a = to_screen(action, geometry)
        await _run_async(page, a)
        return ActionResult(action.to_dict(), True, seconds=time.monotonic() - t0)
    except ActionError as e:
        return ActionResult(action.to_dict(), False, str(e), time.monotonic() - t0)


async def _run_async(page: Any, a: Action) -> None:
    m, kb = page.mouse, page.keyboard
    if a.type == "click":
        await m.click(a.x, a.y, button=a.button)
    elif a.type == "double_click":
        await m.dblclick(a.x, a.y)
    elif a.type == "right_click":
        await m.click(a.x, a.y, button="right")
    elif a.type == "move":
        await m.move(a.x, a.y)
    elif a.type == "scroll":
        await m.move(a.x, a.y)
        await m.wheel(a.dx, a.dy)
    elif a.type == "drag":
        (x0, y0), rest = a.path[0], a.path[1:]
        await m.move(x0, y0)
        await m.down()
        for x, y in rest:
            await m.move(x, y, steps=DRAG_STEPS)
        await m.up()
    elif a.type == "type":
        await kb.type(a.text)
    elif a.type == "keypress":
        combo = key_combo(a.keys)
        try:
            await kb.press(combo)
        except Exception as e:  # Playwright raises a generic Error for unknown key names
            raise ActionError(f"keypress: unknown key in {combo!r} ({str(e).splitlines()[0]})") from None
    elif a.type == "wait":
        await page.wait_for_timeout(a.seconds * 1000)
    elif a.type == "terminate":
        pass
    else:  # pragma: no cover - check() rejects unknown types first
        raise ActionError(f"unknown action type {a.type!r}")
