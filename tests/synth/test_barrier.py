"""The information barrier between the Generator and the Discriminator, checked on the wire.

The scripted LLM server records every request. The Generator's golden patch writes a generated
marker that exists only in the golden state; the Discriminator's first request must not contain it
(nor any other value found in the golden state but not in the initial state): its first reward is
written from the task, the schema and the initial state alone. A golden value may reach it only in
a later round, after its reward scored a state wrongly and that state was shown as the evidence.
The other way round, the Generator never sees reward.py or the Discriminator's prose."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

import pytest

from cuagym.data.sandbox import Limits
from cuagym.data.validate import HubEndpoints
from cuagym.synth.agents import AppInfo, TaskSpec, schema_doc
from cuagym.synth.config import LLMConfig, SynthConfig
from cuagym.synth.execution import ScriptRunner
from cuagym.synth.llm import LLMClient, Transcript
from cuagym.synth.orchestrator import Agreement, Orchestrator

from .scripted import (_HEAD, GEN_CANARIES, PIN_CRITERIA, PIN_INSTRUCTION, REWARD_ALWAYS_ONE, REWARD_GOOD, ScriptedLLM,
                       files_reply, generator_files, generator_reply, marker_generator_reply, patch, reward_reply)

pytestmark = [pytest.mark.usefixtures("sandbox"), pytest.mark.hub(["notes"])]

SPEC = TaskSpec("notes.synth.pin_note.barrier01", ("notes",), PIN_INSTRUCTION, tuple(PIN_CRITERIA), "easy",
                "notes.synth.pin_note")

# Every note field must stay as it was, except the target's "pinned": gives the marker's golden state 0.5.
REWARD_STRICT = _HEAD + '''d = g.json()
before = {n["id"]: n for n in d["initial_state"]["notes"]}
after = {n["id"]: n for n in d["current_state"]["notes"]}
target = [i for i, n in before.items() if n["title"] == "Statistics refresher"]
ok = len(target) == 1 and after.get(target[0], {}).get("pinned") is True
same = set(after) == set(before) and all(
    {k: v for k, v in after[i].items() if not (i in target and k == "pinned")}
    == {k: v for k, v in n.items() if not (i in target and k == "pinned")} for i, n in before.items())
print("target pinned:", ok, "everything else as it was:", same)
print(f"REWARD: {1.0 if ok and same else (0.5 if ok else 0.0)}")
'''


@pytest.fixture
def llm():
    s = ScriptedLLM()
    yield s
    s.close()


def make(llm: ScriptedLLM, hub: HubEndpoints, **kw) -> tuple[Orchestrator, SynthConfig]:
    cfg = replace(SynthConfig(llm=LLMConfig(base_url=llm.url, model="", backoff_s=0.01)), **kw)
    runner = ScriptRunner(hub, ["notes"], Limits(timeout_s=30))
    apps = [AppInfo("notes", schema_doc("notes"), runner.seed())]
    return Orchestrator(LLMClient(cfg.llm, api_key=""), cfg, runner, apps), cfg


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]


def golden_only_values(ag: Agreement) -> set[str]:
    """Text values of the golden state that the initial state does not hold, as they could appear in a
    prompt (raw, or JSON-encoded as the rendered states and diffs write them)."""
    initial = {json.dumps(v) for v in _leaves(ag.run.states["initial"].current)}
    out = set()
    for v in _leaves(ag.run.states["golden"].current):
        if isinstance(v, str) and len(v) >= 6 and json.dumps(v) not in initial:
            out |= {v, json.dumps(v, ensure_ascii=False)[1:-1]}
    return out


def wire_text(body: dict) -> str:
    return "\n".join(str(m.get("content") or "") for m in body["messages"])


def leaked(body: dict, values: set[str], marker: str) -> list[str]:
    text = wire_text(body)
    return sorted(v[:80] for v in values | {marker} if v in text)


def disagreed_on_golden(ag: Agreement, before_round: int) -> bool:
    """A round before ``before_round`` recorded the reward scoring the golden state wrongly."""
    return any(d.startswith("golden:") for r in ag.log[:before_round - 1] for d in r.discriminator)


def check_barrier(llm: ScriptedLLM, ag: Agreement, marker: str) -> list[bool]:
    """Asserts the barrier on every Discriminator request; returns, per request, whether golden values
    were in it. Request k (0-based) is round k + 1's (one call per round in these scripts)."""
    values = golden_only_values(ag)
    assert any(marker in v for v in values), "the marker must be a golden-only value for the check to mean anything"
    assert marker in json.dumps(llm.requests("generator")), "the Generator wrote the marker"
    disc = llm.requests("discriminator")
    first = leaked(disc[0], values, marker)
    assert not first, f"the Discriminator's first request holds golden-only values: {first}"
    seen = []
    for k, body in enumerate(disc):
        got = leaked(body, values, marker)
        assert not got or disagreed_on_golden(ag, k + 1), (
            f"request {k + 1} (round {k + 1}) holds golden-only values {got} with no earlier disagreement on the "
            f"golden state; rounds: {[r.summary() for r in ag.log]}")
        seen.append(bool(got))
    return seen


def test_the_first_reward_is_written_blind(tmp_path, hub_endpoints, llm):
    marker = f"GOLDEN-ONLY-{uuid.uuid4().hex[:12]}"
    llm.add("generator", "", marker_generator_reply(marker), "DONE")
    llm.add("discriminator", "", reward_reply(REWARD_GOOD))
    orch, _ = make(llm, hub_endpoints)
    ag = orch.run(SPEC, tmp_path / "work", Transcript())
    assert ag.agreed and ag.rounds == 1, [r.summary() for r in ag.log]
    assert check_barrier(llm, ag, marker) == [False]
    first = wire_text(llm.requests("discriminator")[0])
    # What it does get: the task, the criteria, the schema and the initial state.
    assert PIN_INSTRUCTION in first and PIN_CRITERIA[0] in first and "notes.*.pinned" in first
    assert '"title":"Statistics refresher"' in first


@pytest.mark.parametrize("case", ["initial", "golden"])
def test_golden_values_reach_the_discriminator_only_after_it_misjudged_the_golden_state(tmp_path, hub_endpoints,
                                                                                        llm, case):
    """``initial``: the first reward gives every state 1, so the initial state, both near misses and the
    damage probe are evidence, and none of them holds the marker. ``golden``: the first reward gives the
    golden state 0.5; that state is the evidence of round 2, so the marker may (and does) reach it."""
    marker = f"GOLDEN-ONLY-{uuid.uuid4().hex[:12]}"
    llm.add("generator", "", marker_generator_reply(marker), "DONE")
    llm.add("discriminator", "", reward_reply(REWARD_ALWAYS_ONE if case == "initial" else REWARD_STRICT),
            reward_reply(REWARD_GOOD))
    orch, _ = make(llm, hub_endpoints)
    ag = orch.run(SPEC, tmp_path / "work", Transcript())
    assert ag.agreed and ag.rounds == 2, [r.summary() for r in ag.log]
    seen = check_barrier(llm, ag, marker)
    if case == "initial":
        assert set(ag.log[0].discriminator) == {"initial: expected 0, got 1", "near miss 1: expected below 1, got 1",
                                                "near miss 2: expected below 1, got 1",
                                                "damaged task-done: expected below 1, got 1"}
        assert seen == [False, False]
        assert ag.golden_shown == 0
    else:
        assert ag.log[0].discriminator == ["golden: expected 1, got 0.5"]
        assert seen == [False, True]
        assert ag.golden_shown == 2  # the round whose request first showed it
        feedback = llm.requests("discriminator")[1]["messages"][-1]["content"]
        assert "everything else as it was: False" in feedback  # its own script's output on that state


def test_discriminator_never_sees_generator_files_or_reasoning(tmp_path, hub_endpoints, llm):
    llm.add("generator", "", generator_reply(), "DONE")
    llm.add("discriminator", "", reward_reply(REWARD_ALWAYS_ONE), reward_reply(REWARD_GOOD))
    orch, _ = make(llm, hub_endpoints)
    ag = orch.run(SPEC, tmp_path / "work", Transcript())
    assert ag.agreed
    gen_wire = json.dumps(llm.requests("generator"))
    disc_wire = json.dumps(llm.requests("discriminator"))
    assert all(c in gen_wire for c in GEN_CANARIES)  # the canaries were in flight ...
    for c in GEN_CANARIES:  # ... and never reached the Discriminator
        assert c not in disc_wire, c
    for marker in ("initial_setup.py", "golden_patch.py", "near_miss/", "wrong_note", "pins_two"):
        assert marker not in disc_wire, marker
    # Workspaces are separate folders; the Discriminator's holds its reward only.
    assert sorted(p.name for p in (tmp_path / "work" / "discriminator").rglob("*") if p.is_file()) == ["reward.py"]
    assert (tmp_path / "work" / "generator" / "golden_patch.py").is_file()


DISC_CANARIES = ("DISC-CANARY-REWARD-3b7f", "DISC-REASONING-CANARY-a1c8")


def test_generator_sees_scores_and_dispute_reasons_never_the_reward(tmp_path, hub_endpoints, llm):
    # Golden pins the target and also another note: a valid but wrong state (the reward gives it 0.5).
    files = generator_files()
    files["golden_patch.py"] = patch("Statistics refresher", "Launch risks")
    llm.add("generator", "not only", generator_reply())
    llm.add("generator", "", files_reply("first try", files))
    reward = REWARD_GOOD + f"# {DISC_CANARIES[0]}\n"
    llm.add("discriminator", "", reward_reply(reward, prose=f"{DISC_CANARIES[1]}: I match the note by title."),
            'DISPUTE: the task-done state also pins "Launch risks", not only the target note.')
    orch, _ = make(llm, hub_endpoints, generator_self_checks=0)
    ag = orch.run(SPEC, tmp_path / "work", Transcript())
    assert ag.agreed and ag.rounds == 2, [r.summary() for r in ag.log]
    gen = llm.requests("generator")
    feedback = gen[-1]["messages"][-1]["content"]
    assert "Launch risks" in feedback  # the dispute's reason ...
    assert "golden_patch.py: 0.5" in feedback and "near_miss/wrong_note.py: 0" in feedback  # ... and the scores
    gen_wire = json.dumps(gen)
    for c in DISC_CANARIES:
        assert c in json.dumps(llm.requests("discriminator")), c
        assert c not in gen_wire, c
    assert "REWARD:" not in gen_wire and "reward.py" not in gen_wire


def test_the_discriminator_context_is_an_allow_list():
    """The barrier by construction: what the Discriminator is built from and told has no field for a
    script, a file, a Generator message or anything computed from the golden state; adding one must
    be a deliberate change to this test (the wire tests above check what the fields carry)."""
    import inspect
    from dataclasses import fields

    from cuagym.synth.agents import Discriminator, DiscriminatorBrief, RewardEvidence

    assert [f.name for f in fields(DiscriminatorBrief)] == ["apps", "schema_doc", "instruction", "success_criteria",
                                                           "initial_state"]
    assert list(inspect.signature(DiscriminatorBrief.of).parameters) == ["spec", "apps", "initial", "max_chars"]
    assert [f.name for f in fields(RewardEvidence)] == ["check", "expected", "got", "output", "state"]
    assert list(inspect.signature(Discriminator.__init__).parameters) == ["self", "llm", "transcript", "cfg", "brief",
                                                                         "workspace"]
    assert list(inspect.signature(Discriminator.revise).parameters) == ["self", "evidence", "brief"]
