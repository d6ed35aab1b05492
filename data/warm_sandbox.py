"""A warm sandbox: one pre-started, sandboxed interpreter (a "zygote") that forks each tuple
script's process instead of starting bubblewrap and Python for it.

The zygote is ``data/sandbox_runner.py --zygote`` inside a bubblewrap sandbox built like the cold
one (:func:`cuagym.data.sandbox.run_cold`: read-only system and Python environment, browser
shims, no network), with ``requests`` already imported and the hub relay sockets of one set of
hub addresses mounted. Per script, the host writes the job's private working directory (the one
script) and private /tmp (seeded with ``/tmp/task_web_sid``), hands the zygote the job and the
write ends of the job's stdout/stderr pipes, and the zygote forks a process that applies the same
isolation and limits as the cold path before running anything (see the runner's docstring): new
mount, PID, network, IPC and UTS namespaces; only its own directory and /tmp mounted (every other
job's files unmounted); a loopback of its own whose hub ports are relayed as in the cold path;
the job's own uid, without capabilities or new privileges; the address-space, process, file-size
and CPU rlimits; a wall-clock limit that kills the job's PID namespace. Every script is a fresh
fork of the same clean zygote, so nothing one script changes (files, /tmp, environment, modules)
reaches the next, and concurrent scripts share nothing but the hub.

The result is the same :class:`~cuagym.data.sandbox.ScriptResult` the cold path gives. The zygote
is replaced after a script that broke a limit or died by a signal, when its hub addresses or
admin token change, and when it dies; when it cannot start, scripts take the cold path and
:attr:`WarmSandbox.cold_reason` says why. ``CUAGYM_WARM_SANDBOX=0`` sends every script to the cold
path. It needs root (as the cold path does to give each script a uid of its own).

    warm = WarmSandbox()
    res = run_script(path, access, expect_reward=True, warm=warm)   # or: with using(warm): ...
    warm.close()
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path

from cuagym.data.sandbox import (BASE_ENV, RUNNER, Limits, HubAccess, Outcome, ScriptResult, _bwrap_system,
                                 _classify, _hub_targets, _job_files, _next_uid, _read_back, _Relay, _write_shims,
                                 OUTPUT_CAP, run_cold, sandbox_available)

ENV = "CUAGYM_WARM_SANDBOX"
START_TIMEOUT_S = 60.0
GRACE_S = 10.0  # past a job's wall clock, how long the host waits for the zygote's report
SETUP_FAILED = "sandbox setup failed"


def warm_enabled() -> bool:
    """False when $CUAGYM_WARM_SANDBOX turns the warm path off (``0``, ``off``, ``false``, ``no``)."""
    return os.environ.get(ENV, "1").strip().lower() not in ("0", "off", "false", "no")


_LIVE: "weakref.WeakSet[_Zygote]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    """At exit, end this process's zygotes and remove their directories (they would end anyway
    when the control socket closes, but leave their directories behind)."""
    for z in list(_LIVE):
        z.close()


class _NotTaken(Exception):
    """The zygote never received the job (it had died): the job can go to another zygote."""


class _Job:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.code: int | None = None
        self.timed_out = False
        self.error = ""


class _Zygote:
    """One zygote process, its relay sockets and its jobs."""

    def __init__(self, targets: list[tuple[str, int, bool]], admin_token: str) -> None:
        self.key = (tuple(targets), admin_token)
        self.root = Path(tempfile.mkdtemp(prefix="cuagym-zyg-"))
        self.jobs_dir = self.root / "jobs"
        self.jobs: dict[str, _Job] = {}
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.dead = ""  # why it cannot take jobs any more
        self.retired = False
        self.active = 0
        self.pid: int | None = None  # inside its sandbox
        self.serial = 0
        relay_dir, tmp, shims = self.root / "relay", self.root / "tmp", self.root / "bin"
        for d in (relay_dir, tmp, self.jobs_dir):
            d.mkdir()
            os.chmod(d, 0o755)
        os.chmod(self.jobs_dir, 0o700)
        _write_shims(shims)
        self.relay = _Relay(relay_dir, targets, 0, admin_token)
        relays = [f"{port}:/cua/relay/{Path(path).name}" for port, path, _ in self.relay.sockets]
        self.relays = relays
        self.ctrl, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # No --die-with-parent (it fires when the starting thread ends): the zygote exits when the
        # control socket closes, i.e. with this process.
        cmd = _bwrap_system(tmp, shims, die_with_parent=False)
        cmd += ["--ro-bind", str(RUNNER), "/cua/runner.py", "--ro-bind", str(relay_dir), "/cua/relay",
                "--bind", str(self.jobs_dir), "/cua/jobs", "--dir", "/sandbox", "--chdir", "/", "--clearenv"]
        for k, v in BASE_ENV.items():
            cmd += ["--setenv", k, v]
        cmd += [sys.executable, "-I", "/cua/runner.py", "--zygote", str(theirs.fileno())]
        self.log = open(self.root / "zygote.log", "wb")
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log,
                                         pass_fds=(theirs.fileno(),), start_new_session=True)
        finally:
            theirs.close()
        threading.Thread(target=self._listen, daemon=True).start()
        _LIVE.add(self)

    def _listen(self) -> None:
        while True:
            try:
                msg = self.ctrl.recv(1 << 16)
            except OSError:
                msg = b""
            if not msg:
                break
            try:
                m = json.loads(msg)
            except ValueError:
                continue
            if "ready" in m:
                self.pid = m["ready"]
                self.ready.set()
                continue
            with self.lock:
                job = self.jobs.get(m.get("job", ""))
            if job is None:
                continue
            if "error" in m:
                job.error = str(m["error"])
                job.done.set()
            elif "code" in m:
                job.code, job.timed_out = int(m["code"]), bool(m.get("timed_out"))
                job.done.set()
        self.dead = self.dead or "the zygote exited: " + self._log_tail()
        self.ready.set()
        with self.lock:
            for job in self.jobs.values():
                job.error = job.error or self.dead
                job.done.set()

    def _log_tail(self) -> str:
        try:
            text = (self.root / "zygote.log").read_text(errors="replace").strip()
        except OSError:
            return "no log"
        return text.splitlines()[-1][:300] if text else f"exit code {self.proc.poll()}"

    def wait_ready(self, timeout: float) -> str:
        """'' when the zygote takes jobs, else why not."""
        if not self.ready.wait(timeout):
            self.dead = f"the zygote did not start in {timeout:g} s"
        return self.dead

    def run(self, script: Path, access: HubAccess, expect_reward: bool, limits: Limits) -> ScriptResult:
        uid = _next_uid()
        name = secrets.token_hex(8)
        jdir = self.jobs_dir / name
        jdir.mkdir()
        os.chmod(jdir, 0o755)
        work, tmp = jdir / "work", jdir / "tmp"
        pipes: list[int] = []
        try:
            as_root = _job_files(script, work, tmp, access.sid, uid)
            if not as_root:
                return ScriptResult(Outcome.SANDBOX_ERROR, "the warm sandbox needs root")
            mem = limits.memory_mb << 20
            spec = {"id": name, "dir": name, "uid": uid, "script": f"/sandbox/{script.name}", "relays": self.relays,
                    "env": {**BASE_ENV, **access.env()}, "timeout_s": limits.timeout_s,
                    "limits": {"as": mem, "nproc": limits.max_procs, "fsize": limits.max_file_mb << 20,
                               "cpu": int(limits.timeout_s) + 5}}
            out_r, out_w = os.pipe()
            err_r, err_w = os.pipe()
            pipes = [out_r, err_r]
            job = _Job()
            with self.lock:
                self.jobs[name] = job
            out: list[bytes] = []
            err: list[bytes] = []
            t0 = time.monotonic()
            try:
                if self.dead or self.proc.poll() is not None:
                    raise _NotTaken(self.dead or "the zygote exited")
                socket.send_fds(self.ctrl, [json.dumps(spec).encode()], [out_w, err_w])
            except OSError as e:
                raise _NotTaken(f"the zygote does not take jobs: {e}") from None
            finally:
                os.close(out_w)
                os.close(err_w)
            # The job's output ends (EOF) when its processes are gone: read it here, no reader threads.
            deadline = t0 + limits.timeout_s + GRACE_S
            if not _collect({out_r: out, err_r: err}, deadline) or not job.done.wait(max(0.0, deadline - time.monotonic())):
                if not job.done.is_set():
                    job.error = f"no report from the zygote within {limits.timeout_s + GRACE_S:g} s"
                    self.kill()  # the job dies with it
                    _collect({out_r: out, err_r: err}, time.monotonic() + 5)
            seconds = time.monotonic() - t0
            if job.error:
                self.retired = True
                timed_out = seconds >= limits.timeout_s
                if timed_out:
                    return _read_back(_classify(None, out, err, True, seconds, expect_reward, limits), tmp)
                return ScriptResult(Outcome.SANDBOX_ERROR, f"the warm sandbox failed: {job.error}", seconds=seconds)
            res = _classify(job.code, out, err, job.timed_out, seconds, expect_reward, limits)
            if res.outcome is Outcome.CRASHED and SETUP_FAILED in _last(res.stderr):
                self.retired = True
                return ScriptResult(Outcome.SANDBOX_ERROR, f"the warm sandbox failed: {_last(res.stderr)}",
                                    seconds=seconds)
            if job.timed_out or res.outcome is Outcome.MEMORY or (job.code or 0) > 128:
                self.retired = True  # a script that broke a limit or was killed: the next gets a fresh zygote
            return _read_back(res, tmp)
        finally:
            for fd in pipes:
                os.close(fd)
            with self.lock:
                self.jobs.pop(name, None)
            shutil.rmtree(jdir, ignore_errors=True)

    def kill(self) -> None:
        self.dead = self.dead or "closed"
        try:
            os.killpg(self.proc.pid, 9)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self) -> None:
        _LIVE.discard(self)
        try:
            self.ctrl.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.kill()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self.ctrl.close()
        self.relay.close()
        self.log.close()
        shutil.rmtree(self.root, ignore_errors=True)


def _collect(sinks: dict[int, list[bytes]], deadline: float) -> bool:
    """Read the pipes until each ends, keeping each one's head and tail (like the cold path's
    readers); False when the deadline came first (what was read is kept either way)."""
    bufs = {fd: [bytearray(), bytearray(), 0] for fd in sinks}
    open_fds = set(sinks)
    with selectors.DefaultSelector() as sel:
        for fd in open_fds:
            sel.register(fd, selectors.EVENT_READ)
        while open_fds:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in sel.select(left):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fd)
                    open_fds.discard(key.fd)
                    continue
                head, tail, _ = bufs[key.fd]
                bufs[key.fd][2] += len(chunk)
                room = OUTPUT_CAP - len(head)  # the first OUTPUT_CAP bytes, then a rolling tail
                head += chunk[:room]
                tail += chunk[room:] if room > 0 else chunk
                if len(tail) > OUTPUT_CAP:
                    del tail[: len(tail) - OUTPUT_CAP]
    for fd, (head, tail, total) in bufs.items():
        cut = total - len(head) - len(tail)
        sinks[fd][:] = [bytes(head) + (f"\n[... {cut} bytes cut ...]\n".encode() if cut > 0 else b"") + bytes(tail)]
    return not open_fds


def _last(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


class WarmSandbox:
    """The warm sandbox of one process (e.g. one env worker); safe to use from several threads."""

    def __init__(self, *, start_timeout_s: float = START_TIMEOUT_S) -> None:
        self.start_timeout_s = start_timeout_s
        self._lock = threading.Lock()
        self._zygote: _Zygote | None = None
        self._closed = False
        self.starts = 0           # zygotes started
        self.warm_runs = 0        # scripts run in a zygote
        self.cold_runs = 0        # scripts sent to the cold path
        self.cold_reason = ""     # why the last script took the cold path ('' when none did)

    def _take(self, targets: list[tuple[str, int, bool]], token: str) -> _Zygote | None:
        with self._lock:
            if self._closed:
                return None
            z = self._zygote
            if z is not None and (z.retired or z.dead or z.key != (tuple(targets), token)):
                self._zygote = None
                self._release(z)
                z = None
            if z is None:
                z = self._zygote = _Zygote(targets, token)
                self.starts += 1
                z.serial = self.starts
            z.active += 1
            return z

    def _release(self, z: _Zygote) -> None:
        """Close a zygote no longer current once its last job is done (call with the lock held)."""
        if z is not self._zygote and z.active == 0:
            threading.Thread(target=z.close, daemon=True).start()

    def prestart(self, urls: dict[str, str], admin_token: str = "") -> None:
        """Start the zygote for these hub addresses now, without waiting for it (scripts whose
        apps are on the same addresses then find it warm). Never raises: a zygote that cannot
        start is found out, and reported, by the first script."""
        if not warm_enabled() or os.geteuid() != 0 or sandbox_available():
            return
        try:
            z = self._take(_hub_targets(urls), admin_token)
        except (ValueError, OSError):
            return
        if z is not None:
            with self._lock:
                z.active -= 1

    def run(self, script: Path, access: HubAccess, targets: list[tuple[str, int, bool]], *, expect_reward: bool,
            limits: Limits) -> ScriptResult:
        """One script (already checked by :func:`cuagym.data.sandbox.run_script`) in the zygote."""
        why = "" if warm_enabled() else f"${ENV} is off"
        if not why and os.geteuid() != 0:
            why = "the warm sandbox needs root"
        for _ in range(2):  # a zygote found dead before it took the job is replaced once
            z = None if why else self._take(targets, access.admin_token)
            if z is None:
                why = why or "the warm sandbox is closed"
                break
            try:
                why = z.wait_ready(self.start_timeout_s)
                if not why:
                    try:
                        res = z.run(script, access, expect_reward, limits)
                    except OSError as e:  # the job's files could not be written: as the cold path reports it
                        res = ScriptResult(Outcome.SANDBOX_ERROR, f"could not start the sandbox: {e}")
                    with self._lock:
                        self.warm_runs += 1
                    return res
                z.retired = True
                break
            except _NotTaken as e:
                z.retired = True
                why = f"the warm sandbox failed: {e}"
            finally:
                with self._lock:
                    z.active -= 1
                    if z.retired and self._zygote is z:
                        self._zygote = None
                    self._release(z)
            why, failed = "", why
        else:  # never taken by a zygote: the cold path runs it
            why = failed
        with self._lock:
            self.cold_runs += 1
            self.cold_reason = why
        return run_cold(script, access, targets, expect_reward=expect_reward, limits=limits)

    @property
    def zygote_serial(self) -> int:
        """Which zygote is current (1 for the first started, 0 for none): tells zygotes apart."""
        z = self._zygote
        return 0 if z is None else z.serial

    def stats(self) -> dict:
        return {"starts": self.starts, "warm_runs": self.warm_runs, "cold_runs": self.cold_runs,
                "cold_reason": self.cold_reason}

    def close(self) -> None:
        with self._lock:
            self._closed = True
            z, self._zygote = self._zygote, None
        if z is not None:
            z.close()

    def __enter__(self) -> "WarmSandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
