"""The majority vote: the decision rule against hand-worked cases, and k judges asked over HTTP."""

from __future__ import annotations

import pytest

from cuagym.synth.config import LLMConfig
from cuagym.synth.llm import LLMClient, Transcript
from cuagym.synth.replies import ReplyError
from cuagym.synth.vote import JudgeVote, aggregate, parse_vote, run_vote

from .scripted import ScriptedLLM, judge_reply


def V(verdict: str, revised: str = "") -> JudgeVote:
    return JudgeVote(verdict, {"consistency": 3, "clarity": 3, "hack_safety": 3}, revised)


@pytest.mark.parametrize("verdicts, decision", [
    (["reject", "reject", "keep"], "reject"),                      # 2 of 3 > 1.5
    (["reject", "reject", "reject"], "reject"),
    (["reject", "keep", "revise_instruction"], "keep"),            # 1 of 3: no majority
    (["reject", "keep", "keep"], "keep"),
    (["reject", "reject", "keep", "keep"], "keep"),                # 2 of 4 is a tie, not a strict majority
    (["reject", "reject", "reject", "keep"], "reject"),            # 3 of 4
    (["reject", "abstain", "abstain"], "keep"),                    # abstentions never reject
    (["reject"], "reject"),                                        # k = 1
    (["reject", "keep"], "keep"),                                  # k = 2: 1 of 2 is a tie
    (["reject", "reject", "revise_instruction", "keep", "keep"], "keep"),
    (["revise_instruction", "revise_instruction", "keep"], "revise_instruction"),
    (["revise_instruction", "reject", "keep"], "keep"),
    (["revise_instruction", "revise_instruction", "reject", "reject"], "keep"),  # neither has > half
])
def test_decision_rule(verdicts, decision):
    votes = [V(v, f"better wording {i}" if v == "revise_instruction" else "") for i, v in enumerate(verdicts)]
    res = aggregate(votes, "old wording")
    assert res.decision == decision
    assert res.counts["reject"] == verdicts.count("reject")
    if decision == "revise_instruction":
        assert res.instruction == f"better wording {verdicts.index('revise_instruction')}"
    else:
        assert res.instruction == "old wording"


def test_parse_vote_checks_every_field():
    v = parse_vote(judge_reply("revise_instruction", "Pin the note named X.", "ambiguous"))
    assert (v.verdict, v.revised_instruction, v.ratings) == ("revise_instruction", "Pin the note named X.",
                                                             {"consistency": 5, "clarity": 4, "hack_safety": 4})
    with pytest.raises(ReplyError, match="verdict must be one of"):
        parse_vote('{"verdict": "maybe", "consistency": 1, "clarity": 1, "hack_safety": 1}')
    with pytest.raises(ReplyError, match="clarity must be a number from 1 to 5"):
        parse_vote('{"verdict": "keep", "consistency": 1, "clarity": 9, "hack_safety": 1}')
    with pytest.raises(ReplyError, match="needs the better wording"):
        parse_vote('{"verdict": "revise_instruction", "consistency": 1, "clarity": 1, "hack_safety": 1}')
    with pytest.raises(ReplyError, match="no JSON found"):
        parse_vote("I would keep it.")


@pytest.fixture
def llm():
    s = ScriptedLLM()
    yield s
    s.close()


def _vote(llm, judges=3):
    client = LLMClient(LLMConfig(base_url=llm.url, model="judge-model", backoff_s=0.01), api_key="")
    msgs = [{"role": "system", "content": "ROLE: judge\nreview"}, {"role": "user", "content": "the tuple"}]
    tr = Transcript()
    return run_vote(client, msgs, "old wording", judges, 0.7, tr), tr


def test_three_judges_over_http_two_rejects_reject(llm):
    llm.add("judge", "", judge_reply("reject", reason="reward ignores other notes"), judge_reply("keep"),
            judge_reply("reject", reason="hackable"))
    res, tr = _vote(llm)
    assert res.decision == "reject" and res.counts == {"keep": 1, "revise_instruction": 0, "reject": 2, "abstain": 0}
    assert len(llm.requests("judge")) == 3 and tr.usage()["judge"].calls == 3
    assert all(b["temperature"] == 0.7 for b in llm.requests("judge"))


def test_one_reject_of_three_keeps_and_unreadable_judge_abstains(llm):
    llm.add("judge", "", judge_reply("reject"), "I think it is fine", "still no json", judge_reply("keep"))
    res, tr = _vote(llm)
    assert res.decision == "keep"
    assert [v.verdict for v in res.votes] == ["reject", "abstain", "keep"]
    assert "unreadable answer" in res.votes[1].reason
    # The unreadable judge was asked once more, with the reason its answer could not be used.
    retry = llm.requests("judge")[2]["messages"][-1]["content"]
    assert retry.startswith("Your answer could not be used: no JSON found")
    assert tr.usage()["judge"].calls == 4
