"""The validator against a real hub, real sandbox and real Chromium: good tuples pass, and each
kind of broken tuple fails with the check that names the problem."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cuagym.data.format import TupleError, load_tuple
from cuagym.data.validate import validate_all, validate_tuple

from .tuplelib import PRELUDE, write_tuple

pytestmark = [pytest.mark.usefixtures("sandbox"), pytest.mark.hub(["notes"])]


def _checks(rep):
    return {c.name: c for c in rep.checks}


def test_good_tuple_passes_every_check(tmp_path, hub_endpoints):
    rep = validate_tuple(load_tuple(write_tuple(tmp_path)), hub_endpoints)
    assert rep.ok, [(c.name, c.detail) for c in rep.failures]
    names = set(_checks(rep))
    assert {"format", "reward(initial)=0", "reward(golden)=1", "near_miss:wrong_note<1",
            "near_miss:pin_all<1"} <= names


def test_golden_ui_replay_in_chromium(tmp_path, hub, hub_endpoints):
    from playwright.sync_api import sync_playwright

    from cuagym.browser import launch_kwargs
    from cuagym.rollout.replay import GoldenReplayer

    # Find where the editor's Pin button is for this initial state, as a tuple author would.
    d = write_tuple(tmp_path)
    from cuagym.data.sandbox import HubAccess, run_script
    acc = HubAccess(hub.urls, "probe-ui", hub.admin_token)
    assert run_script(d / "initial_setup.py", acc).ok
    from cuagym.rollout.task_page import open_task
    with sync_playwright() as p:
        b = p.chromium.launch(**launch_kwargs())
        page = b.new_page(viewport={"width": 1280, "height": 800})
        open_task(page, hub.urls, ["notes"], "probe-ui", hub.admin_token)
        box = next(el.bounding_box() for el in page.query_selector_all("button")
                   if (el.text_content() or "").strip() == "Pin")
        b.close()
    x, y = round(box["x"] + box["width"] / 2), round(box["y"] + box["height"] / 2)
    write_tuple(tmp_path, golden_actions={"viewport": [1280, 800], "steps": [
        [{"type": "click", "x": x, "y": y, "frame": "screen"}], [{"type": "terminate", "status": "success"}]]})
    replayer = GoldenReplayer()
    try:
        rep = validate_tuple(load_tuple(d), hub_endpoints, ui_replay=replayer)
        assert _checks(rep)["golden_ui_replay=1"].ok, _checks(rep)["golden_ui_replay=1"].detail
        # A click that misses the button does not reach reward 1.
        write_tuple(tmp_path, golden_actions={"viewport": [1280, 800], "steps": [
            [{"type": "click", "x": 700, "y": 700, "frame": "screen"}]]})
        rep = validate_tuple(load_tuple(d), hub_endpoints, ui_replay=replayer)
        bad = _checks(rep)["golden_ui_replay=1"]
        assert not bad.ok and "reward 0" in bad.detail
        # An action off screen is reported as a replay failure that names the action.
        write_tuple(tmp_path, golden_actions={"viewport": [1280, 800], "steps": [
            [{"type": "click", "x": 5000, "y": 10, "frame": "screen"}]]})
        rep = validate_tuple(load_tuple(d), hub_endpoints, ui_replay=replayer)
        assert "off screen" in _checks(rep)["golden_ui_replay=1"].detail
    finally:
        replayer.close()


@pytest.mark.parametrize("kind, kwargs, failing, fragment", [
    ("reward_always_one", {"reward": PRELUDE + "\nprint('REWARD: 1')\n"}, "reward(initial)=0", "reward 1"),
    ("random_reward", {"reward": PRELUDE + "\nimport random\nprint(f'REWARD: {random.random()}')\n"},
     "reward(initial)=0", "not deterministic"),
    ("golden_does_nothing", {"golden": "print('nothing')\n"}, "reward(golden)=1", "reward 0"),
    ("near_miss_scores_one", {"near": {"same_as_golden": None}}, "near_miss:same_as_golden<1", "reward 1"),
    ("setup_crashes", {"setup": "raise RuntimeError('broken setup')\n"}, "reward(initial)=0", "broken setup"),
    ("setup_leaves_diff", {"setup": PRELUDE + "\ns = go()['initial_state']\ns['notes'][0]['title'] = 'X'\n"
                           "post('set_current', s)\n"}, "reward(initial)=0", "differs from initial"),
    ("no_reward_line", {"reward": "print('done')\n"}, "reward(initial)=0", "no_reward"),
])
def test_broken_tuples_fail_with_the_right_check(tmp_path, hub_endpoints, kind, kwargs, failing, fragment):
    from .tuplelib import GOLDEN
    if kwargs.get("near") == {"same_as_golden": None}:
        kwargs = {"near": {"same_as_golden": GOLDEN}}
    rep = validate_tuple(load_tuple(write_tuple(tmp_path, f"t.{kind}", **kwargs)), hub_endpoints)
    assert not rep.ok
    check = _checks(rep)[failing]
    assert not check.ok and fragment in check.detail, (check.name, check.detail)


def test_format_errors_name_the_problem(tmp_path):
    d = write_tuple(tmp_path, "t.fmt")
    (d / "reward.py").unlink()
    with pytest.raises(TupleError, match="missing reward.py"):
        load_tuple(d)
    d = write_tuple(tmp_path, "t.fmt2", config={"difficulty": "impossible"})
    with pytest.raises(TupleError, match="difficulty"):
        load_tuple(d)
    d = write_tuple(tmp_path, "t.fmt3", config={"id": "Bad Id!"})
    with pytest.raises(TupleError, match="id"):
        load_tuple(d)
    d = write_tuple(tmp_path, "t.fmt4", golden_actions={"viewport": [1280, 800], "steps": [[{"type": "fly"}]]})
    with pytest.raises(TupleError, match="unknown action type 'fly'"):
        load_tuple(d)
    d = write_tuple(tmp_path, "t.fmt5", reward="def broken(:\n")
    with pytest.raises(TupleError, match="syntax error"):
        load_tuple(d)


def test_validate_all_runs_in_parallel_and_reports_every_tuple(tmp_path, hub_endpoints):
    write_tuple(tmp_path, "a.good")
    write_tuple(tmp_path, "b.good")
    write_tuple(tmp_path, "c.bad", reward=PRELUDE + "\nprint('REWARD: 1')\n")
    (tmp_path / "d.broken").mkdir()
    (tmp_path / "d.broken" / "task_config.json").write_text("{not json")
    from cuagym.data.validate import iter_tuple_dirs
    reports = validate_all(iter_tuple_dirs(tmp_path), hub_endpoints, jobs=2)
    status = {r.id: r.ok for r in reports}
    assert status == {"a.good": True, "b.good": True, "c.bad": False, "d.broken": False}


def test_cli_exit_codes_and_table(tmp_path):
    good = tmp_path / "good"
    write_tuple(good, "a.good")
    r = subprocess.run([sys.executable, "-m", "cuagym.cli", "data", "validate", str(good), "--no-ui", "-v"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASS a.good" in r.stdout and "1/1 tuples passed" in r.stdout and "reward(golden)=1" in r.stdout
    bad = tmp_path / "bad"
    write_tuple(bad, "c.bad", reward=PRELUDE + "\nprint('REWARD: 1')\n")
    out = tmp_path / "rep.json"
    r = subprocess.run([sys.executable, "-m", "cuagym.cli", "data", "validate", str(bad), "--no-ui",
                        "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "FAIL c.bad" in r.stdout and "0/1 tuples passed" in r.stdout
    assert json.loads(out.read_text())[0]["ok"] is False
    r = subprocess.run([sys.executable, "-m", "cuagym.cli", "data", "validate", str(tmp_path / "none")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "does not exist" in r.stderr
