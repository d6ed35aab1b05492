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
from itertools import islice
from typing import Any, Iterator

from cuagym.data.sandbox import HubAccess, Limits, ScriptResult, run_script
from cuagym.data.validate import HubEndpoints, new_sid
from cuagym.hub.client import HubClient, HubError
from cuagym.hub.core.diff import state_diff
from cuagym.synth.render import tail


DAMAGE_PROBE = "damage_probe"


@dataclass
class SessionState:
    """One state the scripts produced: its session and what /go reports for it."""

    name: str          # "initial", "golden", "near_miss/<name>.py" or "damage_probe"
    sid: str
    initial: dict[str, Any]
    current: dict[str, Any]
    diff: dict[str, dict[str, Any]]  # current vs initial (the hub's state_diff, transient keys skipped)


@dataclass
class StateRun:
    states: dict[str, SessionState] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # the Generator's to fix
    seed: dict[str, Any] = field(default_factory=dict)
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
    """Runs a candidate's scripts against a hub, each in the sandbox, each state in its own session."""

    def __init__(self, hub: HubEndpoints, app: str, limits: Limits) -> None:
        if app not in hub.urls:
            raise ValueError(f"the hub does not serve app {app!r}; it serves {sorted(hub.urls)}")
        self.hub, self.app, self.limits = hub, app, limits
        self.client = HubClient(hub.urls[app], hub.admin_token)

    def access(self, sid: str) -> HubAccess:
        return HubAccess({self.app: self.hub.urls[self.app]}, sid, self.hub.admin_token)

    def seed(self) -> dict[str, Any]:
        return self.client.seed(new_sid("seed"))

    def _read(self, name: str, sid: str) -> SessionState:
        g = self.client.go(sid)
        return SessionState(name, sid, g["initial_state"], g["current_state"], g["state_diff"])

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
        for path, state in islice(damage_candidates(golden.current, golden.diff), max_tries):
            sid = new_sid("syn-d")
            try:
                self.client.set(sid, golden.initial)
                self.client.set_current(sid, state)
            except HubError:
                continue  # the schema refuses this edit; try the next field
            return self._read(DAMAGE_PROBE, sid), path
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
