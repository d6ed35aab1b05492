"""Running a candidate's scripts in the sandbox and reading the states they produce.

Each state lives in a hub session of its own: the initial state (``initial_setup.py``), the
golden state (setup + ``golden_patch.py``), one per near miss (setup + the near-miss patch).
A reward script is then scored against each session. Problems that belong to the Generator
(a script that crashes, a setup that leaves a pending change, a golden patch that changes
nothing, a near miss identical to the golden state) are collected as text for its feedback.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from cuagym.data.sandbox import HubAccess, Limits, ScriptResult, run_script
from cuagym.data.validate import HubEndpoints, new_sid
from cuagym.hub.client import HubClient, HubError
from cuagym.hub.core.diff import state_diff
from cuagym.synth.render import tail


DAMAGE_PROBE = "damage_probe"


@dataclass
class SessionState:
    """One state the scripts produced: its session and what /go reports for it, per app.

    ``initial``, ``current`` and ``diff`` are the views agents see: the app's own for a one-app
    task; for a cross-app task, ``{app: state}`` and diff paths prefixed ``app:``.
    """

    name: str          # "initial", "golden", "near_miss/<name>.py" or "damage_probe"
    sid: str
    per_app: dict[str, dict[str, Any]]  # app -> {"initial_state", "current_state", "state_diff"} from /go

    def _view(self, key: str) -> Any:
        if len(self.per_app) == 1:
            return next(iter(self.per_app.values()))[key]
        return {app: g[key] for app, g in self.per_app.items()}

    @property
    def initial(self) -> Any:
        return self._view("initial_state")

    @property
    def current(self) -> Any:
        return self._view("current_state")

    @property
    def diff(self) -> dict[str, dict[str, Any]]:
        """Current vs initial (the hub's state_diff, transient keys skipped)."""
        if len(self.per_app) == 1:
            return next(iter(self.per_app.values()))["state_diff"]
        return {f"{app}:{path}": ch for app, g in self.per_app.items() for path, ch in g["state_diff"].items()}


@dataclass
class StateRun:
    states: dict[str, SessionState] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # the Generator's to fix
    seed: Any = field(default_factory=dict)
    probe_path: str = ""  # the field the damage probe edited (when the Orchestrator added one)

    @property
    def ok(self) -> bool:
        return not self.problems and "initial" in self.states and "golden" in self.states

    @property
    def near_misses(self) -> list[SessionState]:
        return [s for n, s in sorted(self.states.items()) if n.startswith("near_miss/")]


def _script_failure(what: str, res: ScriptResult) -> str:
    out = f"{what} failed: {res.summary()}"
    if res.stderr.strip():
        out += f"\nstderr (end):\n{tail(res.stderr)}"
    return out


class ScriptRunner:
    """Runs a candidate's scripts against a hub, each in the sandbox, each state in its own session
    (one sid across the task's apps)."""

    def __init__(self, hub: HubEndpoints, apps: list[str] | tuple[str, ...], limits: Limits) -> None:
        missing = [a for a in apps if a not in hub.urls]
        if missing or not apps:
            raise ValueError(f"the hub does not serve app(s) {missing or apps}; it serves {sorted(hub.urls)}")
        self.hub, self.apps, self.limits = hub, list(apps), limits
        self.clients = {a: HubClient(hub.urls[a], hub.admin_token) for a in self.apps}

    def access(self, sid: str) -> HubAccess:
        return HubAccess({a: self.hub.urls[a] for a in self.apps}, sid, self.hub.admin_token)

    def seed(self) -> Any:
        """The seed state (``{app: seed}`` for a cross-app task)."""
        seeds = {a: c.seed(new_sid("seed")) for a, c in self.clients.items()}
        return seeds[self.apps[0]] if len(seeds) == 1 else seeds

    def _read(self, name: str, sid: str) -> SessionState:
        return SessionState(name, sid, {a: c.go(sid) for a, c in self.clients.items()})

    def run_states(self, workdir: Path, min_near_misses: int = 0) -> StateRun:
        """Build every state from the scripts in ``workdir`` (initial_setup.py, golden_patch.py, near_miss/)."""
        run = StateRun(seed=self.seed())
        setup = workdir / "initial_setup.py"
        for need in ("initial_setup.py", "golden_patch.py"):
            if not (workdir / need).is_file():
                run.problems.append(f"{need} is missing: send it")
        if run.problems:
            return run
        sid = new_sid("syn-i")
        res = run_script(setup, self.access(sid), limits=self.limits)
        if not res.ok:
            run.problems.append(_script_failure("initial_setup.py", res))
            return run
        init = self._read("initial", sid)
        if init.diff:
            run.problems.append("after initial_setup.py the current state differs from the initial state at "
                                f"{sorted(init.diff)[:8]}: write the whole initial state with action \"set\"")
        run.states["initial"] = init
        patches = [("golden", workdir / "golden_patch.py")]
        patches += [(f"near_miss/{p.name}", p) for p in sorted((workdir / "near_miss").glob("*.py"))]
        for name, patch in patches:
            sid = new_sid("syn-g" if name == "golden" else "syn-n")
            res = run_script(setup, self.access(sid), limits=self.limits)
            if res.ok:
                res = run_script(patch, self.access(sid), limits=self.limits)
            if not res.ok:
                run.problems.append(_script_failure(f"{name} (after initial_setup.py)", res))
                continue
            st = self._read(name, sid)
            if not st.diff:
                run.problems.append(f"{name} changes nothing: after it the state equals the initial state")
                continue
            run.states[name] = st
        nms = run.near_misses
        if len(nms) < min_near_misses:
            run.problems.append(f"{len(nms)} working near miss(es); write at least {min_near_misses} "
                                "near_miss/<name>.py patches")
        golden = run.states.get("golden")
        if golden is not None:
            for nm in nms:
                if _canon(nm.current) == _canon(golden.current):
                    run.problems.append(f"{nm.name} produces exactly the golden state; a near miss must fall short")
        return run

    def damage_probe(self, golden: SessionState, max_tries: int = 8) -> tuple[SessionState, str] | None:
        """The golden state plus one change the task did not ask for (a free-text field of an item the
        golden patch left alone gets " (edited)"), in a session of its own, and that change's path.
        A reward that still gives it 1 does not check for damage. None when no such change exists
        (or the app's schema refuses each one tried)."""
        tries = 0
        for app in self.apps:
            g = golden.per_app[app]
            for path, state in damage_candidates(g["current_state"], g["state_diff"]):
                if tries == max_tries:
                    return None
                tries += 1
                sid = new_sid("syn-d")
                try:
                    for a, c in self.clients.items():
                        c.set(sid, golden.per_app[a]["initial_state"])
                        c.set_current(sid, state if a == app else golden.per_app[a]["current_state"])
                except HubError:
                    continue  # the schema refuses this edit; try the next field
                return self._read(DAMAGE_PROBE, sid), (path if len(self.apps) == 1 else f"{app}:{path}")
        return None

    def score(self, reward: Path, st: SessionState) -> ScriptResult:
        return run_script(reward, self.access(st.sid), expect_reward=True, limits=self.limits)


def damage_candidates(state: dict[str, Any], diff: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, state with that one edit) for free-text fields of items the diff does not touch.
    Collections the task touches come first: damage next to the target is the likeliest slip."""
    touched = {tuple(p.split(".")[:2]) for p in diff}
    kinds = {p.split(".")[0] for p in diff}
    keys = sorted((k for k, v in state.items() if k != "ui" and _id_list(v)), key=lambda k: (k not in kinds, k))
    for key in keys:
        for i, item in enumerate(state[key]):
            if (key, str(item["id"])) in touched:
                continue
            for fname in sorted(item):
                v = item[fname]
                if (not isinstance(v, str) or fname == "id" or fname.endswith(("_id", "_at", "_ids"))
                        or " " not in v.strip() or len(v) < 4):
                    continue
                new = copy.deepcopy(state)
                new[key][i][fname] = v + " (edited)"
                yield f"{key}.{item['id']}.{fname}", new


def _id_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) and "id" in x for x in v)


def _canon(state: Any) -> str:
    return json.dumps(state, sort_keys=True)


def setup_changes(run: StateRun) -> dict[str, dict[str, Any]]:
    """What initial_setup.py changed from the app's seed."""
    init = run.states.get("initial")
    return state_diff(run.seed, init.initial) if init else {}
