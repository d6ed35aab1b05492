"""A browser worker: one Playwright Chromium and N episode slots (browser contexts).

:class:`EnvWorker` is a plain class, usable in-process; :func:`remote_worker_class` wraps it
as a Ray actor so a pool can place workers on any node. Calls address a slot by index:
``reset(slot, tuple_dir)``, ``step(slot, actions, geometry)``, ``score(slot)``. Screenshots
leave the worker as PNG bytes (:class:`WireObservation`), which are small to ship; the caller
decodes them, once, when it first looks at the pixels.

If Chromium dies, the worker notices on the next call, launches a new one, and every episode
that was running in the old browser fails with :class:`EnvironmentFailure` (once, on its next
call); the slots are then ready for new episodes.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from cuagym.actions import Action, ActionResult, Geometry
from cuagym.browser import launch_kwargs
from cuagym.data.format import TupleError, load_tuple
from cuagym.data.sandbox import Limits
from cuagym.rollout.setup_cache import SetupCache
from cuagym.rollout.slot import EnvironmentFailure, EpisodeSlot, Observation


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


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


class EnvWorker:
    """One Chromium, ``num_slots`` isolated episode slots."""

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
        self.launches = 0
        self._pw: Any = None
        self.browser: Any = None
        self.browser_process: psutil.Process | None = None
        self.slots: list[EpisodeSlot] = []
        # Slots whose episode died with a browser: their next step/score raises once.
        self._lost: dict[int, str] = {}
        self._launch()

    # ---- browser lifecycle ----------------------------------------------------------
    def _launch(self) -> None:
        from playwright.sync_api import sync_playwright

        if self._pw is None:
            self._pw = sync_playwright().start()
        # A switch Chromium ignores marks this worker's browser among others in the same process
        # tree (local workers share one process).
        mark = f"--cuagym-worker={secrets.token_hex(8)}"
        kw = launch_kwargs()
        kw["args"] = [*kw["args"], mark]
        self.browser = self._pw.chromium.launch(**kw)
        self.browser_process = next((p for p in chromium_processes(os.getpid()) if _has_arg(p, mark)), None)
        self.launches += 1
        self.slots = [EpisodeSlot(self.browser, self.hub_urls, self.admin_token, viewport=self.viewport,
                                  limits=self.limits, settle_timeout_s=self.settle_timeout_s,
                                  setup_cache=self.setup_cache, reuse_contexts=self.reuse_contexts)
                      for _ in range(self.num_slots)]

    def browser_alive(self) -> bool:
        # The process check sees a killed browser at once; Playwright's flag only updates when
        # its event loop next runs.
        if self.browser is None or not self.browser.is_connected():
            return False
        return self.browser_process is None or _alive(self.browser_process)

    def _relaunch(self, why: str) -> None:
        for i, s in enumerate(self.slots):
            if s.tuple is not None:
                self._lost[i] = f"browser died ({why}); the episode on slot {i} was lost"
        procs = self.browser_processes()
        try:
            self.browser.close()
        except Exception:
            pass  # already gone
        _kill_all(procs)
        self._launch()

    def _ensure_browser(self) -> None:
        if not self.browser_alive():
            self._relaunch("found dead on the next call")

    def _slot(self, i: int) -> EpisodeSlot:
        if not isinstance(i, int) or not 0 <= i < self.num_slots:
            raise ValueError(f"slot must be an int in 0..{self.num_slots - 1}, got {i!r}")
        return self.slots[i]

    def _guarded(self, i: int, fn: Any) -> Any:
        """Run one slot call; a browser that died under it is relaunched and the episode fails."""
        self._ensure_browser()
        if i in self._lost:
            raise EnvironmentFailure(self._lost.pop(i))
        try:
            return fn(self._slot(i))
        except EnvironmentFailure:
            if not self.browser_alive():
                self._relaunch("died during the call")
                self._lost.pop(i, None)  # this episode fails right here, not again later
            raise

    # ---- slot calls -----------------------------------------------------------------
    def reset(self, slot: int, tuple_dir: str) -> WireObservation:
        try:
            t = load_tuple(tuple_dir)
        except TupleError as e:
            raise EnvironmentFailure(f"tuple {tuple_dir} cannot be loaded on {socket.gethostname()}: {e}") from e
        self._slot(slot)
        self._ensure_browser()
        self._lost.pop(slot, None)  # a new episode starts: whatever was lost is already reported
        return self._guarded(slot, lambda s: WireObservation.of(s.reset(t)))

    def step(self, slot: int, actions: list[Action], geometry: Geometry | None = None
             ) -> tuple[WireObservation, list[ActionResult]]:
        def run(s: EpisodeSlot) -> tuple[WireObservation, list[ActionResult]]:
            obs, results = s.step(actions, geometry)
            return WireObservation.of(obs), results
        return self._guarded(slot, run)

    def score(self, slot: int) -> ScoreResult:
        def run(s: EpisodeSlot) -> ScoreResult:
            if s.page is None:
                raise EnvironmentFailure("score() before reset()")
            res = s.score()
            return ScoreResult(float(res.reward), res.stdout, res.seconds)
        return self._guarded(slot, run)

    def release(self, slot: int) -> None:
        """Close the slot's browser context (its episode is over)."""
        s = self._slot(slot)
        self._lost.pop(slot, None)
        s.close_context()
        s.tuple = None

    # ---- health and faults ----------------------------------------------------------
    def browser_processes(self) -> list[psutil.Process]:
        """This worker's Chromium: the browser process and everything below it."""
        if self.browser_process is None or not _alive(self.browser_process):
            return []
        return [self.browser_process] + chromium_processes(self.browser_process.pid)

    def ping(self) -> dict[str, Any]:
        procs = self.browser_processes()
        mem = 0
        for p in procs:
            try:
                mem += p.memory_info().rss
            except psutil.Error:
                pass
        return {"pid": os.getpid(), "host": socket.gethostname(), "slots": self.num_slots,
                "browser_alive": self.browser_alive(), "launches": self.launches,
                "browser_pid": self.browser_process.pid if self.browser_process else None,
                "chromium_pids": [p.pid for p in procs], "chromium_rss": mem, "time": time.time(),
                "setup_cache": None if self.setup_cache is None else {
                    "dir": str(self.setup_cache.dir), "hits": self.setup_cache.hits,
                    "misses": self.setup_cache.misses}}

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

    def close(self) -> None:
        procs = self.browser_processes()
        for s in self.slots:
            s.close_context()
        close_browser(self.browser, self._pw)
        _kill_all(procs)
        self.browser = self._pw = self.browser_process = None
        self.slots = []


def remote_worker_class(num_cpus: float = 1.0, resource: str = "") -> Any:
    """``ray.remote(EnvWorker)`` with the CPUs (and optional custom resource) each worker reserves.

    No automatic restarts: a dead worker is replaced by the pool, which knows which episodes
    it held.
    """
    import ray

    opts: dict[str, Any] = {"num_cpus": num_cpus, "max_restarts": 0, "max_task_retries": 0}
    if resource:
        opts["resources"] = {resource: 1}
    return ray.remote(**opts)(EnvWorker)


def tuple_dir_of(path: str | Path) -> str:
    """Absolute tuple path, as workers (maybe on other nodes with the same checkout) load it."""
    return str(Path(path).resolve())
