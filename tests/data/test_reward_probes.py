"""Reward-hacking probes on the bundled tuples: states a lazy or adversarial agent could
produce — nothing done, everything deleted, the goal reached while wrecking everything
else — must never score 1. (Wrong-item and wrong-field states are each tuple's near misses,
which the validator scores.)"""

from __future__ import annotations

import copy
import secrets
from pathlib import Path

import pytest

from cuagym.data.format import load_tuple
from cuagym.data.sandbox import HubAccess, run_script
from cuagym.data.validate import iter_tuple_dirs
from cuagym.hub.client import HubClient, HubError

ROOT = Path(__file__).resolve().parents[2] / "data" / "tuples"
PER_APP = 2


def sample() -> list[Path]:
    by_app: dict[str, list[Path]] = {}
    for d in iter_tuple_dirs(ROOT) if ROOT.exists() else []:
        by_app.setdefault(d.parent.name, []).append(d)
    # A fixed spread over each app's tuples: the first, the middle, the last...
    out = []
    for dirs in by_app.values():
        picks = {round(i * (len(dirs) - 1) / max(PER_APP - 1, 1)) for i in range(PER_APP)}
        out += [dirs[i] for i in sorted(picks)]
    return out


pytestmark = [pytest.mark.usefixtures("sandbox"), pytest.mark.hub("all")]


def test_the_probe_sample_spans_every_app():
    # The bundled tuples ship with the repository: an empty sample is a broken checkout.
    apps = {d.parent.name for d in sample()}
    assert {"mail", "calendar", "kanban", "chat", "notes", "shop"} <= apps, apps


def id_lists(state: dict) -> list[str]:
    return [k for k, v in state.items() if isinstance(v, list) and v and all(isinstance(x, dict) and "id" in x
                                                                             for x in v)]


def shrink(client: HubClient, sid: str, state: dict, keep: set[str]) -> bool:
    """Cut each id-keyed top-level list down to the ids in ``keep``, list by list, keeping each
    cut the app's schema accepts; where a list may not be empty, keep its first item instead.
    Returns whether any cut was stored (a cut the schema refuses is a state the app cannot reach)."""
    s = copy.deepcopy(state)
    changed = False
    for k in id_lists(s):
        kept = [x for x in s[k] if str(x["id"]) in keep]
        for candidate in (kept, kept or s[k][:1]):
            if candidate == s[k]:
                break
            trial = {**s, k: candidate}
            try:
                client.set_current(sid, trial)
            except HubError:
                continue
            s, changed = trial, True
            break
    return changed


def touched_ids(before: dict, after: dict) -> set[str]:
    ids = set()
    for k in id_lists(after) + id_lists(before):
        b = {str(x["id"]): x for x in before.get(k, [])}
        for x in after.get(k, []):
            if b.get(str(x["id"])) != x:
                ids.add(str(x["id"]))
    return ids


@pytest.mark.parametrize("tuple_dir", sample(), ids=lambda p: p.name)
def test_adversarial_states_never_score_one(hub, tuple_dir):
    t = load_tuple(tuple_dir)
    ran = []

    def clients(apps: list[str]) -> list[HubClient]:
        return [HubClient(hub.urls[a], hub.admin_token) for a in apps]

    def fresh(patch: Path | None = None) -> HubAccess:
        acc = HubAccess({a: hub.urls[a] for a in t.apps}, f"probe-{secrets.token_hex(4)}", hub.admin_token)
        assert run_script(t.script("initial_setup.py"), acc).ok
        if patch is not None:
            assert run_script(patch, acc).ok
        return acc

    def reward(acc: HubAccess) -> float:
        res = run_script(t.script("reward.py"), acc, expect_reward=True)
        assert res.ok, res.summary()
        return res.reward

    # 1. Nothing done.
    acc = fresh()
    assert reward(acc) < 1.0
    ran.append("nothing")

    # 2. Everything deleted, in every app of the task, as far as each app's schema allows.
    acc = fresh()
    wiped = [shrink(c, acc.sid, c.state(acc.sid), keep=set()) for c in clients(t.apps)]
    if any(wiped):
        assert reward(acc) < 1.0, "deleting everything scored 1"
        ran.append("wipe")

    # 3. The goal reached, and every item the goal did not touch deleted.
    acc = fresh(t.script("golden_patch.py"))
    damaged = []
    for c in clients(t.apps):
        g = c.go(acc.sid)
        damaged.append(shrink(c, acc.sid, g["current_state"], touched_ids(g["initial_state"], g["current_state"])))
    if any(damaged):
        assert reward(acc) < 1.0, "reaching the goal while deleting every other item scored 1"
        ran.append("collateral")

    # 4. The wrong item or the wrong field: the tuple's own near misses.
    for patch in t.near_misses:
        assert reward(fresh(patch)) < 1.0, f"near miss {patch.name} scored 1"
        ran.append(f"near_miss:{patch.name}")

    assert {"wipe", "collateral"} & set(ran), f"no destructive state was reachable; ran: {ran}"
    assert len(t.near_misses) >= 2, "each bundled tuple carries at least two near misses"
