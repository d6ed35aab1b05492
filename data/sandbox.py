"""Run untrusted tuple scripts (setup, golden patch, reward) in a sandbox.

Each run gets:
- a separate process tree in new PID, network, IPC, UTS and mount namespaces (bubblewrap),
  running as an unprivileged uid of its own, so limits on processes are its alone;
- a private working directory holding only the one script (the reward script cannot see
  ``golden_patch.py`` or ``initial_setup.py``: the tuple folder is not mounted at all);
- a read-only view of the system and the Python environment, and a /tmp of its own that
  holds only ``/tmp/task_web_sid`` (the session id, where CUA-Gym's scripts read it);
- no network but the hub addresses it was given (relayed through Unix sockets); requests to a
  hardened hub carry the admin token, added by the relay, so scripts written for CUA-Gym's
  token-less hub work unchanged while the browser still never holds the token;
- browser launch commands (``google-chrome``, ``chromium``, ``xdg-open``, ...) that only record
  the URL and exit 0: the env opens the app itself;
- a wall-clock limit, an address-space limit, a process limit, a file-size limit;
- an environment with only what it needs: the hub URL(s), the session id, the admin token.

A setup script may choose its own session id (CUA-Gym's scripts mint one and write it to
``/tmp/task_web_sid``): the file is read back after the run (:attr:`ScriptResult.sid_file`)
and :meth:`HubAccess.adopt` makes it the episode's session for the scripts and the browser.

Two ways to start a script, with the same isolation, limits and result: the cold path
(:func:`run_cold`, a fresh bubblewrap sandbox and interpreter per script) and the warm path
(:class:`cuagym.data.warm_sandbox.WarmSandbox`: a pre-started sandboxed interpreter forks each
script, which then enters namespaces, mounts, uid and limits of its own). :func:`run_script`
takes the warm one when it is passed ``warm=`` or set for the thread with :func:`using`.

Failures are values, never exceptions: :class:`ScriptResult` carries an
:class:`Outcome` and a message, so a broken reward script is never mistaken for a policy
that scored 0.
"""

from __future__ import annotations

import contextlib
import enum
import itertools
import json
import math
import os
import re
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from cuagym.hub.client import HARDENED, plain_url, split_url

RUNNER = Path(__file__).with_name("sandbox_runner.py")
SID_FILE = "task_web_sid"           # /tmp/task_web_sid inside the sandbox
OPENED_FILE = ".cua_opened_urls"    # what the browser shims were asked to open
BROWSER_COMMANDS = ("google-chrome", "google-chrome-stable", "chrome", "chromium", "chromium-browser",
                    "firefox", "xdg-open", "sensible-browser", "x-www-browser", "open")
SHIM = """#!/bin/sh
# A browser launch inside the tuple sandbox: record what was to be opened, start nothing.
for a in "$@"; do
  case "$a" in -*) ;; *) printf '%s\\n' "$a" >> /tmp/.cua_opened_urls ;; esac
done
exit 0
"""
SID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
REWARD_LINE = re.compile(r"^REWARD:\s*(\S+)\s*$")
OUTPUT_CAP = 64 * 1024
# Each calling process takes uids from a block of its own (by pid), cycling inside it, so
# concurrent drivers or validators on one machine never share a uid (nor its process limit).
UID_BLOCK = 1000
UID_BASE = 200_000 + (os.getpid() % 500) * UID_BLOCK
_UIDS = (UID_BASE + i % UID_BLOCK for i in itertools.count())
_UID_LOCK = threading.Lock()


class Outcome(str, enum.Enum):
    OK = "ok"
    TIMEOUT = "timeout"             # wall-clock limit hit; the process tree was killed
    MEMORY = "memory"               # address-space limit hit (MemoryError or killed)
    CRASHED = "crashed"             # non-zero exit: an exception or sys.exit(n)
    NO_REWARD = "no_reward"         # a reward script whose last line is not "REWARD: x"
    BAD_REWARD = "bad_reward"       # "REWARD: x" with x not a number in [0, 1]
    SANDBOX_ERROR = "sandbox_error"  # the sandbox itself could not run the script


@dataclass
class ScriptResult:
    outcome: Outcome
    message: str = ""
    reward: float | None = None
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    sid_file: str | None = None     # /tmp/task_web_sid after the run (stripped), when readable
    opened: list[str] = field(default_factory=list)  # what the script asked a browser to open

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    def summary(self) -> str:
        r = f" reward={self.reward:g}" if self.reward is not None else ""
        return f"{self.outcome.value}{r}" + (f": {self.message}" if self.message and not self.ok else "")


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 30.0
    memory_mb: int = 1024
    max_procs: int = 64
    max_file_mb: int = 64


@dataclass
class HubAccess:
    """What a script may reach: app name -> base URL, the session id, the admin token."""

    urls: dict[str, str]
    sid: str
    admin_token: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)

    def plain_urls(self) -> dict[str, str]:
        """The URL map as scripts see it (without the ``legacy+`` protocol mark)."""
        return {app: plain_url(url) for app, url in self.urls.items()}

    def env(self) -> dict[str, str]:
        urls = self.plain_urls()
        env = {"CUA_SID": self.sid, "CUA_HUB_URLS": json.dumps(urls)}
        if self.admin_token:
            env["CUA_GYM_ADMIN_TOKEN"] = self.admin_token
        for app, url in urls.items():
            env[f"CUA_HUB_URL_{app.upper()}"] = url
        if len(urls) >= 1:
            env["CUA_HUB_URL"] = next(iter(urls.values()))
            env["CUA_APP"] = next(iter(urls))
        env.update(self.extra_env)
        return env

    def adopt(self, setup: "ScriptResult") -> "HubAccess":
        """The access for the rest of the episode: the session the setup script chose (written to
        ``/tmp/task_web_sid``) when it chose one, else this one. Raises ValueError for a sid
        the hub cannot take."""
        chosen = setup.sid_file
        if not chosen or chosen == self.sid:
            return self
        if not SID_PATTERN.match(chosen):
            raise ValueError(f"the setup script wrote {chosen[:80]!r} to /tmp/task_web_sid; a session id is "
                             "letters, digits, '-' or '_', at most 64 characters")
        return HubAccess(dict(self.urls), chosen, self.admin_token, dict(self.extra_env))


def sandbox_available() -> str | None:
    """None when the sandbox can run here, else the reason it cannot."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
    return None


class _Relay:
    """Host side of the hub relay: a Unix socket per hub address, piped to the real hub.

    For a hardened hub the relay adds the admin token to each request (and asks the hub to
    close the connection after the response, so every request passes the relay's header
    rewrite): scripts written for CUA-Gym's token-less hub then run unchanged.
    """

    def __init__(self, directory: Path, targets: list[tuple[str, int, bool]], uid: int,
                 admin_token: str = "") -> None:
        self.sockets: list[tuple[int, str, socket.socket]] = []
        self._closed = False
        self._token = admin_token
        for i, (host, port, hardened) in enumerate(targets):
            path = directory / f"hub{i}.sock"
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            srv.bind(str(path))
            os.chmod(path, 0o777)
            srv.listen(64)
            self.sockets.append((port, str(path), srv))
            threading.Thread(target=self._accept, args=(srv, host, port, hardened and bool(admin_token)),
                             daemon=True).start()

    def _accept(self, srv: socket.socket, host: str, port: int, add_token: bool) -> None:
        while not self._closed:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn, host, port, add_token), daemon=True).start()

    def _serve(self, conn: socket.socket, host: str, port: int, add_token: bool) -> None:
        head = b""
        if add_token:
            head = _read_head(conn)
            if head is None:
                conn.close()
                return
            head = _with_token(head, self._token)
        try:
            up = socket.create_connection((host, port), timeout=10)
            up.settimeout(None)
            if head:
                up.sendall(head)
        except OSError:
            conn.close()
            return
        for a, b in ((conn, up), (up, conn)):
            threading.Thread(target=_pipe, args=(a, b), daemon=True).start()

    def close(self) -> None:
        self._closed = True
        for _, _, srv in self.sockets:
            try:
                srv.close()
            except OSError:
                pass


MAX_HEAD = 64 * 1024
_DROP_HEADERS = (b"x-cua-admin-token:", b"connection:", b"keep-alive:", b"proxy-connection:")


def _read_head(conn: socket.socket) -> bytes | None:
    """The request line and headers (and whatever of the body came with them); None if the
    client closed, stalled or sent a head over the limit."""
    conn.settimeout(30)
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            chunk = conn.recv(65536)
            if not chunk or len(buf) + len(chunk) > MAX_HEAD:
                return None
            buf += chunk
    except OSError:
        return None
    conn.settimeout(None)
    return buf


def _with_token(buf: bytes, token: str) -> bytes:
    """The request head with the admin token set and ``Connection: close`` (one request per
    connection, so the next request passes through here as well)."""
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    kept = [lines[0]] + [ln for ln in lines[1:] if not ln.lower().startswith(_DROP_HEADERS)]
    kept += [b"X-CUA-Admin-Token: " + token.encode(), b"Connection: close"]
    return b"\r\n".join(kept) + b"\r\n\r\n" + rest


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _hub_targets(urls: dict[str, str]) -> list[tuple[str, int, bool]]:
    """(host, port, hardened) per hub address; an address is hardened when any app on it is."""
    ports: dict[int, bool] = {}
    for app, marked in urls.items():
        protocol, url = split_url(marked)
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"hub URL for {app!r} must be http://HOST:PORT, got {url!r}")
        if parts.hostname not in ("127.0.0.1", "localhost"):
            raise ValueError(f"hub URL for {app!r} must be on loopback (127.0.0.1), got {url!r}")
        port = parts.port or 80
        ports[port] = ports.get(port, False) or protocol == HARDENED
    return [("127.0.0.1", port, hardened) for port, hardened in sorted(ports.items())]


def _reader(stream, sink: list[bytes], cap: int) -> None:
    # Keep the head and the tail: a script that prints gigabytes must not exhaust the caller.
    head, tail, total = bytearray(), bytearray(), 0
    for chunk in iter(lambda: stream.read(65536), b""):
        total += len(chunk)
        if total <= cap:
            head += chunk
            continue
        tail += chunk
        if len(tail) > cap:
            del tail[: len(tail) - cap]
    cut = total - len(head) - len(tail)
    sink.append(bytes(head) + (f"\n[... {cut} bytes cut ...]\n".encode() if cut > 0 else b"") + bytes(tail))


BASE_ENV = {"PATH": "/cua/bin:/usr/bin:/bin", "HOME": "/sandbox", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0", "TMPDIR": "/tmp", "NO_PROXY": "*"}


def _bwrap_system(tmp: Path, shims: Path, *, die_with_parent: bool = True) -> list[str]:
    """bubblewrap's namespaces and the read-only system view (everything but the job's files)."""
    prefixes = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.exec_prefix).resolve()}
    cmd = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
           *(["--die-with-parent"] if die_with_parent else []), "--new-session",
           "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
           "--proc", "/proc", "--dev", "/dev", "--bind", str(tmp), "/tmp",
           "--perms", "0755", "--dir", "/cua", "--ro-bind", str(shims), "/cua/bin"]
    for name in BROWSER_COMMANDS:  # absolute paths to a real browser start the shim as well
        for d in ("/usr/bin", "/usr/local/bin"):
            if Path(d, name).is_file() and not Path(d, name).is_symlink():  # links reach a shimmed file
                cmd += ["--ro-bind", str(shims / name), f"{d}/{name}"]
    for link in ("bin", "lib", "lib64", "sbin"):
        p = Path("/") / link
        if p.is_symlink():
            cmd += ["--symlink", os.readlink(p), str(p)]
        elif p.exists():
            cmd += ["--ro-bind", str(p), str(p)]
    made: set[Path] = set()
    for pre in sorted(prefixes):
        if not str(pre).startswith("/usr"):
            # Parents are created readable by all: the script runs as another uid.
            for parent in reversed(pre.parents):
                if str(parent) != "/" and parent not in made:
                    cmd += ["--perms", "0755", "--dir", str(parent)]
                    made.add(parent)
            cmd += ["--ro-bind", str(pre), str(pre)]
    if Path(sys.prefix) != Path(sys.prefix).resolve():
        cmd += ["--symlink", str(Path(sys.prefix).resolve()), str(sys.prefix)]
    return cmd


def _bwrap_cmd(workdir: Path, script_name: str, relays: list[tuple[int, str]], env: dict[str, str],
               uid: int | None) -> list[str]:
    py = Path(sys.executable)
    cmd = _bwrap_system(workdir.parent / "tmp", workdir.parent / "bin")
    cmd += ["--bind", str(workdir), "/sandbox", "--chdir", "/sandbox", "--clearenv"]
    for k, v in {**BASE_ENV, **env}.items():
        cmd += ["--setenv", k, v]
    if uid is not None:
        # bwrap runs as root so it can mount what the script needs; the script itself runs
        # as an unprivileged uid of its own, without capabilities, under the process limit.
        cmd += ["/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    cmd += [str(py), "-I", "/sandbox/.runner.py", f"/sandbox/{script_name}"]
    cmd += [f"{port}:/sandbox/.relay/{Path(path).name}" for port, path in relays]
    return cmd


_ACTIVE = threading.local()


@contextlib.contextmanager
def using(warm) -> Iterator[None]:
    """Within this block, :func:`run_script` calls made by this thread run in ``warm`` (a
    :class:`cuagym.data.warm_sandbox.WarmSandbox`) unless they name one; None: the cold path."""
    before = getattr(_ACTIVE, "warm", None)
    _ACTIVE.warm = warm
    try:
        yield
    finally:
        _ACTIVE.warm = before


def run_script(script: str | Path, access: HubAccess, *, expect_reward: bool = False,
               limits: Limits = Limits(), warm=None) -> ScriptResult:
    """Run one tuple script in the sandbox and classify what happened.

    ``warm``: a :class:`cuagym.data.warm_sandbox.WarmSandbox` to run it in (a pre-started
    interpreter forks the script's process: no interpreter start per script); by default the one
    set with :func:`using` for this thread, else a fresh sandbox (the cold path)."""
    script = Path(script)
    if not script.is_file():
        return ScriptResult(Outcome.SANDBOX_ERROR, f"script not found: {script}")
    reason = sandbox_available()
    if reason:
        return ScriptResult(Outcome.SANDBOX_ERROR, reason)
    try:
        targets = _hub_targets(access.urls)
    except ValueError as e:
        return ScriptResult(Outcome.SANDBOX_ERROR, str(e))
    warm = warm if warm is not None else getattr(_ACTIVE, "warm", None)
    if warm is not None:
        return warm.run(script, access, targets, expect_reward=expect_reward, limits=limits)
    return run_cold(script, access, targets, expect_reward=expect_reward, limits=limits)


def _next_uid() -> int:
    with _UID_LOCK:
        return next(_UIDS)


def _write_shims(shims: Path) -> None:
    shims.mkdir()
    for name in BROWSER_COMMANDS:
        (shims / name).write_text(SHIM)
        os.chmod(shims / name, 0o755)


def _job_files(script: Path, work: Path, tmp: Path, sid: str, uid: int, extra: tuple[Path, ...] = ()) -> bool:
    """The script's private working directory and its /tmp seeded with the session id, owned by
    ``uid`` when running as root; returns whether it is."""
    work.mkdir(parents=True, exist_ok=True)
    tmp.mkdir()
    shutil.copyfile(script, work / script.name)
    (tmp / SID_FILE).write_text(sid)  # where CUA-Gym's scripts read the session id
    as_root = os.geteuid() == 0
    if as_root:
        for p in (work, *extra, work / script.name, tmp, tmp / SID_FILE):
            os.chown(p, uid, uid)
    os.chmod(work, 0o700)
    os.chmod(tmp, 0o1777 if not as_root else 0o700)
    os.chmod(tmp / SID_FILE, 0o666 if not as_root else 0o600)
    return as_root


def _read_back(res: ScriptResult, tmp: Path) -> ScriptResult:
    res.sid_file = _read_small(tmp / SID_FILE)
    opened = _read_small(tmp / OPENED_FILE, 8192)
    res.opened = [u for u in (opened or "").splitlines() if u.strip()][:20]
    return res


def run_cold(script: Path, access: HubAccess, targets: list[tuple[str, int, bool]], *, expect_reward: bool,
             limits: Limits) -> ScriptResult:
    """A fresh bubblewrap sandbox and interpreter for this one script."""
    uid = _next_uid()
    root = Path(tempfile.mkdtemp(prefix="cuagym-sbx-"))
    relay = None
    try:
        work, tmp, shims = root / "work", root / "tmp", root / "bin"
        (work / ".relay").mkdir(parents=True)
        _write_shims(shims)
        shutil.copyfile(RUNNER, work / ".runner.py")
        as_root = _job_files(script, work, tmp, access.sid, uid, (work / ".relay", work / ".runner.py"))
        relay = _Relay(work / ".relay", targets, uid, access.admin_token)
        cmd = _bwrap_cmd(work, script.name, [(p, s) for p, s, _ in relay.sockets], access.env(),
                         uid if as_root else None)
        return _read_back(_execute(cmd, as_root, expect_reward, limits, uid if as_root else None), tmp)
    except OSError as e:
        return ScriptResult(Outcome.SANDBOX_ERROR, f"could not start the sandbox: {e}")
    finally:
        if relay:
            relay.close()
        shutil.rmtree(root, ignore_errors=True)


def _read_small(path: Path, limit: int = 256) -> str | None:
    """A small regular file the script may have written, read without following links."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, limit).decode("utf-8", "replace").strip()
    except OSError:
        return None
    finally:
        os.close(fd)


def _execute(cmd: list[str], as_root: bool, expect_reward: bool, limits: Limits,
             uid: int | None = None) -> ScriptResult:
    mem = limits.memory_mb << 20
    # As root the script gets a uid of its own, so the limit counts its processes alone;
    # otherwise the limit counts all of the caller's processes, so leave room for them.
    nproc = limits.max_procs if as_root else _own_process_count() + limits.max_procs

    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.max_file_mb << 20,) * 2)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        cpu = int(limits.timeout_s) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))

    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=preexec, start_new_session=True)
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [threading.Thread(target=_reader, args=(proc.stdout, out, OUTPUT_CAP), daemon=True),
               threading.Thread(target=_reader, args=(proc.stderr, err, OUTPUT_CAP), daemon=True)]
    for r in readers:
        r.start()
    timed_out = False
    try:
        proc.wait(timeout=limits.timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_tree(proc)
        if uid is not None:
            _kill_uid(uid)
    for r in readers:
        r.join(5)
    return _classify(proc.returncode, out, err, timed_out, time.monotonic() - t0, expect_reward, limits)


def _classify(returncode: int | None, out: list[bytes], err: list[bytes], timed_out: bool, seconds: float,
              expect_reward: bool, limits: Limits) -> ScriptResult:
    stdout = (out[0] if out else b"").decode("utf-8", "replace")
    stderr = (err[0] if err else b"").decode("utf-8", "replace")
    res = ScriptResult(Outcome.OK, returncode=returncode, stdout=stdout, stderr=stderr, seconds=seconds)
    if timed_out:
        res.outcome, res.message = Outcome.TIMEOUT, f"no exit within {limits.timeout_s:g} s; the process tree was killed"
        return res
    if returncode != 0:
        if "MemoryError" in stderr or returncode in (-signal.SIGKILL, -signal.SIGSEGV, 137):
            if "MemoryError" in stderr or "Cannot allocate memory" in stderr or returncode != 1:
                res.outcome = Outcome.MEMORY
                res.message = f"exceeded the {limits.memory_mb} MB memory limit (exit {returncode})"
                return res
        res.outcome = Outcome.CRASHED
        res.message = f"exit code {returncode}: {_last_line(stderr) or 'no error output'}"
        return res
    if expect_reward:
        _parse_reward(res)
    return res


def _own_process_count() -> int:
    me = os.getuid()
    count = 0
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                count += d.stat().st_uid == me
            except OSError:
                pass
    return count


def _kill_tree(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.kill()
    proc.wait()


def _kill_uid(uid: int, timeout_s: float = 10.0) -> None:
    """Kill every process of the script's uid and return once none is left: the sandbox's PID
    namespace also dies with bubblewrap, but the kernel does that after bubblewrap has exited."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pids = []
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    if d.stat().st_uid == uid:
                        pids.append(int(d.name))
                except OSError:
                    pass
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


def _parse_reward(res: ScriptResult) -> None:
    last = _last_line(res.stdout)
    m = REWARD_LINE.match(last)
    if not m:
        res.outcome = Outcome.NO_REWARD
        res.message = f"the last line of output must be 'REWARD: x'; got {last[:120]!r}" if last else \
            "the script printed nothing; its last line must be 'REWARD: x'"
        return
    try:
        value = float(m.group(1))
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        res.outcome = Outcome.BAD_REWARD
        res.message = f"reward {m.group(1)!r} is not a number in [0, 1]"
        return
    res.reward = value
