"""Final filter 1: k LLM judges rate a tuple; a strict majority is needed to reject it.

Each judge rates consistency, clarity and hack safety (1-5) and gives a verdict: keep, revise
the instruction (with a better wording), or reject. :func:`aggregate` is the decision rule:

- reject  when more than half of the k judges say reject (k=3: 2 or 3; k=4: 3 or 4);
- revise  when, otherwise, more than half say revise_instruction: the instruction becomes the
          first proposed rewording (the reward and criteria stay as they are);
- keep    otherwise.

A judge whose answer cannot be read (after one re-ask) abstains: it counts in k but never
towards a majority, so unreadable judges can only make a rejection harder.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from cuagym.synth import prompts
from cuagym.synth.llm import LLMClient, Transcript
from cuagym.synth.replies import ReplyError, parse_json

VERDICTS = ("keep", "revise_instruction", "reject")
RATINGS = ("consistency", "clarity", "hack_safety")


@dataclass
class JudgeVote:
    verdict: str                 # keep | revise_instruction | reject | abstain
    ratings: dict[str, int] = field(default_factory=dict)
    revised_instruction: str = ""
    reason: str = ""


@dataclass
class VoteResult:
    decision: str                # keep | revise_instruction | reject
    votes: list[JudgeVote]
    instruction: str             # the instruction to use (revised when decision is revise_instruction)
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "counts": self.counts, "instruction": self.instruction,
                "votes": [asdict(v) for v in self.votes]}


def parse_vote(text: str) -> JudgeVote:
    """A judge's JSON answer as a vote; raises ReplyError naming what is wrong."""
    d = parse_json(text, dict)
    verdict = str(d.get("verdict", "")).strip().lower()
    if verdict not in VERDICTS:
        raise ReplyError(f"verdict must be one of {', '.join(VERDICTS)}, got {d.get('verdict')!r}")
    ratings = {}
    for k in RATINGS:
        v = d.get(k)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 1 <= v <= 5:
            raise ReplyError(f"{k} must be a number from 1 to 5, got {v!r}")
        ratings[k] = int(round(v))
    revised = str(d.get("revised_instruction") or "").strip()
    if verdict == "revise_instruction" and not revised:
        raise ReplyError("verdict revise_instruction needs the better wording in revised_instruction")
    return JudgeVote(verdict, ratings, revised, str(d.get("reason") or "")[:1000])


def aggregate(votes: list[JudgeVote], instruction: str) -> VoteResult:
    """The decision of ``votes`` (see the module docstring); pure, no I/O."""
    k = len(votes)
    counts = {v: sum(1 for x in votes if x.verdict == v) for v in VERDICTS + ("abstain",)}
    if 2 * counts["reject"] > k:
        return VoteResult("reject", votes, instruction, counts)
    if 2 * counts["revise_instruction"] > k:
        new = next(v.revised_instruction for v in votes if v.verdict == "revise_instruction")
        return VoteResult("revise_instruction", votes, new, counts)
    return VoteResult("keep", votes, instruction, counts)


def judge_messages(apps: str, instruction: str, criteria: list[str], reward: str, golden_diff: str,
                   near_misses: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": prompts.JUDGE.format(apps=apps)},
            {"role": "user", "content": prompts.JUDGE_TASK.format(
                instruction=instruction, criteria=prompts.bullets(criteria), reward=reward.rstrip(),
                golden_diff=golden_diff, near_misses=near_misses)}]


def run_vote(llm: LLMClient, messages: list[dict[str, str]], instruction: str, judges: int, temperature: float,
             transcript: Transcript | None = None) -> VoteResult:
    """Ask ``judges`` independent judges (separate conversations) and aggregate their votes."""
    votes = []
    for _ in range(judges):
        convo = list(messages)
        text = llm.chat(convo, agent="judge", transcript=transcript, temperature=temperature)
        try:
            votes.append(parse_vote(text))
        except ReplyError as e:
            convo += [{"role": "assistant", "content": text},
                      {"role": "user", "content": f"Your answer could not be used: {e}. Answer again."}]
            try:
                votes.append(parse_vote(llm.chat(convo, agent="judge", transcript=transcript,
                                                 temperature=temperature)))
            except ReplyError as e2:
                votes.append(JudgeVote("abstain", reason=f"unreadable answer: {e2}"))
    return aggregate(votes, instruction)
