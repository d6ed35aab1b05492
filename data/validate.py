"""Check tuples: format, reward(initial) == 0, reward(golden) == 1, near misses < 1,
determinism, and (when a UI replayer is given) that the golden UI trajectory reaches 1.

Every check runs the tuple's scripts in the sandbox against fresh hub sessions. The UI
replay is passed in as a callable so this module needs no browser:
``ui_replay(tuple, access) -> str | None`` drives the UI from the initial state and returns
an error message, or None when every action ran.
"""

from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from cuagym.data.format import TaskTuple, TupleError, load_tuple
from cuagym.data.sandbox import HubAccess, Limits, Outcome, ScriptResult, run_script
from cuagym.hub.client import HubClient, top_level_changes

UiReplay = Callable[[TaskTuple, HubAccess], "str | None"]


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""
    seconds: float = 0.0


@dataclass
class TupleReport:
    id: str
    path: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


@dataclass(frozen=True)
class HubEndpoints:
    urls: dict[str, str]
    admin_token: str


def new_sid(prefix: str = "val") -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


def _access(hub: HubEndpoints, apps: list[str], sid: str) -> HubAccess:
    return HubAccess({a: hub.urls[a] for a in apps}, sid, hub.admin_token)


def run_setup(t: TaskTuple, access: HubAccess, limits: Limits,
              patch: Path | None = None) -> tuple[ScriptResult, HubAccess]:
    """Run initial_setup.py, then ``patch`` if given; returns the first failure or the last result,
    and the access the episode goes on with (the session the setup chose, when it chose one)."""
    res = run_script(t.script("initial_setup.py"), access, limits=limits)
    if not res.ok:
        return res, access
    try:
        access = access.adopt(res)
    except ValueError as e:
        return ScriptResult(Outcome.CRASHED, str(e), stdout=res.stdout, stderr=res.stderr), access
    if patch is None:
        return res, access
    return run_script(patch, access, limits=limits), access


def score(t: TaskTuple, access: HubAccess, limits: Limits) -> ScriptResult:
    return run_script(t.script("reward.py"), access, expect_reward=True, limits=limits)


def validate_tuple(t: TaskTuple, hub: HubEndpoints, *, ui_replay: UiReplay | None = None,
                   limits: Limits = Limits()) -> TupleReport:
    rep = TupleReport(t.id, str(t.path))
    missing = [a for a in t.apps if a not in hub.urls]
    if missing:
        rep.checks.append(Check("apps", False, f"hub does not serve {', '.join(missing)}"))
        return rep
    rep.checks.append(Check("format", True))

    def timed(name: str, fn: Callable[[], tuple[bool, str]]) -> bool:
        t0 = time.monotonic()
        try:
            ok, detail = fn()
        except Exception as e:  # a check must report, never take the validator down
            ok, detail = False, f"{type(e).__name__}: {e}"
        rep.checks.append(Check(name, ok, detail, time.monotonic() - t0))
        return ok

    def expect(access: HubAccess, want: str, twice: bool = False) -> tuple[bool, str]:
        # Determinism is checked on the initial and golden states (scored twice); the other
        # checks score once, which keeps validating a large dataset affordable.
        first = score(t, access, limits)
        if not first.ok:
            return False, f"reward script failed: {first.summary()}"
        if twice:
            second = score(t, access, limits)
            if not second.ok or second.reward != first.reward:
                return False, f"not deterministic: {first.summary()} then {second.summary()}"
        r = first.reward
        good = {"zero": r == 0.0, "one": r == 1.0, "below_one": r is not None and r < 1.0}[want]
        return good, f"reward {r:g}" + (" (scored twice)" if twice else "")

    # Initial state: reward 0, and the setup leaves no pending diff (it wrote the initial state).
    def initial() -> tuple[bool, str]:
        res, acc = run_setup(t, _access(hub, t.apps, new_sid()), limits)
        if not res.ok:
            return False, f"initial_setup.py failed: {res.summary()}"
        for app in t.apps:
            client = HubClient(hub.urls[app], hub.admin_token)
            try:
                go = client.go(acc.sid)
            finally:
                client.close()
            if go.get("initial_state") is None:
                return False, f"after setup, {app} has no initial state for session {acc.sid}"
            if go["state_diff"]:
                return False, (f"after setup, {app} current state differs from initial at "
                               f"{sorted(go['state_diff'])[:5]} (top-level: {top_level_changes(go['state_diff'])})")
        return expect(acc, "zero", twice=True)

    if not timed("reward(initial)=0", initial):
        return rep

    def golden() -> tuple[bool, str]:
        res, acc_g = run_setup(t, _access(hub, t.apps, new_sid()), limits, patch=t.script("golden_patch.py"))
        if not res.ok:
            return False, f"setup + golden_patch.py failed: {res.summary()}"
        return expect(acc_g, "one", twice=True)

    timed("reward(golden)=1", golden)

    for nm in t.near_misses:
        def near(nm: Path = nm) -> tuple[bool, str]:
            res, acc_n = run_setup(t, _access(hub, t.apps, new_sid()), limits, patch=nm)
            if not res.ok:
                return False, f"setup + {nm.name} failed: {res.summary()}"
            return expect(acc_n, "below_one")

        timed(f"near_miss:{nm.stem}<1", near)

    if ui_replay is not None and t.golden_actions_path is not None:
        def ui() -> tuple[bool, str]:
            res, acc_u = run_setup(t, _access(hub, t.apps, new_sid()), limits)
            if not res.ok:
                return False, f"initial_setup.py failed: {res.summary()}"
            err = ui_replay(t, acc_u)
            if err:
                return False, f"replay failed: {err}"
            return expect(acc_u, "one")

        timed("golden_ui_replay=1", ui)
    elif ui_replay is not None:
        rep.checks.append(Check("golden_ui_replay=1", True, "no golden_actions.json (not checked)"))
    return rep


def iter_tuple_dirs(root: str | Path) -> Iterator[Path]:
    """Tuple directories under ``root`` (a tuple itself, or any depth of folders holding tuples)."""
    root = Path(root)
    if (root / "task_config.json").exists():
        yield root
        return
    for p in sorted(root.iterdir()) if root.is_dir() else []:
        if p.is_dir() and not p.name.startswith((".", "_")):
            yield from iter_tuple_dirs(p)


def validate_all(dirs: Iterable[Path], hub: HubEndpoints, *, jobs: int = 2, ui_replay: UiReplay | None = None,
                 limits: Limits = Limits(), on_report: Callable[[TupleReport], None] | None = None
                 ) -> list[TupleReport]:
    def one(d: Path) -> TupleReport:
        try:
            t = load_tuple(d)
        except TupleError as e:
            return TupleReport(d.name, str(d), [Check("format", False, str(e))])
        return validate_tuple(t, hub, ui_replay=ui_replay, limits=limits)

    reports = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for rep in pool.map(one, list(dirs)):
            reports.append(rep)
            if on_report:
                on_report(rep)
    return reports
