"""The bundled dataset as a whole: every tuple loads, ids are unique, each app the hub serves
has at least 20 tuples in families of variants, difficulties are mixed, every tuple carries
golden UI actions and two near misses, and the reward script cannot see the solution.

The scripts themselves run in `cuagym data validate data/tuples` (minutes) and, for a sample,
in test_reward_probes.py; this file checks what can be checked without running them.
"""

from __future__ import annotations

import ast
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from cuagym.data.format import load_tuple
from cuagym.data.validate import iter_tuple_dirs
from cuagym.hub.core.registry import app_names

ROOT = Path(__file__).resolve().parents[2] / "data" / "tuples"
TUPLES = [load_tuple(d) for d in iter_tuple_dirs(ROOT)]


def test_every_tuple_loads_and_ids_are_unique():
    assert len(TUPLES) >= 120, f"only {len(TUPLES)} bundled tuples"
    ids = Counter(t.id for t in TUPLES)
    assert [i for i, n in ids.items() if n > 1] == []
    for t in TUPLES:
        assert t.path.name == t.id, f"{t.path}: folder name differs from id {t.id}"


def test_each_app_has_twenty_tuples_in_families_with_mixed_difficulty():
    apps = app_names()
    by_app: dict[str, list] = defaultdict(list)
    for t in TUPLES:
        if len(t.apps) == 1:
            by_app[t.apps[0]].append(t)
    for app in apps:
        mine = by_app[app]
        assert len(mine) >= 20, f"{app}: {len(mine)} single-app tuples, expected at least 20"
        families = Counter(t.config.task_family for t in mine)
        assert sum(n >= 2 for n in families.values()) >= len(families) * 0.8, f"{app}: families {families}"
        levels = Counter(t.config.difficulty for t in mine)
        assert {"easy", "medium", "hard"} <= set(levels), f"{app}: difficulties {levels}"
        assert levels["easy"] >= 5, f"{app}: {levels['easy']} easy tuples (a tiny model learns on those)"


def test_tuples_spanning_two_apps_exist_and_name_served_apps():
    served = set(app_names())
    multi = [t for t in TUPLES if len(t.apps) > 1]
    assert len(multi) >= 4, f"{len(multi)} tuples span several apps"
    for t in multi:
        assert set(t.apps) <= served, f"{t.id}: unknown app in {t.apps}"


@pytest.mark.parametrize("t", TUPLES, ids=lambda t: t.id)
def test_tuple_carries_golden_actions_near_misses_and_a_blind_reward(t):
    golden = t.golden_actions()
    assert golden is not None and golden.actions(), f"{t.id}: no golden UI actions"
    assert golden.steps[-1][-1]["type"] == "terminate", f"{t.id}: golden actions do not end in terminate"
    assert len(t.near_misses) >= 2, f"{t.id}: {len(t.near_misses)} near misses"
    source = t.script("reward.py").read_text()
    tree = ast.parse(source)  # a syntax error fails here, naming the tuple
    names = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert not any(s in v for v in names for s in ("golden_patch", "initial_setup", "/tmp/task_web_sid")), \
        f"{t.id}: reward.py refers to the tuple's other scripts or a shared sid file"
    assert "REWARD:" in source, f"{t.id}: reward.py never prints a REWARD: line"
