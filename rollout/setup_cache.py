"""Setup snapshots: reset an episode by writing the state a tuple's ``initial_setup.py`` produces,
instead of running the script, when the script is proven deterministic.

The first time a tuple is set up (per cache directory), the script runs for real on the
episode's session, and once more on a fresh probe session. When both leave the same initial
and current state in every app of the tuple, that state is stored under a key made of the
tuple's files (every byte of every file in the tuple folder) and the apps' seed states; later
resets write it with ``set`` (and ``set_current`` where the setup left the two apart) through
the State API. A setup whose two runs differ is recorded as such and keeps running the script.

Scripts are never cached when what they do cannot be seen in the state: one that uploads
files, one that reads a clock, one that chose a session id of its own (``/tmp/task_web_sid``
other than the one it was given) or asked to open a browser, or a tuple on an app served by a
legacy hub. The cache is a plain directory of JSON files,
written atomically (a temporary file renamed into place), so concurrent writers on one
machine or a shared file system never leave a partial entry; a changed tuple file or hub
seed gives a new key, so stale entries are never read.

    cache = SetupCache.from_env()                 # CUAGYM_SETUP_CACHE, or ~/.cache/cuagym/setup
    res = run_setup(t, access, limits, cache)     # ScriptResult, like sandbox.run_script
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

from cuagym.data.format import TaskTuple
from cuagym.data.sandbox import HubAccess, Limits, Outcome, ScriptResult, run_script

ENV = "CUAGYM_SETUP_CACHE"
DEFAULT_DIR = Path.home() / ".cache" / "cuagym" / "setup"
FORMAT = 1
# What a state snapshot cannot carry: uploaded files and the clock. (A script that chooses a
# session of its own, or asks for a browser, is found from its result and not cached either.)
UNCACHEABLE = re.compile(r"/upload|\b(?:now|today|utcnow|time|time_ns|monotonic|perf_counter)\s*\(")


def tuple_digest(t: TaskTuple) -> str:
    """sha256 over every file of the tuple folder (relative path and bytes), in sorted order."""
    h = hashlib.sha256()
    for p in sorted(q for q in Path(t.path).rglob("*") if q.is_file() and "__pycache__" not in q.parts):
        h.update(str(p.relative_to(t.path)).encode() + b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def uncacheable_reason(t: TaskTuple, urls: dict[str, str]) -> str | None:
    """Why this tuple's setup is never snapshot, or None."""
    legacy = [a for a in t.apps if str(urls.get(a, "")).startswith("legacy+")]
    if legacy:
        return f"served by a legacy hub: {', '.join(legacy)}"
    m = UNCACHEABLE.search(t.script("initial_setup.py").read_text(errors="replace"))
    if m:
        return f"initial_setup.py uses {m.group(0)!r}, which a state snapshot cannot reproduce"
    return None


class _Api:
    def __init__(self, urls: dict[str, str], admin_token: str, timeout: float = 30.0) -> None:
        self.urls, self.timeout = urls, timeout
        self.http = requests.Session()
        self.http.headers["X-CUA-Admin-Token"] = admin_token

    def _ok(self, r: requests.Response) -> Any:
        if r.status_code >= 400:
            raise RuntimeError(f"HTTP {r.status_code} from {r.url}: {r.text[:300]}")
        return r.json()

    def go(self, app: str, sid: str) -> dict:
        return self._ok(self.http.get(f"{self.urls[app]}/go", params={"sid": sid}, timeout=self.timeout))

    def post(self, app: str, sid: str, payload: dict) -> dict:
        return self._ok(self.http.post(f"{self.urls[app]}/post", params={"sid": sid}, json=payload,
                                       timeout=self.timeout))

    def snapshot(self, apps: list[str], sid: str) -> dict[str, dict]:
        out = {}
        for app in apps:
            g = self.go(app, sid)
            out[app] = {"initial": g["initial_state"], "current": g["current_state"]}
        return out

    def restore(self, snap: dict[str, dict], sid: str) -> None:
        for app, s in snap.items():
            self.post(app, sid, {"action": "set", "state": s["initial"]})
            if _text(s["current"]) != _text(s["initial"]):
                self.post(app, sid, {"action": "set_current", "state": s["current"]})

    def close(self) -> None:
        self.http.close()


def _side_effects(res: ScriptResult, sid: str) -> str | None:
    """What a setup run did beyond writing the state of ``sid``, or None."""
    chosen = getattr(res, "sid_file", None)
    if chosen and chosen != sid:
        return "chose a session of its own"
    if getattr(res, "opened", None):
        return "asked to open a browser"
    return None


def _text(x: Any) -> str:
    return json.dumps(x, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class SetupCache:
    """A directory of setup snapshots (``<key>.json``) and of setups found not deterministic."""

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        self._seeds: dict[str, str] = {}  # app URL -> digest of its seed state
        self._lock = threading.Lock()
        self._probing: set[str] = set()
        self.hits = self.misses = 0

    @classmethod
    def from_env(cls) -> "SetupCache | None":
        """The cache named by $CUAGYM_SETUP_CACHE (``off`` disables it), else the default directory."""
        v = os.environ.get(ENV, "")
        if v.strip().lower() in ("off", "0", "none", "false"):
            return None
        return cls(v or DEFAULT_DIR)

    # ---- keys and files ---------------------------------------------------------------
    def _seed_digest(self, api: _Api, app: str) -> str:
        url = api.urls[app]
        with self._lock:
            hit = self._seeds.get(url)
        if hit is None:
            seed = api.go(app, f"seedprobe-{secrets.token_hex(6)}")["initial_state"]
            hit = hashlib.sha256(_text(seed).encode()).hexdigest()
            with self._lock:
                self._seeds[url] = hit
        return hit

    def key(self, t: TaskTuple, api: _Api) -> str:
        h = hashlib.sha256(f"format={FORMAT}\0{tuple_digest(t)}\0".encode())
        for app in t.apps:
            h.update(f"{app}={self._seed_digest(api, app)}\0".encode())
        return h.hexdigest()[:40]

    def _path(self, key: str) -> Path:
        return self.dir / f"{key}.json"

    def load(self, key: str) -> dict | None:
        try:
            entry = json.loads(self._path(key).read_text())
        except (OSError, ValueError):
            return None
        return entry if isinstance(entry, dict) and entry.get("format") == FORMAT else None

    def store(self, key: str, entry: dict) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=f".{key}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump({"format": FORMAT, **entry}, f)
            os.replace(tmp, self._path(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # ---- setup ------------------------------------------------------------------------
    def setup(self, t: TaskTuple, access: HubAccess, limits: Limits = Limits()) -> ScriptResult:
        """Bring ``access.sid`` to the tuple's initial state: from a snapshot when one is stored,
        else by running ``initial_setup.py`` (and, the first time, proving it deterministic)."""
        script = t.script("initial_setup.py")
        if uncacheable_reason(t, access.urls) is not None:
            return run_script(script, access, limits=limits)
        t0 = time.monotonic()
        api = _Api(access.urls, access.admin_token, timeout=limits.timeout_s)
        try:
            try:
                key = self.key(t, api)
            except Exception:  # the hub did not answer: the script runs and reports what is wrong
                return run_script(script, access, limits=limits)
            entry = self.load(key)
            if entry is not None and entry.get("deterministic"):
                try:
                    api.restore(entry["apps"], access.sid)
                except Exception as e:
                    # The session may hold part of the snapshot, so the script cannot run on it now:
                    # this reset fails (loudly), and the entry is dropped so the next one re-proves it.
                    self._path(key).unlink(missing_ok=True)
                    return ScriptResult(Outcome.SANDBOX_ERROR, f"the setup snapshot could not be restored and was "
                                        f"dropped: {type(e).__name__}: {e}", seconds=time.monotonic() - t0)
                self.hits += 1
                return ScriptResult(Outcome.OK, "restored from the setup cache", seconds=time.monotonic() - t0)
            self.misses += 1
            res = run_script(script, access, limits=limits)
            if not res.ok or entry is not None or _side_effects(res, access.sid):
                return res  # failed, known not to be deterministic, or did more than write state
            with self._lock:
                if key in self._probing:  # another slot of this process is proving it already
                    return res
                self._probing.add(key)
            try:
                self._prove(t, key, api, access, limits, api.snapshot(t.apps, access.sid))
            except Exception:
                pass  # the episode's setup ran; proving it can wait for another reset
            finally:
                with self._lock:
                    self._probing.discard(key)
            return res
        finally:
            api.close()

    def prepare(self, t: TaskTuple, urls: dict[str, str], admin_token: str, limits: Limits = Limits()) -> str:
        """Run the setup twice on fresh sessions and record the result; returns ``cached``,
        ``not deterministic``, ``failed: ...`` or the reason the tuple is never cached."""
        urls = {a: urls[a] for a in t.apps}
        why = uncacheable_reason(t, urls)
        if why is not None:
            return why
        api = _Api(urls, admin_token, timeout=limits.timeout_s)
        try:
            access = HubAccess(urls, f"setupprobe-{secrets.token_hex(8)}", admin_token)
            res = run_script(t.script("initial_setup.py"), access, limits=limits)
            if not res.ok:
                return f"failed: {res.summary()}"
            if _side_effects(res, access.sid):
                return f"initial_setup.py {_side_effects(res, access.sid)}"
            key = self.key(t, api)
            return self._prove(t, key, api, access, limits, api.snapshot(t.apps, access.sid))
        finally:
            api.close()

    def _prove(self, t: TaskTuple, key: str, api: _Api, access: HubAccess, limits: Limits,
               first: dict[str, dict]) -> str:
        probe = HubAccess(access.urls, f"setupprobe-{secrets.token_hex(8)}", access.admin_token, access.extra_env)
        res = run_script(t.script("initial_setup.py"), probe, limits=limits)
        if not res.ok:
            return f"failed: {res.summary()}"  # not recorded: a failure may be the machine's
        if _side_effects(res, probe.sid):
            return f"initial_setup.py {_side_effects(res, probe.sid)}"
        second = api.snapshot(t.apps, probe.sid)
        same = _text(first) == _text(second)
        self.store(key, {"tuple": t.id, "apps_order": list(t.apps), "deterministic": same,
                         "apps": first if same else {}, "stored_at": time.time()})
        return "cached" if same else "not deterministic"


def run_setup(t: TaskTuple, access: HubAccess, limits: Limits, cache: SetupCache | None) -> ScriptResult:
    """``initial_setup.py``'s effect on ``access.sid``: through ``cache`` when given, else the script."""
    if cache is None:
        return run_script(t.script("initial_setup.py"), access, limits=limits)
    return cache.setup(t, access, limits)
