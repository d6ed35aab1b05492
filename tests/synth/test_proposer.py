"""The task proposer over HTTP: proposals become task specs with ids and families, duplicates of
existing tuples (and of each other) are dropped, unusable items are recorded with why, and an
unreadable reply is answered with the reason and asked again for the shortfall."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cuagym.data.format import ID_PATTERN
from cuagym.hub.notes.seed import seed_state
from cuagym.synth.agents import AppInfo, schema_doc
from cuagym.synth.config import LLMConfig
from cuagym.synth.llm import LLMClient, Transcript
from cuagym.synth.proposer import Proposer, existing_instructions, similarity

from .scripted import ScriptedLLM, pin_proposal, proposal_reply

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "tuples"


@pytest.fixture
def llm():
    s = ScriptedLLM()
    yield s
    s.close()


def test_similarity_is_case_and_punctuation_blind():
    assert similarity('Pin the note "Cardamom buns".', "pin the note cardamom buns") == 1.0
    assert similarity("Pin the note Cardamom buns", "Archive every mail from Dana") < 0.5


def test_existing_instructions_are_read_per_app():
    notes = existing_instructions([BUNDLED], "notes")
    assert 'Pin the note "Cardamom buns".' in notes and len(notes) >= 30
    assert 'Pin the note "Cardamom buns".' not in existing_instructions([BUNDLED], "mail")


def test_proposals_deduplicated_validated_and_topped_up(llm):
    existing = existing_instructions([BUNDLED], "notes")
    llm.add("proposer", "", proposal_reply(
        pin_proposal("Cardamom buns", 'Pin the note "Cardamom buns"'),          # duplicate of a bundled tuple
        pin_proposal(),                                                          # new
        pin_proposal(instruction='Pin the note "Statistics refresher" so it shows at the top of the list!'),
        {"instruction": "Tag the soup recipe as vegetarian.", "success_criteria": []},                      # unusable
    ), "Sorry, here: [{oops}]", proposal_reply(
        {"instruction": 'Move the note "Car service" to the notebook "Personal".',
         "success_criteria": ['"Car service" is in "Personal".'], "difficulty": "weird", "family": "Move Note"}))
    client = LLMClient(LLMConfig(base_url=llm.url, model="m", backoff_s=0.01), api_key="")
    app = AppInfo("notes", schema_doc("notes"), seed_state())
    tr = Transcript()
    props = Proposer(client, 0.85, 24000).propose([app], 2, ["a researcher"], existing, tr)
    assert [s.instruction for s in props.specs] == [
        'Pin the note "Statistics refresher" so it shows at the top of the list.',
        'Move the note "Car service" to the notebook "Personal".']
    assert len(props.duplicates) == 2  # the bundled paraphrase and the near-copy of the new one
    assert any("success_criteria must be a non-empty list" in x for x in props.invalid)
    assert any(x.startswith("unreadable reply: invalid JSON") for x in props.invalid)
    s0, s1 = props.specs
    assert ID_PATTERN.match(s0.id) and s0.id.startswith("notes.synth.pin_note.") and s0.family == "notes.synth.pin_note"
    assert s1.difficulty == "medium" and s1.family == "notes.synth.move_note"
    reqs = llm.requests("proposer")
    assert len(reqs) == 3
    first = reqs[0]["messages"][-1]["content"]
    # The ask lists existing instructions (the most recent 60) so the model does not repeat them.
    assert "Propose 2 new tasks" in first and json.dumps(existing[-1])[1:-1] in json.dumps(first)
    third = reqs[2]["messages"][-1]["content"]
    assert third.startswith("Your last reply could not be used: invalid JSON") and "Propose 1 new tasks" in third
    assert tr.usage()["proposer"].calls == 3


def test_cross_app_proposals_use_every_app(llm):
    from cuagym.hub.calendar.seed import seed_state as calendar_seed

    llm.add("proposer", "", proposal_reply(
        {"instruction": "Put the design review from my calendar into a note titled Reviews.",
         "success_criteria": ["A note titled Reviews names the design review's date."], "family": "review_note"}))
    client = LLMClient(LLMConfig(base_url=llm.url, model="m", backoff_s=0.01), api_key="")
    apps = [AppInfo("notes", schema_doc("notes"), seed_state()),
            AppInfo("calendar", schema_doc("calendar"), calendar_seed())]
    existing = existing_instructions([BUNDLED], ["chat", "calendar"])
    assert len(existing) == 2  # the bundled chat + calendar tasks
    props = Proposer(client, 0.85, 24000).propose(apps, 1, ["an executive assistant"], [])
    (spec,) = props.specs
    assert spec.apps == ("notes", "calendar") and spec.id.startswith("cross.synth.review_note.")
    system = llm.requests("proposer")[0]["messages"][0]["content"]
    assert 'Each task must need every one of these apps ("notes", "calendar")' in system
