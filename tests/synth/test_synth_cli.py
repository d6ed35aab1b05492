"""``cuagym synth`` end to end on this machine: a scripted LLM over HTTP proposes three notes tasks;
one agrees in round 2, survives the vote and the teacher's rollouts in Chromium and is kept; one
never agrees and is dropped; one is rejected by the judges. The kept tuple passes
``cuagym data validate`` unchanged; the summary counts calls and tokens per kept tuple."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cuagym.commands.synth_cli import main
from cuagym.data.format import load_tuple

from ..openai_double import OpenAIDouble
from .scripted import T1, ScriptedLLM, script_three_tasks
from .test_teacher import teacher

@pytest.mark.slow
@pytest.mark.usefixtures("sandbox")
def test_synth_cli_end_to_end(tmp_path, capsys):
    llm = ScriptedLLM()
    script_three_tasks(llm)
    teach = OpenAIDouble(default=teacher, models=("teacher-vl",))
    out = tmp_path / "synth"
    try:
        rc = main(["--apps", "notes", "--n", "3", "--out", str(out), "--llm-url", llm.url, "--model", "scripted-model",
                   "--teacher", teach.url, "--max-rounds", "2", "synth.teacher.rollouts=2",
                   "synth.teacher.min_success=0.5", "synth.teacher.max_success=1.0", "rollout.max_turns=3",
                   "synth.existing=[]"])
        captured = capsys.readouterr()
    finally:
        llm.close()
        teach.close()
    assert rc == 0, captured.err
    summary = json.loads((out / "synth_summary.json").read_text())
    status = sorted(t["status"] for t in summary["tuples"])
    assert status == ["dropped", "kept", "rejected_vote"], summary["tuples"]
    assert {k: summary[k] for k in ("proposed", "agreed", "dropped", "rejected_vote", "rejected_rollout", "kept")} \
        == {"proposed": 3, "agreed": 2, "dropped": 1, "rejected_vote": 1, "rejected_rollout": 0, "kept": 1}
    assert summary["rounds_hist"] == {"1": 1, "2": 2}
    # Calls: proposer 1; generator 2 per task (files, DONE); discriminator 2 + 2 + 1; judges 3 + 3.
    calls = {a: u["calls"] for a, u in summary["usage"].items()}
    assert calls == {"proposer": 1, "generator": 6, "discriminator": 5, "judge": 6, "total": 18}
    assert summary["per_kept_tuple"]["calls"] == 18
    assert summary["usage"]["total"]["prompt_tokens"] == sum(
        len(json.dumps(b["messages"], ensure_ascii=False)) // 4 for b in llm.requests())
    for line in ("proposed 3", "agreed   2", "kept     1", "per kept tuple: 18.0 calls"):
        assert line in captured.out, captured.out
    # The kept tuple: the instruction as written (no majority to revise), every decision in its provenance.
    kept = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith("_")]
    assert len(kept) == 1
    t = load_tuple(kept[0])
    prov = t.config.provenance
    assert t.config.instruction == T1
    assert prov["rounds"] == 2 and prov["vote"]["decision"] == "keep" and prov["vote"]["counts"]["keep"] == 2
    assert prov["rollout"]["keep"] is True and prov["rollout"]["successes"] == 2
    assert prov["validation"]["ok"] is True
    # Its reward was fixed after a miss on the initial state only: the golden state never reached the Discriminator.
    assert prov["golden_shown_to_discriminator"] == 0
    # The teacher's solved rollout became the tuple's golden UI trajectory (replayed by validate below).
    assert prov["golden_actions"].startswith("teacher rollout ") and t.golden_actions() is not None
    # The others are kept with their reasons, out of the dataset's way.
    dropped = next((out / "_dropped").iterdir())
    assert "no agreement after 2 round(s)" in json.loads((dropped / "reason.json").read_text())["reason"]
    rejected = load_tuple(next((out / "_rejected").iterdir()))
    assert rejected.config.provenance["vote"]["decision"] == "reject"
    # The output passes the validator unchanged.
    r = subprocess.run([sys.executable, "-m", "cuagym.cli", "data", "validate", str(out)], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0 and "1/1 tuples passed" in r.stdout, r.stdout + r.stderr
    assert "golden_ui_replay=1                  1       0" in r.stdout, r.stdout
