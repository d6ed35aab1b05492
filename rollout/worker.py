"""A browser worker: one Playwright Chromium and N episode slots (browser contexts).

:class:`EnvWorker` is a plain class, usable in-process; :func:`remote_worker_class` wraps it
as a Ray actor so a pool can place workers on any node. Calls address a slot by index:
``reset(slot, tuple_dir)``, ``step(slot, actions, geometry)``, ``score(slot)``. Screenshots
leave the worker as PNG bytes (:class:`WireObservation`), which are small to ship; the caller
decodes them, once, when it first looks at the pixels.

The worker owns one asyncio event loop, in a thread of its own, and drives Chromium with
Playwright's async API from it. Its methods are plain blocking calls, safe from any thread:
each submits a coroutine to the loop and waits for it, so calls on different slots overlap
their waits (page loads, settles, screenshots; sandbox scripts and hub calls run in the loop's
executor). Calls on one slot run one at a time, in the order they arrive; a caller that sends
several calls for one slot without waiting (from threads, or through a Ray actor, which runs
concurrent calls in no set order) numbers them with :meth:`EnvWorker.ordered`, and the worker
runs them in that order. ``submit``/``submit_ordered`` return the call as a
``concurrent.futures.Future`` instead of waiting.

If Chromium dies, the worker notices on the next call (or in the calls it kills), launches a
new one once, and every episode that was running in the old browser fails with
:class:`EnvironmentFailure` exactly once (on the call that was in flight, or on its next
call); a reset caught by the relaunch is started again in the new browser. The slots are
then ready for new episodes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import os
import secrets
import signal
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from cuagym.actions import Action, ActionResult, Geometry
from cuagym.browser import launch_kwargs
from cuagym.data.format import TupleError, load_tuple
from cuagym.data.sandbox import Limits
from cuagym.data.warm_sandbox import WarmSandbox
from cuagym.rollout.setup_cache import SetupCache
from cuagym.rollout.slot import AsyncEpisodeSlot, EnvironmentFailure, Observation


@dataclass
class WireObservation:
    """A screenshot as it travels between processes: PNG bytes, its size and capture time."""

    png: bytes
    size: tuple[int, int]
    seconds: float

    @classmethod
    def of(cls, obs: Observation) -> "WireObservation":
        return cls(obs.png, obs.size, obs.seconds)  # the worker never decodes the pixels

    def decode(self) -> Observation:
        """The observation on the caller's side; its pixels are decoded once, when first used."""
        return Observation(None, self.png, self.seconds)


@dataclass
class ScoreResult:
    """The part of a reward script's result the loop needs (picklable, no enum)."""

    reward: float
    stdout: str
    seconds: float


def _is_chromium(p: psutil.Process) -> bool:
    try:
        return "chrom" in p.name().lower()
    except psutil.Error:
        return False


def chromium_processes(root_pid: int) -> list[psutil.Process]:
    """Every Chromium process below ``root_pid`` (the browser and its renderers, GPU, zygotes)."""
    try:
        kids = psutil.Process(root_pid).children(recursive=True)
    except psutil.Error:
        return []
    return [p for p in kids if _is_chromium(p)]


def _has_arg(p: psutil.Process, arg: str) -> bool:
    try:
        return arg in p.cmdline() and not _is_chromium(p.parent() or p)
    except psutil.Error:
        return False


def _kill_all(procs: list[psutil.Process]) -> None:
    """Kill what is left of a closed or crashed browser: no Chromium process may outlive its worker."""
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass


def close_browser(browser: Any, playwright: Any) -> None:
    """Close a Chromium, then stop the Playwright that launched it; either may be None, and a
    failure of either (one already gone) is ignored."""
    for obj, meth in ((browser, "close"), (playwright, "stop")):
        if obj is not None:
            try:
                getattr(obj, meth)()
            except Exception:
                pass


async def close_browser_async(browser: Any, playwright: Any, timeout_s: float = 10.0) -> None:
    """:func:`close_browser` for Playwright's async API, each step bounded by ``timeout_s``."""
    for obj, meth in ((browser, "close"), (playwright, "stop")):
        if obj is not None:
            try:
                await asyncio.wait_for(getattr(obj, meth)(), timeout_s)
            except BaseException:
                pass


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


class EnvWorker:
    """One Chromium, ``num_slots`` isolated episode slots, one event loop driving them all."""

    def __init__(self, hub_urls: dict[str, str], admin_token: str, num_slots: int = 1, *,
                 viewport: tuple[int, int] = (1280, 800), limits: Limits = Limits(),
                 settle_timeout_s: float = 10.0, setup_cache: str | None = None, reuse_contexts: bool = True) -> None:
        """``setup_cache``: directory of setup snapshots (:mod:`cuagym.rollout.setup_cache`);
        None takes $CUAGYM_SETUP_CACHE or the default directory, ``"off"`` runs every setup.
        ``reuse_contexts``: an ended episode's context and page are cleaned and kept for the
        slot's next episode (:mod:`cuagym.rollout.context_reuse`) instead of closed."""
        if num_slots < 1:
            raise ValueError(f"num_slots must be >= 1, got {num_slots}")
        if not hub_urls:
            raise ValueError("hub_urls is empty: pass the running hub's app name -> base URL map")
        self.hub_urls, self.admin_token = dict(hub_urls), admin_token
        self.num_slots = num_slots
        self.viewport = tuple(viewport)
        self.limits = limits
        self.settle_timeout_s = settle_timeout_s
        self.reuse_contexts = bool(reuse_contexts)
        if setup_cache is None:
            self.setup_cache = SetupCache.from_env()
        elif setup_cache.strip().lower() == "off":
            self.setup_cache = None
        else:
            self.setup_cache = SetupCache(setup_cache)
        # One warm sandbox (data/warm_sandbox.py) for all slots' setup and reward scripts.
        self.sandbox = WarmSandbox()
        self.sandbox.prestart(self.hub_urls, admin_token)
        self.launches = 0
        self._pw: Any = None
        self.browser: Any = None
        self.browser_process: psutil.Process | None = None
        self.slots: list[AsyncEpisodeSlot] = []
        # Slots whose episode died with a browser: their next step/score raises once.
        self._lost: dict[int, str] = {}
        # The event loop, its thread, and the executor for blocking work (sandbox scripts, hub calls).
        self._executor = cf.ThreadPoolExecutor(max_workers=num_slots + 2, thread_name_prefix="env-worker-io")
        self._loop = asyncio.new_event_loop()
        self._loop.set_default_executor(self._executor)
        self._thread = threading.Thread(target=self._run_loop, name="env-worker-loop", daemon=True)
        self._thread.start()
        self._closed = False
        # On the loop: one lock per slot (calls on a slot run one at a time), one for (re)launches,
        # and the ordered calls' turn per slot.
        self._slot_locks: list[asyncio.Lock] = []
        self._life: asyncio.Lock | None = None
        self._turn: list[int] = [0] * num_slots
        self._turn_changed: asyncio.Condition | None = None
        try:
            self._wait(self._start())
        except BaseException:
            self._stop_loop()
            self.sandbox.close()
            raise

    # ---- the event loop ---------------------------------------------------------------
    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def _submit(self, coro: Any) -> cf.Future:
        if self._closed:
            coro.close()
            raise RuntimeError("the env worker is closed")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def _wait(self, coro: Any) -> Any:
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("a blocking EnvWorker method was called from its own event loop")
        return self._submit(coro).result()

    def _stop_loop(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._loop.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _start(self) -> None:
        self._slot_locks = [asyncio.Lock() for _ in range(self.num_slots)]
        self._life = asyncio.Lock()
        self._turn_changed = asyncio.Condition()
        await self._launch()

    # ---- browser lifecycle ----------------------------------------------------------
    async def _launch(self) -> None:
        from playwright.async_api import async_playwright

        if self._pw is None:
            self._pw = await async_playwright().start()
        # A switch Chromium ignores marks this worker's browser among others in the same process
        # tree (local workers share one process).
        mark = f"--cuagym-worker={secrets.token_hex(8)}"
        kw = launch_kwargs()
        kw["args"] = [*kw["args"], mark]
        self.browser = await self._pw.chromium.launch(**kw)
        self.browser_process = next((p for p in chromium_processes(os.getpid()) if _has_arg(p, mark)), None)
        self.launches += 1
        self.slots = [AsyncEpisodeSlot(self.browser, self.hub_urls, self.admin_token, viewport=self.viewport,
                                       limits=self.limits, settle_timeout_s=self.settle_timeout_s,
                                       setup_cache=self.setup_cache, reuse_contexts=self.reuse_contexts,
                                       sandbox=self.sandbox)
                      for _ in range(self.num_slots)]

    def _browser_alive(self) -> bool:
        # On the loop. The process check sees a killed browser at once; Playwright's flag only
        # updates when the loop has read the connection's end.
        if self.browser is None or not self.browser.is_connected():
            return False
        return self.browser_process is None or _alive(self.browser_process)

    def browser_alive(self) -> bool:
        return self._wait(self._async(self._browser_alive))

    @staticmethod
    async def _async(fn: Any, *args: Any) -> Any:
        return fn(*args)

    async def _relaunch(self, why: str) -> None:
        """Replace the browser (the caller holds ``_life``); every episode in it is lost."""
        for i, s in enumerate(self.slots):
            if s.tuple is not None:
                self._lost[i] = f"browser died ({why}); the episode on slot {i} was lost"
        procs = self.browser_processes()
        try:
            await asyncio.wait_for(self.browser.close(), 10)
        except BaseException:
            pass  # already gone
        _kill_all(procs)
        await self._launch()

    async def _ensure_browser(self) -> None:
        if not self._browser_alive():
            async with self._life:
                if not self._browser_alive():
                    await self._relaunch("found dead on the next call")

    def _slot(self, i: int) -> AsyncEpisodeSlot:
        if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < self.num_slots:
            raise ValueError(f"slot must be an int in 0..{self.num_slots - 1}, got {i!r}")
        return self.slots[i]

    async def _guarded(self, i: int, fn: Any) -> Any:
        """Run one slot call; a browser that died under it is relaunched and the episode fails."""
        await self._ensure_browser()
        if i in self._lost:
            raise EnvironmentFailure(self._lost.pop(i))
        launch = self.launches
        try:
            return await fn(self._slot(i))
        except EnvironmentFailure:
            if self.launches == launch and not self._browser_alive():
                async with self._life:
                    if self.launches == launch:
                        await self._relaunch("died during the call")
            if self.launches != launch:
                self._lost.pop(i, None)  # this episode fails right here, not again later
            raise

    # ---- slot calls (coroutines, on the loop; the caller holds the slot's lock) ---------
    async def _reset(self, slot: int, tuple_dir: str) -> WireObservation:
        self._slot(slot)
        try:
            t = await asyncio.get_running_loop().run_in_executor(None, load_tuple, tuple_dir)
        except TupleError as e:
            raise EnvironmentFailure(f"tuple {tuple_dir} cannot be loaded on {socket.gethostname()}: {e}") from e

        async def run(s: AsyncEpisodeSlot) -> WireObservation:
            return WireObservation.of(await s.reset(t))
        for attempt in range(2):
            await self._ensure_browser()
            self._lost.pop(slot, None)  # a new episode starts: whatever was lost is already reported
            launch = self.launches
            try:
                return await self._guarded(slot, run)
            except EnvironmentFailure:
                if attempt or self.launches == launch:
                    raise
                # The browser was replaced while this reset ran: start the episode again in the new one.
        raise AssertionError("unreachable")

    async def _step(self, slot: int, actions: list[Action], geometry: Geometry | None
                    ) -> tuple[WireObservation, list[ActionResult]]:
        async def run(s: AsyncEpisodeSlot) -> tuple[WireObservation, list[ActionResult]]:
            obs, results = await s.step(actions, geometry)
            return WireObservation.of(obs), results
        return await self._guarded(slot, run)

    async def _score(self, slot: int) -> ScoreResult:
        async def run(s: AsyncEpisodeSlot) -> ScoreResult:
            if s.page is None:
                raise EnvironmentFailure("score() before reset()")
            res = await s.score()
            return ScoreResult(float(res.reward), res.stdout, res.seconds)
        return await self._guarded(slot, run)

    async def _release(self, slot: int) -> None:
        s = self._slot(slot)
        self._lost.pop(slot, None)
        await s.close_context()
        s.tuple = None

    _SLOT_CALLS = {"reset": "_reset", "step": "_step", "score": "_score", "release": "_release"}

    async def _slot_call(self, method: str, slot: int, args: tuple, turn: int | None = None) -> Any:
        """Run slot method ``method`` under the slot's lock; with ``turn``, first wait until the
        slot's earlier ordered calls have run (turns count from 0 per slot)."""
        def fn() -> Any:
            if method not in self._SLOT_CALLS:
                raise ValueError(f"{method!r} is not a slot call; one of {sorted(self._SLOT_CALLS)}")
            return getattr(self, self._SLOT_CALLS[method])(slot, *args)
        self._slot(slot)
        if turn is None:
            async with self._slot_locks[slot]:
                return await fn()
        async with self._turn_changed:
            await self._turn_changed.wait_for(lambda: self._turn[slot] >= turn)
        try:
            if self._turn[slot] != turn:
                raise ValueError(f"turn {turn} of slot {slot} was already taken (next is {self._turn[slot]})")
            async with self._slot_locks[slot]:
                return await fn()
        finally:
            if self._turn[slot] == turn:
                self._turn[slot] = turn + 1
                async with self._turn_changed:
                    self._turn_changed.notify_all()

    # ---- the public, blocking interface -------------------------------------------------
    def reset(self, slot: int, tuple_dir: str) -> WireObservation:
        return self._wait(self._slot_call("reset", slot, (tuple_dir,)))

    def step(self, slot: int, actions: list[Action], geometry: Geometry | None = None
             ) -> tuple[WireObservation, list[ActionResult]]:
        return self._wait(self._slot_call("step", slot, (actions, geometry)))

    def score(self, slot: int) -> ScoreResult:
        return self._wait(self._slot_call("score", slot, ()))

    def release(self, slot: int) -> None:
        """Close the slot's browser context (its episode is over)."""
        return self._wait(self._slot_call("release", slot, ()))

    def ordered(self, turn: int, method: str, slot: int, *args: Any) -> Any:
        """Slot call ``method(slot, *args)`` as the slot's ``turn``-th ordered call (from 0): it runs
        after turns 0..turn-1 of that slot have run, however the calls arrive."""
        return self._wait(self._slot_call(method, slot, args, turn))

    def submit(self, method: str, slot: int, *args: Any) -> cf.Future:
        """Slot call ``method(slot, *args)`` without waiting: the Future of its result."""
        return self._submit(self._slot_call(method, slot, args))

    def submit_ordered(self, turn: int, method: str, slot: int, *args: Any) -> cf.Future:
        """:meth:`ordered` without waiting: the Future of its result."""
        return self._submit(self._slot_call(method, slot, args, turn))

    # ---- health and faults ----------------------------------------------------------
    def browser_processes(self) -> list[psutil.Process]:
        """This worker's Chromium: the browser process and everything below it."""
        bp = self.browser_process
        if bp is None or not _alive(bp):
            return []
        return [bp] + chromium_processes(bp.pid)

    def ping(self) -> dict[str, Any]:
        alive = self.browser_alive()
        procs = self.browser_processes()
        mem = 0
        for p in procs:
            try:
                mem += p.memory_info().rss
            except psutil.Error:
                pass
        return {"pid": os.getpid(), "host": socket.gethostname(), "slots": self.num_slots,
                "browser_alive": alive, "launches": self.launches,
                "browser_pid": self.browser_process.pid if self.browser_process else None,
                "chromium_pids": [p.pid for p in procs], "chromium_rss": mem, "time": time.time(),
                "setup_cache": None if self.setup_cache is None else {
                    "dir": str(self.setup_cache.dir), "hits": self.setup_cache.hits,
                    "misses": self.setup_cache.misses},
                "sandbox": self.sandbox.stats()}

    def chromium_memory(self) -> dict[str, int]:
        """Summed RSS and PSS (shared pages split between processes) of this worker's Chromium."""
        rss = pss = 0
        procs = self.browser_processes()
        for p in procs:
            try:
                info = p.memory_full_info()
                rss, pss = rss + info.rss, pss + getattr(info, "pss", info.rss)
            except psutil.Error:
                pass
        return {"rss": rss, "pss": pss, "processes": len(procs)}

    def kill_browser(self) -> int:
        """Kill this worker's Chromium with SIGKILL (for fault tests); returns the killed pid."""
        if self.browser_process is None:
            raise RuntimeError("the browser process of this worker is unknown")
        pid = self.browser_process.pid
        os.kill(pid, signal.SIGKILL)
        return pid

    async def _close(self) -> None:
        for s in self.slots:
            try:
                await asyncio.wait_for(s.close_context(), 10)
            except BaseException:
                pass
        await close_browser_async(self.browser, self._pw)

    def close(self) -> None:
        if self._closed:
            return
        procs = self.browser_processes()
        try:
            if self._loop.is_running() and threading.current_thread() is not self._thread:
                self._submit(self._close()).result(timeout=60)
        except BaseException:
            pass
        finally:
            self._closed = True
            _kill_all(procs)
            self.browser = self._pw = self.browser_process = None
            self.slots = []
            self._stop_loop()
            self.sandbox.close()


class _ActorWorker:
    """An :class:`EnvWorker` as a Ray actor. Ray makes a class with coroutine methods an asyncio
    actor, whose plain methods would all run on its one event-loop thread, one at a time; this
    class has only the worker's blocking public methods, so Ray runs it as a threaded actor."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.worker = EnvWorker(*args, **kwargs)


def _delegate(name: str) -> Any:
    def method(self: _ActorWorker, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.worker, name)(*args, **kwargs)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = getattr(EnvWorker, name).__doc__
    return method


for _name in ("reset", "step", "score", "release", "ordered", "ping", "browser_alive", "chromium_memory",
              "kill_browser", "close"):
    setattr(_ActorWorker, _name, _delegate(_name))


def remote_worker_class(num_cpus: float = 1.0, resource: str = "", max_concurrency: int = 64) -> Any:
    """An :class:`EnvWorker` as a Ray actor class, with the CPUs (and optional custom resource)
    each worker reserves, and the same methods (``reset``, ``step``, ``score``, ``release``,
    ``ordered``, ``ping``, ``browser_alive``, ``chromium_memory``, ``kill_browser``, ``close``).

    A threaded actor: up to ``max_concurrency`` calls run at once (each waits on the worker's
    event loop, which overlaps them), so give it more than the worker's slots (a slot may have
    several calls queued, and pings arrive beside them). Ray runs concurrent actor calls in no
    set order: callers that queue several calls for one slot use :meth:`EnvWorker.ordered`.
    No automatic restarts: a dead worker is replaced by the pool, which knows which episodes
    it held.
    """
    import ray

    opts: dict[str, Any] = {"num_cpus": num_cpus, "max_restarts": 0, "max_task_retries": 0,
                            "max_concurrency": int(max_concurrency)}
    if resource:
        opts["resources"] = {resource: 1}
    return ray.remote(**opts)(_ActorWorker)


def tuple_dir_of(path: str | Path) -> str:
    """Absolute tuple path, as workers (maybe on other nodes with the same checkout) load it."""
    return str(Path(path).resolve())
