"""Generator/Discriminator rounds against a real hub and the real sandbox, with the LLM replaced by a
scripted OpenAI-compatible server over loopback HTTP: a reward that scores the initial state 1 is
caught in round 1 and fixed in round 2; a dispute of the golden state goes to the Generator; a task
that never agrees is dropped with its reason. The information barrier itself is tested in
test_barrier.py."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from cuagym.data.format import load_tuple
from cuagym.data.sandbox import Limits
from cuagym.data.validate import HubEndpoints, validate_tuple
from cuagym.hub.launcher import HubProcess
from cuagym.synth.agents import AppInfo, TaskSpec, schema_doc
from cuagym.synth.config import LLMConfig, SynthConfig
from cuagym.synth.execution import ScriptRunner
from cuagym.synth.llm import LLMClient, Transcript, read_transcript
from cuagym.synth.orchestrator import Orchestrator
from cuagym.synth.pipeline import SynthPipeline

from .scripted import (PIN_CRITERIA, PIN_INSTRUCTION, REWARD_ALWAYS_ONE, REWARD_GOOD, ScriptedLLM, generator_reply,
                       reward_reply)

pytestmark = [pytest.mark.usefixtures("sandbox"), pytest.mark.hub(["notes"])]

SPEC = TaskSpec("notes.synth.pin_note.test01", ("notes",), PIN_INSTRUCTION, tuple(PIN_CRITERIA), "easy",
                "notes.synth.pin_note")


@pytest.fixture
def llm():
    s = ScriptedLLM()
    yield s
    s.close()


def make(llm: ScriptedLLM, hub: HubEndpoints, **kw):
    cfg = replace(SynthConfig(llm=LLMConfig(base_url=llm.url, model="", backoff_s=0.01)), **kw)
    client = LLMClient(cfg.llm, api_key="")
    runner = ScriptRunner(hub, ["notes"], Limits(timeout_s=30))
    return cfg, client, runner, [AppInfo("notes", schema_doc("notes"), runner.seed())]


def test_reward_scoring_initial_one_is_caught_in_round_1_and_fixed_in_round_2(tmp_path, hub_endpoints, llm):
    llm.add("generator", "", generator_reply(), "DONE")
    llm.add("discriminator", "", reward_reply(REWARD_ALWAYS_ONE), reward_reply(REWARD_GOOD))
    cfg, client, runner, apps = make(llm, hub_endpoints)
    assert client.model == "scripted-model"  # discovered at /v1/models
    transcript = Transcript()
    ag = Orchestrator(client, cfg, runner, apps).run(SPEC, tmp_path / "work", transcript)

    assert ag.agreed and ag.rounds == 2, [r.summary() for r in ag.log]
    r1, r2 = ag.log
    assert not r1.agreed and r1.generator == []
    assert any(d.startswith("initial: expected 0, got 1") for d in r1.discriminator), r1.discriminator
    assert r2.agreed and r2.discriminator == []
    assert ag.scores == {"initial": "0", "golden": "1", "near_miss/pins_two.py": "0.5",
                         "near_miss/wrong_note.py": "0", "damage_probe": "0.5"}
    assert ag.probe == "notes.n1.body"  # another note's text, edited on top of the task-done state
    # The round-2 request carried the evidence: which state, what was expected, what the script printed.
    disc = llm.requests("discriminator")
    assert len(disc) == 2
    feedback = disc[1]["messages"][-1]["content"]
    assert "initial (the state the task starts from): expected reward 0, got 1" in feedback
    assert "looks done to me" in feedback
    # The near misses it scored 1 are shown as the changes from the initial state; the golden state, which
    # it scored right, is not shown at all (the probe's evidence is its one extra edit).
    assert "near miss 1 (a state built to fall short of the task): expected reward below 1, got 1" in feedback
    assert "notes.n25.pinned: false -> true" in feedback  # pins_two pins the target too
    assert "golden (a state built" not in feedback and ag.golden_shown == 0
    # Accounting: every call is in the transcript, with the server's token counts.
    usage = transcript.usage()
    assert usage["generator"].calls == 2 and usage["discriminator"].calls == 2 and usage["total"].calls == 4
    assert usage["total"].prompt_tokens == sum(len(json.dumps(b["messages"], ensure_ascii=False)) // 4
                                               for b in llm.requests())
    assert usage["total"].estimated_calls == 0


def test_dispute_routes_the_reason_to_the_generator(tmp_path, hub_endpoints, llm):
    # Golden pins the target and also another note: a valid but wrong state (the reward gives 0.5).
    from .scripted import files_reply, generator_files, patch

    files = generator_files()
    files["golden_patch.py"] = patch("Statistics refresher", "Launch risks")
    llm.add("generator", "not only", generator_reply())
    llm.add("generator", "", files_reply("first try", files))
    llm.add("discriminator", "", reward_reply(REWARD_GOOD),
            'DISPUTE: the task-done state also pins "Launch risks", not only the target note.')
    cfg, client, runner, apps = make(llm, hub_endpoints, generator_self_checks=0)
    ag = Orchestrator(client, cfg, runner, apps).run(SPEC, tmp_path / "work", Transcript())
    assert ag.agreed and ag.rounds == 2, [r.summary() for r in ag.log]
    assert ag.log[0].discriminator == ["golden: expected 1, got 0.5"]
    assert ag.log[1].disputes and "Launch risks" in ag.log[1].disputes[0]
    gen = llm.requests("generator")
    assert "Launch risks" in gen[-1]["messages"][-1]["content"]  # the dispute reached the Generator


def test_never_agreeing_task_is_dropped_with_its_reason(tmp_path, hub_endpoints, llm):
    llm.add("generator", "", generator_reply())
    llm.add("discriminator", "", *[reward_reply(REWARD_ALWAYS_ONE)] * 3)
    cfg, client, runner, apps = make(llm, hub_endpoints, max_rounds=3, generator_self_checks=0)
    pipe = SynthPipeline(cfg, tmp_path / "out", hub_endpoints, client, log=lambda m: None)
    outcome, transcript, ag = pipe.agree_and_assemble(SPEC, apps)
    assert not ag.agreed and ag.rounds == 3
    assert outcome.status == "dropped"
    assert ag.reason.startswith("no agreement after 3 round(s)") and "initial: expected 0, got 1" in ag.reason
    d = tmp_path / "out" / "_dropped" / SPEC.id
    saved = json.loads((d / "reason.json").read_text())
    assert saved["reason"] == ag.reason and len(saved["rounds"]) == 3
    assert len((d / "transcript.jsonl").read_text().splitlines()) == 4  # 1 generator + 3 discriminator calls
    assert not (tmp_path / "out" / SPEC.id).exists()
    # A later run into the same folder does not propose it again.
    assert pipe._dropped_instructions(["notes"]) == [PIN_INSTRUCTION] and pipe._dropped_instructions(["mail"]) == []


def test_agreed_task_is_assembled_into_a_tuple_that_validates(tmp_path, hub_endpoints, llm):
    llm.add("generator", "", generator_reply(), "DONE")
    llm.add("discriminator", "", reward_reply(REWARD_GOOD))
    cfg, client, runner, apps = make(llm, hub_endpoints)
    pipe = SynthPipeline(cfg, tmp_path / "out", hub_endpoints, client, log=lambda m: None)
    outcome, transcript, ag = pipe.agree_and_assemble(SPEC, apps)
    assert outcome.status == "kept" and ag.rounds == 1, outcome.reason
    t = load_tuple(tmp_path / "out" / SPEC.id)
    assert t.config.instruction == PIN_INSTRUCTION and [p.name for p in t.near_misses] == ["pins_two.py",
                                                                                          "wrong_note.py"]
    prov = t.config.provenance
    assert prov["source"] == "synth" and prov["model"] == "scripted-model" and prov["rounds"] == 1
    assert prov["validation"]["ok"] is True
    assert validate_tuple(t, hub_endpoints).ok
    path = t.path / "provenance" / "transcript.jsonl"
    calls = read_transcript(path)
    assert [c["agent"] for c in calls] == ["generator", "generator", "discriminator"]
    # The transcript holds exactly what went over the wire, stored without repeating a conversation.
    assert [c["messages"] for c in calls] == [b["messages"] for b in llm.requests()]
    assert [json.loads(x).get("continues") for x in path.read_text().splitlines()] == [None, 0, None]
    assert path.stat().st_size < 0.7 * len(json.dumps([c["messages"] for c in calls]))


def test_a_failing_vote_drops_that_task_only_and_keeps_its_files(tmp_path, hub_endpoints, llm):
    from .scripted import pin_proposal, proposal_reply

    llm.add("proposer", "", proposal_reply(pin_proposal()))
    llm.add("generator", "", generator_reply())
    llm.add("discriminator", "", reward_reply(REWARD_GOOD))
    # No judge replies: the server answers 400 to the judges, as an endpoint that fails would.
    cfg, client, runner, apps = make(llm, hub_endpoints, generator_self_checks=0, existing=[])
    summary = SynthPipeline(cfg, tmp_path / "out", hub_endpoints, client, log=lambda m: None).run(["notes"], 1)
    (o,) = summary.outcomes
    assert o.status == "dropped" and o.reason.startswith("failed: LLMError:") and "HTTP 400" in o.reason
    d = tmp_path / "out" / "_dropped" / o.id
    assert (d / "reward.py").is_file() and (d / "golden_patch.py").is_file()  # the assembled tuple, not lost
    assert json.loads((d / "reason.json").read_text())["reason"] == o.reason
    assert summary.kept == 0 and summary.agreed == 1
    saved = json.loads((tmp_path / "out" / "synth_summary.json").read_text())
    assert saved["dropped"] == 1 and saved["usage"]["total"]["calls"] == 3  # proposer, generator, discriminator


LENIENT = """\
import os, requests
BASE, SID = os.environ["CUA_HUB_URL_NOTES"], os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}
d = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10).json()
flags = lambda s: {n["id"]: (n["pinned"], n["trashed"]) for n in s["notes"] if n["title"] != "Statistics refresher"}
ok = any(n["title"] == "Statistics refresher" and n["pinned"] for n in d["current_state"]["notes"])
print(f"REWARD: {1.0 if ok and flags(d['initial_state']) == flags(d['current_state']) else 0.0}")
"""


def test_damage_probe_catches_a_reward_blind_to_other_edits(tmp_path, hub_endpoints, llm):
    # The lenient reward passes the initial state, the golden state and both near misses; only the
    # probe (task done + another note's text edited) shows it does not check for damage.
    llm.add("generator", "", generator_reply())
    llm.add("discriminator", "", reward_reply(LENIENT), reward_reply(REWARD_GOOD))
    cfg, client, runner, apps = make(llm, hub_endpoints, generator_self_checks=0)
    ag = Orchestrator(client, cfg, runner, apps).run(SPEC, tmp_path / "work", Transcript())
    assert ag.agreed and ag.rounds == 2
    assert ag.log[0].discriminator == ["damaged task-done: expected below 1, got 1"]
    feedback = llm.requests("discriminator")[1]["messages"][-1]["content"]
    assert "one edit the task did not ask for: notes.n1.body" in feedback
    assert 'notes.n1.body: ' in feedback and '(edited)' in feedback  # the diff shows the edit ...
    assert "notes.n25.pinned" not in feedback  # ... and only the edit: the golden state stays unseen


def test_discriminator_may_waive_the_damage_probe(tmp_path, hub_endpoints, llm):
    llm.add("generator", "", generator_reply())
    llm.add("discriminator", "", reward_reply(LENIENT),
            "DISPUTE: damage probe: the task is only about which notes are pinned.")
    cfg, client, runner, apps = make(llm, hub_endpoints, generator_self_checks=0)
    ag = Orchestrator(client, cfg, runner, apps).run(SPEC, tmp_path / "work", Transcript())
    assert ag.agreed and ag.rounds == 2
    assert ag.probe.startswith("waived by the Discriminator: damage probe: the task is only about")
    assert "damage_probe" not in ag.scores
    assert len(llm.requests("generator")) == 1  # the waiver is not sent to the Generator


def test_damage_candidates_skip_touched_items_ids_and_timestamps():
    from cuagym.synth.execution import damage_candidates

    state = {"ui": {"title": "a b c"}, "notes": [
        {"id": "n1", "title": "Target note", "created_at": "2026-01-01 10:00"},
        {"id": "n2", "title": "Other note", "notebook_id": "nb 1", "tag": "x"}],
        "books": [{"id": "b1", "name": "My books"}]}
    got = [(p, s["notes"][1]["title"] if p.startswith("notes") else s["books"][0]["name"])
           for p, s in damage_candidates(state, {"notes.n1.pinned": {"old": False, "new": True}})]
    assert got == [("notes.n2.title", "Other note (edited)"), ("books.b1.name", "My books (edited)")]
    assert state["notes"][1]["title"] == "Other note"  # the input is not modified


def test_cross_app_task_agrees_and_validates(tmp_path, llm):
    """A chat + calendar task, with the scripts a model might write (those of a bundled cross-app tuple):
    states, diffs and the damage probe span both apps; the Discriminator sees both schemas."""
    from pathlib import Path

    from .scripted import files_reply

    src = Path(__file__).resolve().parents[2] / "data" / "tuples" / "cross" / \
        "cross.calendar_answer_in_chat.design_review_time"
    task = json.loads((src / "task_config.json").read_text())
    files = {n: (src / n).read_text() for n in ("initial_setup.py", "golden_patch.py")}
    files.update({f"near_miss/{p.name}": p.read_text() for p in sorted((src / "near_miss").glob("*.py"))})
    llm.add("generator", "", files_reply("Scripts for both apps.", files))
    llm.add("discriminator", "", reward_reply((src / "reward.py").read_text()))
    spec = TaskSpec("cross.synth.answer_in_chat.test01", ("chat", "calendar"), task["instruction"],
                    tuple(task["success_criteria"]), "medium", "cross.synth.answer_in_chat")
    with HubProcess(["chat", "calendar"]) as h:
        hub = HubEndpoints(h.urls, h.admin_token)
        cfg = replace(SynthConfig(llm=LLMConfig(base_url=llm.url, model="m", backoff_s=0.01)),
                      generator_self_checks=0, near_misses=4)
        client = LLMClient(cfg.llm, api_key="")
        runner = ScriptRunner(hub, ["chat", "calendar"], Limits(timeout_s=30))
        seeds = runner.seed()
        assert set(seeds) == {"chat", "calendar"}
        apps = [AppInfo(a, schema_doc(a), seeds[a]) for a in ("chat", "calendar")]
        pipe = SynthPipeline(cfg, tmp_path / "out", hub, client, log=lambda m: None)
        outcome, transcript, ag = pipe.agree_and_assemble(spec, apps)
        assert outcome.status == "kept" and ag.rounds == 1, (outcome.reason, [r.summary() for r in ag.log])
        assert ag.probe.startswith(("chat:", "calendar:")) and float(ag.scores["damage_probe"]) < 1
        assert {k for k, v in ag.run.states["golden"].diff.items()} and \
            all(k.startswith(("chat:", "calendar:")) for k in ag.run.states["golden"].diff)
        t = load_tuple(tmp_path / "out" / spec.id)
        assert t.apps == ["chat", "calendar"] and validate_tuple(t, hub).ok
    gen_system = llm.requests("generator")[0]["messages"][0]["content"]
    assert '## App "chat": seed state' in gen_system and '## App "calendar": seed state' in gen_system
    disc_system = llm.requests("discriminator")[0]["messages"][0]["content"]
    assert '## App "chat": state schema' in disc_system and '## App "calendar": state schema' in disc_system
    assert ": seed state" not in disc_system
    first = llm.requests("discriminator")[0]["messages"][1]["content"]
    assert first.index('{"chat":{') < first.index('"calendar":{')  # the initial state of both apps
