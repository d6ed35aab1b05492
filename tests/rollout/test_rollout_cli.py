"""``cuagym rollout`` end to end: real hub, sandboxed tuple scripts, Chromium; the golden policy,
a served policy over OpenAI-compatible HTTP, and (slow) the tiny model; bad input refused clearly."""

from __future__ import annotations

import base64
import io
import json
import math

import pytest
from PIL import Image

from cuagym.commands.rollout_cli import main
from cuagym.commands.view_cli import main as view_main
from cuagym.rollout.trajectory import iter_trajectories

from ..openai_double import OpenAIDouble, completion

TUPLE = "notes.add_tag.apartment_urgent"


@pytest.mark.usefixtures("sandbox")
def test_golden_policy_solves_the_tuple_and_the_run_is_viewable(tmp_path, capsys):
    out = tmp_path / "golden"
    rc = main(["--config", "configs/tiny.yaml", "--tuples", "data/tuples/notes", "--only", TUPLE, "--policy", "golden",
               "--group-size", "2", "--out", str(out), "rollout.max_turns=6"])
    printed = capsys.readouterr()
    assert rc == 0, printed.err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["trajectories"] == 2 and summary["success_rate"] == 1.0 and summary["env_failures"] == 0
    assert summary["per_app"]["notes"]["success_rate"] == 1.0 and summary["invalid_calls"] == 0
    assert summary["actions_per_step"] > 1.0  # the golden plan types and presses Enter in one turn
    table = printed.out.splitlines()
    assert table[0].split()[:3] == ["app", "trajs", "success"] and table[1].split()[:3] == ["notes", "2", "1.00"]
    assert json.loads(printed.out[printed.out.index("{"):]) == summary
    assert f"[1/1 groups] {TUPLE}: rewards 1,1" in printed.err
    trajs = list(iter_trajectories(out))
    group = trajs[0].group_id  # one group of two episodes: GROUP-0 and GROUP-1
    assert group.startswith(f"{TUPLE}-") and sorted(t.traj_id for t in trajs) == [f"{group}-0", f"{group}-1"]
    assert all(t.reward == 1.0 and t.termination == "terminate" for t in trajs)
    assert view_main([str(out)]) == 0 and (out / "view" / "t" / f"{group}-0.html").exists()
    # A second run into the same directory would interleave trajectories: refused.
    assert main(["--tuples", "data/tuples/notes", "--policy", "golden", "--out", str(out)]) == 2
    assert "already holds trajectories" in capsys.readouterr().err


@pytest.mark.usefixtures("sandbox")
def test_a_served_policy_drives_the_rollout_over_http(tmp_path, capsys):
    def policy(body):
        # Turn 1 clicks through an OpenAI computer action in screenshot pixels; turn 2 terminates.
        turn = sum(m["role"] == "assistant" for m in body["messages"])
        if turn == 0:
            call = {"name": "computer", "arguments": json.dumps({"type": "click", "x": 640, "y": 400})}
            return 200, completion(None, tool_calls=[{"id": "c", "type": "function", "function": call}]), {}
        return 200, completion('<tool_call>{"name": "computer_use", "arguments": {"action": "terminate", '
                               '"status": "failure"}}</tool_call>'), {}

    double = OpenAIDouble(default=policy)
    try:
        out = tmp_path / "served"
        rc = main(["--config", "configs/tiny.yaml", "--tuples", f"data/tuples/notes/{TUPLE}", "--policy", double.url,
                   "--group-size", "2", "--out", str(out), "rollout.max_turns=4"])
        err = capsys.readouterr().err
        assert rc == 0, err
    finally:
        double.close()
    assert len(double.requests) == 4  # 2 episodes x 2 turns
    first = double.requests[0]["messages"]
    assert first[0]["role"] == "system" and "computer_use" in first[0]["content"]
    url = first[1]["content"][1]["image_url"]["url"]
    shot = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert shot.size == (1280, 800)  # the full screenshot, not the tiny model's resized one
    second = next(r["messages"] for r in double.requests if len(r["messages"]) > 2)
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert second[2]["content"].startswith("<tool_call>") and second[3]["content"][0]["text"] == "OK\n"
    trajs = list(iter_trajectories(out))
    assert len(trajs) == 2 and all(t.termination == "terminate" and t.reward is not None for t in trajs)
    for t in trajs:
        click = t.steps[0].actions[0]
        assert click["type"] == "click" and click["frame"] == "relative_999"
        assert click["x"] == pytest.approx(640 / 1279 * 999, abs=0.06)
        # A hosted policy's log-probs are absent, and say so.
        assert all(math.isnan(v) for s in t.steps for v in s.logprobs)


@pytest.fixture
def run(capsys):
    """``run(*argv)``: `cuagym rollout` with these arguments; returns (exit code, what it wrote to stderr)."""
    def _run(*argv):
        rc = main(list(argv))
        return rc, capsys.readouterr().err

    return _run


def test_bad_input_is_refused_with_the_reason(tmp_path, run):
    out = ["--out", str(tmp_path / "o")]
    rc, err = run("--tuples", str(tmp_path / "missing"), "--policy", "golden", *out)
    assert rc == 2 and "no such directory" in err
    rc, err = run("--tuples", "data/tuples/notes", "--only", "zzz", "--policy", "golden", *out)
    assert rc == 2 and "no tuples" in err and "--only zzz" in err
    rc, err = run("--tuples", "data/tuples/notes", "--policy", "golden", "--group-size", "1", *out)
    assert rc == 2 and "group_size must be >= 2" in err
    rc, err = run("--tuples", "data/tuples/notes", "--policy", "golden", *out, "rollout.bogus=3")
    assert rc == 2 and "bogus" in err
    rc, err = run("--tuples", "data/tuples/notes", "--policy", "golden", *out, "stray")
    assert rc == 2 and "unexpected argument(s) stray" in err
    rc, err = run("--tuples", "data/tuples/notes", "--policy", "golden", "--frobnicate", *out)
    assert rc == 2 and "--frobnicate" in err
    rc, err = run("--tuples", "data/tuples/notes", "--policy", "golden")
    assert rc == 2 and "--out" in err
    rc, err = run("--config", str(tmp_path / "nope.yaml"), "--tuples", "data/tuples/notes", *out)
    assert rc == 2 and "no such file" in err
    rc, err = run("--tuples", "data/tuples/notes", "--policy", str(tmp_path / "no_policy"), *out)
    assert rc == 2 and "no such checkpoint directory" in err and "cuagym model build-tiny" in err


@pytest.mark.usefixtures("sandbox")
def test_unusable_engine_or_server_is_refused_with_the_reason(tmp_path, run, tiny_policy_dir):
    out = ["--out", str(tmp_path / "o")]
    rc, err = run("--config", "configs/tiny.yaml", "--tuples", "data/tuples/notes", "--limit", "1", "--policy",
                  str(tiny_policy_dir), *out, "rollout.engine=vllm")
    assert rc == 2 and "rollout.engine=vllm needs the vllm package" in err
    rc, err = run("--tuples", "data/tuples/notes", "--limit", "1", "--policy", "http://127.0.0.1:9/v1",
                  "--out", str(tmp_path / "o2"), "--api-key-env", "")
    assert rc == 1 and "ConnectionRefusedError" in err


@pytest.mark.slow
@pytest.mark.usefixtures("sandbox")
def test_tiny_policy_group_of_four_records_token_ids_and_logprobs(tmp_path, capsys, tiny_policy_dir):
    out = tmp_path / "tiny"
    rc = main(["--config", "configs/tiny.yaml", "--tuples", f"data/tuples/notes/{TUPLE}", "--policy",
               str(tiny_policy_dir), "--group-size", "4", "--out", str(out), "rollout.max_turns=2",
               "rollout.max_new_tokens=8"])
    assert rc == 0, capsys.readouterr().err
    trajs = list(iter_trajectories(out))
    assert len(trajs) == 4 and all(len(t.steps) == 2 for t in trajs)
    for t in trajs:
        for s in t.steps:
            assert 0 < len(s.gen_ids) == len(s.logprobs) <= 8 and all(math.isfinite(v) and v <= 0 for v in s.logprobs)
            assert s.errors or s.actions  # random weights: malformed output is recorded, never a crash
    summary = json.loads((out / "summary.json").read_text())
    assert summary["trajectories"] == 4 and summary["steps_per_trajectory"] == 2.0
