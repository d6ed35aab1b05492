"""A pool of browser workers: W workers x S slots, leased to episodes, with broken workers replaced.

    pool = EnvPool(hub.urls, hub.admin_token, workers=2, slots_per_worker=4)   # Ray actors
    env = pool.acquire()             # a RemoteEnv: reset / step / score, or submit_* for futures
    ...
    pool.release(env); pool.close()

Workers are Ray actors (``mode="ray"``, placed by Ray resources, so the same code spans
nodes) or live in this process (``mode="local"``, for a single-process user). Either way a
worker drives all its slots from one event loop, so calls for different slots of one worker
run concurrently; the calls of one slot run in the order they were submitted.

A worker that died (its actor is gone) or hung (a call outlived ``call_timeout_s``) is
killed and replaced by a fresh one. Every episode it held fails with
:class:`EnvironmentFailure` on its current or next call, exactly once; the caller decides
whether to start it again. Slots are leased under the worker's generation, so an episode
of a replaced worker can never talk to the new worker's slot by mistake.
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time
from collections import deque
from typing import Any, Callable

from cuagym.actions import Action, ActionResult, Geometry
from cuagym.data.format import TaskTuple
from cuagym.data.sandbox import Limits
from cuagym.rollout.slot import EnvironmentFailure, Observation
from cuagym.rollout.worker import EnvWorker, ScoreResult, WireObservation, remote_worker_class, tuple_dir_of

MODES = ("ray", "local")


# ---- worker handles: one per live worker --------------------------------------------------
class _RayHandle:
    def __init__(self, actor_cls: Any, args: tuple, kwargs: dict) -> None:
        self.actor = actor_cls.remote(*args, **kwargs)
        self._turns: dict[int, int] = {}  # slot -> the number of slot calls sent to it so far

    def call(self, method: str, *args: Any) -> Any:
        return getattr(self.actor, method).remote(*args)

    def call_slot(self, method: str, slot: int, *args: Any) -> Any:
        """A slot call, numbered: the actor runs a slot's calls in the order they were sent here."""
        turn = self._turns.get(slot, 0)
        self._turns[slot] = turn + 1
        return self.actor.ordered.remote(turn, method, slot, *args)

    def wait(self, ref: Any, timeout: float) -> Any:
        import ray

        return ray.get(ref, timeout=timeout)

    def kill(self) -> None:
        import ray

        try:
            ray.kill(self.actor, no_restart=True)
        except Exception:
            pass  # already gone

    def close(self, timeout: float) -> None:
        try:
            self.wait(self.call("close"), timeout)
        except Exception:
            pass
        self.kill()


class _LocalHandle:
    """A worker in this process: its event loop runs in a thread of its own, and calls for
    different slots run there concurrently (each slot's calls in the order they were made)."""

    def __init__(self, args: tuple, kwargs: dict) -> None:
        self.worker: EnvWorker | None = None
        self._turns: dict[int, int] = {}
        self._started: cf.Future = cf.Future()
        self._killed = False
        threading.Thread(target=self._start, args=(args, kwargs), name="env-worker-start", daemon=True).start()

    def _start(self, args: tuple, kwargs: dict) -> None:
        try:
            self.worker = EnvWorker(*args, **kwargs)
        except BaseException as e:
            self._started.set_exception(e)
            return
        if self._killed:  # replaced while it started
            self.worker.close()
        self._started.set_result(None)

    def _after_start(self, submit: Callable[[EnvWorker], cf.Future]) -> cf.Future:
        """``submit(worker)`` once the worker has started; callbacks of the start run in the order
        they were added, so calls keep their order."""
        out: cf.Future = cf.Future()

        def chain(fut: cf.Future) -> None:
            if not out.set_running_or_notify_cancel():
                return
            try:
                fut.result()
                inner = submit(self.worker)
            except BaseException as e:
                out.set_exception(e)
                return

            def copy(f: cf.Future) -> None:
                try:
                    out.set_result(f.result())
                except BaseException as e:
                    out.set_exception(e)
            inner.add_done_callback(copy)
        self._started.add_done_callback(chain)
        return out

    def call(self, method: str, *args: Any) -> cf.Future:
        """A worker-level call (``ping``, ``close``...): run in a thread of its own, as it blocks."""
        def run(w: EnvWorker) -> cf.Future:
            fut: cf.Future = cf.Future()

            def go() -> None:
                try:
                    fut.set_result(getattr(w, method)(*args))
                except BaseException as e:
                    fut.set_exception(e)
            threading.Thread(target=go, name=f"env-worker-{method}", daemon=True).start()
            return fut
        return self._after_start(run)

    def call_slot(self, method: str, slot: int, *args: Any) -> cf.Future:
        turn = self._turns.get(slot, 0)
        self._turns[slot] = turn + 1
        return self._after_start(lambda w: w.submit_ordered(turn, method, slot, *args))

    def wait(self, fut: cf.Future, timeout: float) -> Any:
        return fut.result(timeout=timeout)

    def kill(self) -> None:
        # A thread cannot be killed: kill the browser, so calls stuck on it return, and close the
        # worker in the background (its loop stops; a call still running on it is abandoned).
        self._killed = True
        w = self.worker
        if w is not None:
            if w.browser_process is not None:
                try:
                    w.kill_browser()
                except Exception:
                    pass
            threading.Thread(target=w.close, name="env-worker-close", daemon=True).start()

    def close(self, timeout: float) -> None:
        try:
            self.wait(self.call("close"), timeout)
        except Exception:
            self.kill()


def _dead_errors() -> tuple[type[BaseException], ...]:
    try:
        from ray.exceptions import ActorUnavailableError, RayActorError, WorkerCrashedError

        return (RayActorError, ActorUnavailableError, WorkerCrashedError)
    except ImportError:  # local mode without Ray installed
        return ()


def _timeout_errors() -> tuple[type[BaseException], ...]:
    errs: tuple[type[BaseException], ...] = (cf.TimeoutError, TimeoutError)
    try:
        from ray.exceptions import GetTimeoutError

        errs += (GetTimeoutError,)
    except ImportError:
        pass
    return errs


# ---- calls in flight ------------------------------------------------------------------------
class Call:
    """An env call in flight on a worker; ``result()`` maps worker death or a hang to EnvironmentFailure."""

    def __init__(self, pool: "EnvPool", worker: int, generation: int, what: str, fut: Any,
                 decode: Callable[[Any], Any]) -> None:
        self.pool, self.worker, self.generation = pool, worker, generation
        self.what, self.fut, self.decode = what, fut, decode

    def result(self) -> Any:
        handle = self.pool._handles[self.worker] if self.pool._gens[self.worker] == self.generation else None
        if handle is None:
            raise EnvironmentFailure(f"worker {self.worker} was replaced while {self.what} was in flight")
        try:
            value = handle.wait(self.fut, self.pool.call_timeout_s)
        except EnvironmentFailure as e:
            # Ray re-raises the worker's exception as a subclass that carries the remote traceback;
            # the episode only needs the worker's own message.
            raise EnvironmentFailure(str(getattr(e, "cause", None) or e)) from None
        except self.pool._dead as e:
            self.pool._replace(self.worker, self.generation, f"died during {self.what}: {type(e).__name__}")
            raise EnvironmentFailure(f"worker {self.worker} died during {self.what} ({type(e).__name__})") from None
        except self.pool._timeouts:
            self.pool.timeouts += 1
            self.pool._replace(self.worker, self.generation, f"hung in {self.what}")
            raise EnvironmentFailure(f"worker {self.worker} hung: {self.what} took over "
                                     f"{self.pool.call_timeout_s:g} s; the worker was replaced") from None
        return self.decode(value)


class _Failed:
    def __init__(self, message: str) -> None:
        self.message = message

    def result(self) -> Any:
        raise EnvironmentFailure(self.message)


class RemoteEnv:
    """One leased slot, with the agent loop's Env interface (and ``submit_*`` futures)."""

    def __init__(self, pool: "EnvPool", worker: int, slot: int, generation: int) -> None:
        self.pool, self.worker, self.slot, self.generation = pool, worker, slot, generation

    def __repr__(self) -> str:
        return f"RemoteEnv(worker={self.worker}, slot={self.slot}, generation={self.generation})"

    def _submit(self, what: str, method: str, args: tuple, decode: Callable[[Any], Any]) -> Any:
        if self.pool._gens[self.worker] != self.generation:
            return _Failed(f"worker {self.worker} was replaced; the episode on slot {self.slot} was lost")
        fut = self.pool._handles[self.worker].call_slot(method, self.slot, *args)
        return Call(self.pool, self.worker, self.generation, what, fut, decode)

    def submit_reset(self, t: TaskTuple) -> Any:
        return self._submit(f"reset({t.id})", "reset", (tuple_dir_of(t.path),), WireObservation.decode)

    def submit_step(self, actions: list[Action], geometry: Geometry | None = None) -> Any:
        def decode(v: tuple[WireObservation, list[ActionResult]]) -> tuple[Observation, list[ActionResult]]:
            return v[0].decode(), v[1]
        return self._submit("step", "step", (list(actions), geometry), decode)

    def submit_score(self) -> Any:
        return self._submit("score", "score", (), lambda v: v)

    def reset(self, t: TaskTuple) -> Observation:
        return self.submit_reset(t).result()

    def step(self, actions: list[Action], geometry: Geometry | None = None) -> tuple[Observation, list[ActionResult]]:
        return self.submit_step(actions, geometry).result()

    def score(self) -> ScoreResult:
        return self.submit_score().result()


# ---- the pool -------------------------------------------------------------------------------
class EnvPool:
    def __init__(self, hub_urls: dict[str, str], admin_token: str, *, workers: int = 1, slots_per_worker: int = 1,
                 mode: str = "ray", cpus_per_worker: float = 1.0, resource: str = "", call_timeout_s: float = 180.0,
                 start_timeout_s: float = 120.0, failure_retries: int = 1, viewport: tuple[int, int] = (1280, 800),
                 limits: Limits = Limits(), settle_timeout_s: float = 10.0, setup_cache: str | None = None,
                 reuse_contexts: bool = True, worker_options: Callable[[int], dict[str, Any]] | None = None) -> None:
        """``worker_options(w)``: extra Ray actor options for worker ``w`` (e.g. the placement-group
        bundle the plan gives it; ray mode only). ``setup_cache``, ``reuse_contexts``: see :class:`EnvWorker`."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if workers < 1 or slots_per_worker < 1:
            raise ValueError(f"workers and slots_per_worker must be >= 1, got {workers} and {slots_per_worker}")
        if call_timeout_s <= 0:
            raise ValueError(f"call_timeout_s must be > 0, got {call_timeout_s}")
        if mode == "ray":
            import ray

            if not ray.is_initialized():
                raise RuntimeError("EnvPool(mode='ray') needs a Ray session: call ray.init(...) first "
                                   "(or use mode='local' for a single process without Ray)")
        self.mode, self.num_workers, self.slots_per_worker = mode, workers, slots_per_worker
        self.call_timeout_s, self.start_timeout_s = call_timeout_s, start_timeout_s
        self.failure_retries = failure_retries
        self._worker_args = (dict(hub_urls), admin_token, slots_per_worker)
        self._worker_kwargs = {"viewport": tuple(viewport), "limits": limits, "settle_timeout_s": settle_timeout_s,
                              "setup_cache": setup_cache, "reuse_contexts": reuse_contexts}
        self._actor_cls = (remote_worker_class(cpus_per_worker, resource, max_concurrency=4 * slots_per_worker + 8)
                           if mode == "ray" else None)
        self._worker_options = worker_options
        self._dead = _dead_errors()
        self._timeouts = _timeout_errors()
        self.replacements = 0
        self.timeouts = 0
        self.events: list[dict[str, Any]] = []
        self._closed = False
        self._gens = [0] * workers
        self._handles: list[Any] = [self._new_handle(w) for w in range(workers)]
        self._free: deque[tuple[int, int]] = deque((w, s) for s in range(slots_per_worker) for w in range(workers))
        self._leased: dict[tuple[int, int], RemoteEnv] = {}
        try:
            self.ping_all(timeout=start_timeout_s)
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_config(cls, rc: Any, hub_urls: dict[str, str], admin_token: str, **overrides: Any) -> "EnvPool":
        """A pool as a :class:`~cuagym.config.RolloutConfig` describes it."""
        kw: dict[str, Any] = dict(
            workers=rc.env_workers, slots_per_worker=rc.slots_per_worker, mode=rc.env_mode,
            cpus_per_worker=rc.env_cpus_per_worker, resource=rc.env_resource, call_timeout_s=rc.env_call_timeout_s,
            failure_retries=rc.env_failure_retries, viewport=(rc.screen_width, rc.screen_height))
        kw.update(overrides)
        return cls(hub_urls, admin_token, **kw)

    def _new_handle(self, w: int) -> Any:
        if self.mode == "ray":
            cls = self._actor_cls
            if self._worker_options is not None:
                cls = cls.options(**self._worker_options(w))
            return _RayHandle(cls, self._worker_args, self._worker_kwargs)
        return _LocalHandle(self._worker_args, self._worker_kwargs)

    def _replace(self, w: int, generation: int, reason: str) -> None:
        """Kill worker ``w`` and start a new one, once per generation however many episodes notice."""
        if self._gens[w] != generation or self._closed:
            return
        self._handles[w].kill()
        self._gens[w] += 1
        self._handles[w] = self._new_handle(w)
        self.replacements += 1
        self.events.append({"worker": w, "generation": self._gens[w], "reason": reason, "time": time.time()})

    # ---- leases -----------------------------------------------------------------------------
    @property
    def num_slots(self) -> int:
        return self.num_workers * self.slots_per_worker

    @property
    def free_slots(self) -> int:
        return len(self._free)

    def acquire(self, worker: int | None = None) -> RemoteEnv | None:
        """Lease a free slot (on ``worker`` if given, else spread over workers); None if none is free."""
        if self._closed:
            raise RuntimeError("the pool is closed")
        for key in self._free:
            if worker is None or key[0] == worker:
                self._free.remove(key)
                env = RemoteEnv(self, key[0], key[1], self._gens[key[0]])
                self._leased[key] = env
                return env
        return None

    def release(self, env: RemoteEnv) -> None:
        key = (env.worker, env.slot)
        if self._leased.get(key) is not env:
            raise ValueError(f"{env!r} is not leased from this pool (released twice?)")
        del self._leased[key]
        if self._gens[env.worker] == env.generation and not self._closed:
            # Free the context's memory now; a slot's calls run in the order they were sent, so
            # this lands before the next reset on that slot. Its outcome does not matter.
            self._handles[env.worker].call_slot("release", env.slot)
        self._free.append(key)

    # ---- health, faults, shutdown ----------------------------------------------------------
    def call(self, worker: int, method: str, *args: Any, timeout: float | None = None) -> Any:
        """Call a worker-level method (``ping``, ``chromium_memory``, ``kill_browser``) and wait."""
        h = self._handles[worker]
        return h.wait(h.call(method, *args), timeout or self.call_timeout_s)

    def ping_all(self, timeout: float | None = None) -> list[dict[str, Any]]:
        futs = [(h, h.call("ping")) for h in self._handles]
        out = []
        for w, (h, f) in enumerate(futs):
            try:
                out.append(h.wait(f, timeout or self.call_timeout_s))
            except Exception as e:
                raise RuntimeError(f"browser worker {w} did not start: {type(e).__name__}: {e}") from e
        return out

    def actor(self, worker: int) -> Any:
        """The Ray actor of worker ``worker`` (ray mode only), e.g. for ``ray.kill`` in a fault test."""
        if self.mode != "ray":
            raise RuntimeError("actor() exists only in ray mode")
        return self._handles[worker].actor

    def generation(self, worker: int) -> int:
        return self._gens[worker]

    def close(self, timeout: float = 30.0) -> None:
        if self._closed:
            return
        self._closed = True
        for h in self._handles:
            h.close(timeout)

    def __enter__(self) -> "EnvPool":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
