"""Replay a tuple's golden UI trajectory in a real Chromium, for the validator and tests.

One Playwright instance and browser per thread (Playwright's sync API is per-thread), so the
validator can replay tuples in parallel threads.
"""

from __future__ import annotations

import threading
from typing import Any

from cuagym.actions import Geometry
from cuagym.browser import launch_kwargs
from cuagym.data.format import TaskTuple
from cuagym.data.sandbox import HubAccess
from cuagym.rollout.task_page import open_task, wait_settled
from cuagym.rollout.executor import execute


class GoldenReplayer:
    """Callable ``(tuple, access) -> error or None`` that drives the UI with the golden actions."""

    def __init__(self, titles: dict[str, str] | None = None, settle_timeout_s: float = 10.0) -> None:
        self.titles = titles
        self.settle_timeout_s = settle_timeout_s
        self._local = threading.local()
        self._all: list[tuple[Any, Any]] = []
        self._lock = threading.Lock()

    def _browser(self) -> Any:
        b = getattr(self._local, "browser", None)
        if b is None:
            from playwright.sync_api import sync_playwright

            pw = sync_playwright().start()
            b = pw.chromium.launch(**launch_kwargs())
            self._local.browser = b
            with self._lock:
                self._all.append((pw, b))
        return b

    def __call__(self, t: TaskTuple, access: HubAccess) -> str | None:
        traj = t.golden_actions()
        if traj is None:
            return "no golden_actions.json"
        w, h = traj.viewport
        ctx = self._browser().new_context(viewport={"width": w, "height": h})
        try:
            page = ctx.new_page()
            open_task(page, access.urls, t.apps, access.sid, access.admin_token, self.titles)
            geometry = Geometry((w, h), (w, h))
            for i, turn in enumerate(traj.actions()):
                for j, action in enumerate(turn):
                    res = execute(page, action, geometry)
                    if not res.ok:
                        return f"step {i} action {j} ({action.type}): {res.error}"
                if not wait_settled(page, self.settle_timeout_s):
                    return f"page did not settle after step {i}"
            return None
        finally:
            ctx.close()

    def close(self) -> None:
        # Each Playwright instance must be stopped from the thread that started it; at exit
        # the browsers are closed by their processes ending, so only close what we can.
        with self._lock:
            items, self._all = self._all, []
        for pw, b in items:
            try:
                b.close()
                pw.stop()
            except Exception:
                pass
