"""Final filter 2, rollout verification: a teacher served over HTTP (a test double that clicks the
editor's Pin button, then ends the episode) rolls tasks out through the real loop in Chromium
against a real hub; the solvable task is kept, the unsolvable one dropped, a task the teacher
always solves is dropped as trivial when the band says so; the band rule on hand-worked counts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cuagym.synth.config import load_synth_config as load_config
from cuagym.data.format import load_tuple
from cuagym.hub.launcher import HubProcess
from cuagym.synth.teacher import band_decision, golden_from, teacher_runner, verify

from ..openai_double import OpenAIDouble, completion

PIN = Path(__file__).resolve().parents[2] / "data" / "tuples" / "notes" / "notes.pin.books"

UNSOLVABLE_REWARD = '''\
import os, requests
BASE, SID = os.environ["CUA_HUB_URL_NOTES"], os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}
g = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10).json()
hits = [n for n in g["current_state"]["notes"] if n["title"] == "Quarterly tax plan" and n["pinned"]]
print("REWARD:", 1.0 if hits else 0.0)
'''


@pytest.mark.parametrize("wins, scored, env, lo, hi, keep, why", [
    (0, 4, 0, 0.25, 0.875, False, "unsolvable by the teacher: 0/4 successes, below 0.25"),
    (1, 4, 0, 0.25, 0.875, True, "1/4 successes, within [0.25, 0.875]"),
    (4, 4, 0, 0.25, 0.875, False, "trivially solved: 4/4 successes, above 0.875"),
    (4, 4, 0, 0.25, 1.0, True, "4/4 successes, within [0.25, 1]"),
    (1, 3, 1, 0.25, 0.875, True, "1/3 successes, within [0.25, 0.875]"),   # env failures left out
    (0, 0, 4, 0.0, 1.0, False, "no rollout could be scored (4 environment failures)"),
])
def test_band_rule(wins, scored, env, lo, hi, keep, why):
    v = band_decision(wins, scored, env, lo, hi)
    assert (v.keep, v.reason, v.env_failures) == (keep, why, env)


def teacher(body):
    # Turn 1: click the editor's Pin button (OpenAI computer action, screenshot pixels); then stop.
    if not any(m["role"] == "assistant" for m in body["messages"]):
        call = {"name": "computer", "arguments": json.dumps({"type": "click", "x": 1099, "y": 24})}
        return 200, completion(None, tool_calls=[{"id": "c", "type": "function", "function": call}]), {}
    return 200, completion('<tool_call>{"name": "computer_use", "arguments": {"action": "terminate", '
                           '"status": "success"}}</tool_call>'), {}


@pytest.mark.usefixtures("sandbox")
def test_teacher_keeps_the_solvable_task_and_drops_the_unsolvable_one(tmp_path):
    solvable = tmp_path / "tuples" / "notes.synth.pin_books.aaaaaa"
    shutil.copytree(PIN, solvable)
    unsolvable = tmp_path / "tuples" / "notes.synth.pin_tax.bbbbbb"
    shutil.copytree(PIN, unsolvable)
    (unsolvable / "reward.py").write_text(UNSOLVABLE_REWARD)
    for d, instr in ((solvable, 'Pin "Books to read in 2026".'), (unsolvable, 'Pin the note "Quarterly tax plan".')):
        cfg = json.loads((d / "task_config.json").read_text())
        cfg.update(id=d.name, instruction=instr)
        (d / "task_config.json").write_text(json.dumps(cfg))
    double = OpenAIDouble(default=teacher, models=("teacher-vl",))
    cfg = load_config(None, ["rollout.max_turns=3", "rollout.env_mode=local", f"synth.teacher.policy={double.url}",
                             "synth.teacher.rollouts=2"])
    try:
        with HubProcess(["notes"]) as hub, teacher_runner(cfg, hub.urls, hub.admin_token, tmp_path / "run") as run:
            keep, trajs = verify(load_tuple(solvable), run, 0.5, 1.0)
            drop, _ = verify(load_tuple(unsolvable), run, 0.5, 1.0)
            trivial, _ = verify(load_tuple(solvable), run, 0.25, 0.9)
    finally:
        double.close()
    assert (keep.keep, keep.successes, keep.rollouts) == (True, 2, 2), keep.reason
    assert (drop.keep, drop.successes, drop.rollouts) == (False, 0, 2)
    assert drop.reason == "unsolvable by the teacher: 0/2 successes, below 0.5"
    assert not trivial.keep and trivial.reason.startswith("trivially solved: 2/2")
    # Every episode was a real multi-turn rollout through the server: 3 calls x 2 episodes x 2 turns.
    assert len(double.requests) == 12
    assert any('Quarterly tax plan' in json.dumps(r["messages"]) for r in double.requests)
    # A solved rollout becomes a golden UI trajectory in viewport pixels (the click at 1099, 24).
    golden = golden_from(trajs, run.geometry)
    assert golden["viewport"] == [1280, 800] and golden["notes"].startswith("teacher rollout ")
    (click,), (stop,) = golden["steps"]
    assert (click["type"], click["frame"], stop["type"]) == ("click", "screen", "terminate")
    assert click["x"] == pytest.approx(1099, abs=0.6) and click["y"] == pytest.approx(24, abs=0.6)
    assert golden_from([], run.geometry) is None


def test_teacher_policy_must_be_usable(tmp_path):
    cfg = load_config(None, ["synth.teacher.policy=golden"])
    with pytest.raises(ValueError, match="give a server URL or a checkpoint folder"):
        with teacher_runner(cfg, {}, "", tmp_path):
            pass
    cfg = load_config(None, [f"synth.teacher.policy={tmp_path / 'nope'}"])
    with pytest.raises(ValueError, match="no such checkpoint folder"):
        with teacher_runner(cfg, {}, "", tmp_path):
            pass
