"""One episode slot: an isolated browser context that plays one tuple at a time.

``reset(tuple)`` runs the tuple's setup in the sandbox against a fresh hub session, opens the
app(s) through one-time launch URLs, waits until the page has settled and returns the
screenshot; ``step(actions)`` executes actions with real mouse and keyboard events and
returns the next screenshot with per-action results; ``score()`` runs ``reward.py`` in the
sandbox. Failures of the environment (setup script, browser, hub) raise
:class:`EnvironmentFailure`, so they are never mistaken for a policy that scored 0.

:class:`EpisodeSlot` drives a browser of Playwright's sync API. :class:`AsyncEpisodeSlot` is
the same slot on its async API, for a worker whose event loop drives all its slots at once:
its methods are coroutines, and the sandbox side of reset and score (the same ``_setup`` and
``_reward`` as the sync slot) runs in the event loop's executor.
"""

from __future__ import annotations

import asyncio
import io
import secrets
import time
from typing import Any

from PIL import Image

from cuagym.actions import Action, ActionResult, Geometry
from cuagym.data.format import TaskTuple
from cuagym.data.sandbox import HubAccess, Limits, ScriptResult, run_script, using
from cuagym.rollout.context_reuse import recycle, recycle_async
from cuagym.rollout.setup_cache import SetupCache, run_setup
from cuagym.rollout.task_page import open_task, open_task_async, wait_settled, wait_settled_async
from cuagym.rollout.executor import execute, execute_async


class EnvironmentFailure(RuntimeError):
    """The environment, not the policy, failed: setup, browser, hub or reward script."""


class Observation:
    """A screenshot: the PNG bytes as captured, decoded to RGB once, when first looked at."""

    def __init__(self, screenshot: Image.Image | None, png: bytes, seconds: float) -> None:
        self._image, self.png, self.seconds = screenshot, png, seconds

    @property
    def screenshot(self) -> Image.Image:
        if self._image is None:
            self._image = Image.open(io.BytesIO(self.png)).convert("RGB")
        return self._image

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), read from the PNG header without decoding the pixels."""
        return self._image.size if self._image is not None else Image.open(io.BytesIO(self.png)).size


class EpisodeSlot:
    def __init__(self, browser: Any, hub_urls: dict[str, str], admin_token: str, *,
                 viewport: tuple[int, int] = (1280, 800), limits: Limits = Limits(),
                 settle_timeout_s: float = 10.0, setup_cache: SetupCache | None = None,
                 reuse_contexts: bool = False, sandbox: Any = None) -> None:
        self.browser = browser
        self.setup_cache = setup_cache  # None: initial_setup.py runs on every reset
        # The WarmSandbox (data/warm_sandbox.py) the tuple's scripts run in; None: a fresh sandbox each.
        self.sandbox = sandbox
        # Keep an ended episode's context and page, cleaned (rollout/context_reuse.py), for the next.
        self.reuse_contexts = reuse_contexts
        self._spare: tuple[Any, Any] | None = None
        self.hub_urls, self.admin_token = hub_urls, admin_token
        self.viewport = viewport
        self.limits = limits
        self.settle_timeout_s = settle_timeout_s
        self.geometry = Geometry(viewport, viewport)
        self.context: Any = None
        self.page: Any = None
        self.tuple: TaskTuple | None = None
        self.access: HubAccess | None = None

    # ---- lifecycle ------------------------------------------------------------------
    def reset(self, t: TaskTuple, sid: str | None = None) -> Observation:
        self.close_context()
        self._setup(t, sid)
        try:
            spare, self._spare = self._spare, None
            if spare is None or spare[1].is_closed():
                self.context = self.browser.new_context(viewport={"width": self.viewport[0], "height": self.viewport[1]})
                self.page = self.context.new_page()
            else:
                self.context, self.page = spare
            open_task(self.page, self.access.urls, t.apps, self.access.sid, self.admin_token,
                      timeout_s=self.settle_timeout_s * 2)
        except Exception as e:
            raise EnvironmentFailure(f"{t.id}: could not open the app: {type(e).__name__}: {e}") from e
        return self.observe()

    def observe(self) -> Observation:
        t0 = time.monotonic()
        try:
            png = self.page.screenshot(type="png")
        except Exception as e:
            raise EnvironmentFailure(f"screenshot failed: {type(e).__name__}: {e}") from e
        return Observation(None, png, time.monotonic() - t0)

    def step(self, actions: list[Action], geometry: Geometry | None = None) -> tuple[Observation, list[ActionResult]]:
        if self.page is None:
            raise EnvironmentFailure("step() before reset()")
        g = geometry or self.geometry
        results = []
        try:
            for a in actions:
                results.append(execute(self.page, a, g))
                if a.type == "terminate":
                    break
            wait_settled(self.page, self.settle_timeout_s)
        except Exception as e:  # the browser died or hung mid-step
            raise EnvironmentFailure(f"browser failed during step: {type(e).__name__}: {e}") from e
        return self.observe(), results

    def score(self) -> ScriptResult:
        """Run reward.py; an unusable result raises EnvironmentFailure (never a silent 0)."""
        if self.tuple is None or self.access is None:
            raise EnvironmentFailure("score() before reset()")
        if self.page is not None:
            try:
                wait_settled(self.page, self.settle_timeout_s)  # every visible change reached the server
            except Exception:
                pass
        return self._reward()

    # ---- the sandbox side of reset and score (no browser; the async slot runs these in a thread)
    def _setup(self, t: TaskTuple, sid: str | None) -> None:
        """Bring a fresh hub session to the tuple's initial state (``initial_setup.py``, or its snapshot)."""
        missing = [a for a in t.apps if a not in self.hub_urls]
        if missing:
            raise EnvironmentFailure(f"hub does not serve {', '.join(missing)} needed by {t.id}")
        self.tuple = t
        self.access = HubAccess({a: self.hub_urls[a] for a in t.apps}, sid or f"ep-{secrets.token_hex(8)}",
                                self.admin_token)
        with using(self.sandbox):
            res = run_setup(t, self.access, self.limits, self.setup_cache)
        if not res.ok:
            raise EnvironmentFailure(f"{t.id}: initial_setup.py failed: {res.summary()}")
        try:  # a setup that chose its own session (CUA-Gym's scripts mint one): the episode adopts it
            self.access = self.access.adopt(res)
        except ValueError as e:
            raise EnvironmentFailure(f"{t.id}: {e}") from None

    def _reward(self) -> ScriptResult:
        """Run reward.py on the episode's session; an unusable result raises EnvironmentFailure."""
        res = run_script(self.tuple.script("reward.py"), self.access, expect_reward=True, limits=self.limits,
                         warm=self.sandbox)
        if not res.ok:
            raise EnvironmentFailure(f"{self.tuple.id}: reward.py failed: {res.summary()}")
        return res

    def close_context(self) -> None:
        if self.context is not None:  # else nothing is open; a cleaned spare stays for the next reset
            spare = recycle(self.context, self.page, self.hub_urls) if self.reuse_contexts else None
            if spare is None:
                try:
                    self.context.close()
                except Exception:
                    pass
            self._spare = spare
        self.context = self.page = None


async def _in_thread(fn: Any, *args: Any) -> Any:
    """Run a blocking call (sandbox, HTTP) in the running loop's executor."""
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


class AsyncEpisodeSlot(EpisodeSlot):
    """An :class:`EpisodeSlot` on a browser of Playwright's async API: ``reset``, ``observe``,
    ``step``, ``score`` and ``close_context`` are coroutines, to be awaited on the loop that owns
    the browser. One slot runs one call at a time (its caller sees to that)."""

    async def reset(self, t: TaskTuple, sid: str | None = None) -> Observation:  # type: ignore[override]
        await self.close_context()
        await _in_thread(self._setup, t, sid)
        try:
            spare, self._spare = self._spare, None
            if spare is None or spare[1].is_closed():
                self.context = await self.browser.new_context(
                    viewport={"width": self.viewport[0], "height": self.viewport[1]})
                self.page = await self.context.new_page()
            else:
                self.context, self.page = spare
            await open_task_async(self.page, self.access.urls, t.apps, self.access.sid, self.admin_token,
                                  timeout_s=self.settle_timeout_s * 2)
        except Exception as e:
            raise EnvironmentFailure(f"{t.id}: could not open the app: {type(e).__name__}: {e}") from e
        return await self.observe()

    async def observe(self) -> Observation:  # type: ignore[override]
        t0 = time.monotonic()
        try:
            png = await self.page.screenshot(type="png")
        except Exception as e:
            raise EnvironmentFailure(f"screenshot failed: {type(e).__name__}: {e}") from e
        return Observation(None, png, time.monotonic() - t0)

    async def step(self, actions: list[Action], geometry: Geometry | None = None  # type: ignore[override]
                   ) -> tuple[Observation, list[ActionResult]]:
        if self.page is None:
            raise EnvironmentFailure("step() before reset()")
        g = geometry or self.geometry
        results = []
        try:
            for a in actions:
                results.append(await execute_async(self.page, a, g))
                if a.type == "terminate":
                    break
            await wait_settled_async(self.page, self.settle_timeout_s)
        except Exception as e:  # the browser died or hung mid-step
            raise EnvironmentFailure(f"browser failed during step: {type(e).__name__}: {e}") from e
        return await self.observe(), results

    async def score(self) -> ScriptResult:  # type: ignore[override]
        if self.tuple is None or self.access is None:
            raise EnvironmentFailure("score() before reset()")
        if self.page is not None:
            try:
                await wait_settled_async(self.page, self.settle_timeout_s)  # every visible change reached the server
            except Exception:
                pass
        return await _in_thread(self._reward)

    async def close_context(self) -> None:  # type: ignore[override]
        if self.context is not None:  # else nothing is open; a cleaned spare stays for the next reset
            spare = await recycle_async(self.context, self.page, self.hub_urls) if self.reuse_contexts else None
            if spare is None:
                try:
                    await self.context.close()
                except Exception:
                    pass
            self._spare = spare
        self.context = self.page = None
