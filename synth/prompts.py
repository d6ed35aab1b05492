"""What each agent is told. Each system prompt opens with ``ROLE: <agent>`` so transcripts (and a
scripted test server) can tell the agents apart on the wire.

The Discriminator's messages are built only from :class:`~cuagym.synth.agents.DiscriminatorBrief`
(its first, blind, request: no golden state in it) and :class:`~cuagym.synth.agents.RewardEvidence`
(later rounds): nothing here takes a Generator file.
"""

from __future__ import annotations

SCRIPT_CONTRACT = """\
How tuple scripts reach the app (every script runs alone in a sandbox with Python 3 and `requests`,
no network but the app, no files but itself):
- Environment: CUA_HUB_URL_{APP} (the app's base URL, APP upper-case, e.g. CUA_HUB_URL_NOTES; a task
  that uses several apps has one per app), CUA_SID (the session id, the same in every app),
  CUA_GYM_ADMIN_TOKEN (send it as header X-CUA-Admin-Token on every request).
- GET  {base}/go?sid=SID  -> {"initial_state": ..., "current_state": ..., "state_diff": ...}.
  A fresh session starts from the app's seed state. state_diff maps dotted paths to {"old", "new"}.
- POST {base}/post?sid=SID with JSON {"action": "set", "state": S} sets the initial AND current state to S;
  {"action": "set_current", "state": S} sets only the current state. States are validated against the
  schema: an invalid state is refused with HTTP 422 and a message.
- Use timeout=10 on every request and call raise_for_status(); no other imports than os, json, re,
  datetime, copy and requests.
Example (the start of a script):
    import os, requests
    BASE, SID = os.environ["CUA_HUB_URL_NOTES"], os.environ["CUA_SID"]
    H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}
    g = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10); g.raise_for_status()
"""

FILE_FORMAT = """\
Write each file as a line `FILE: <name>` followed by one fenced ```python block. Nothing else is read."""

PROPOSER = """\
ROLE: proposer
You propose tasks for training computer-use agents on mock web apps. A task is what a real person in
the given line of work would ask an assistant to do: concrete (names the exact items and values),
checkable from the apps' state alone, and done through the UI in a few to a few dozen actions.
Success criteria are a short list of conditions on the final state, including what must NOT change.
{cross}Do not repeat or paraphrase the existing tasks you are shown. Tasks may assume a setup script
adapts the seed state (adds the items the task needs).

{apps_text}
"""

PROPOSER_ASK = """\
Propose {n} new tasks for these workflows: {topics}.
Answer with one JSON array in a ```json block; each item:
{{"instruction": "...", "success_criteria": ["...", "..."], "difficulty": "easy|medium|hard",
  "family": "a short snake_case name of the task template", "topic": "the workflow it comes from"}}
{existing}"""

GENERATOR = """\
ROLE: generator
You build the environment side of a training task for a computer-use agent in the mock web app(s)
{apps}. For the task you are given, write:
- initial_setup.py: puts the app into the state the task starts from (start from the seed with /go's
  initial_state, change what the task needs, then POST action "set"). The task must not already be done.
- golden_patch.py: runs after the setup and turns the current state into one where the task is done
  exactly as the instruction asks, changing nothing else (read current_state, POST action "set_current").
- near_miss/<name>.py (at least {near_misses}): patches like golden_patch.py that a careless agent might
  produce and that must NOT count as success: part of the task, the right change on the wrong item,
  extra damage. Start each with a docstring saying what it gets wrong.
You may be shown the states your scripts produce and asked to fix them. Someone else writes the
reward check from the task text and the initial state alone, without your scripts or the golden
state; make the states follow the task exactly. If that reviewer disputes one of your states, you get
its reason and how its check scored each of your states.

{contract}
{apps_text}

{file_format}
"""

GENERATOR_TASK = """\
Task id: {id}
Instruction (what the agent is asked): {instruction}
Success criteria:
{criteria}
Write initial_setup.py, golden_patch.py and at least {near_misses} near_miss/<name>.py files."""

GENERATOR_SELF_CHECK = """\
Your scripts ran in the sandbox against a fresh session. Results:
{report}

If these are the states the task needs, reply with the single word DONE. Otherwise send the
corrected files (only the files you change; if you change any near miss, send all of them)."""

GENERATOR_FEEDBACK = """\
The pipeline ran your scripts and found a problem you must fix:
{feedback}

Send the corrected files (only the files you change; if you change any near miss, send all of them)."""

DISCRIMINATOR = """\
ROLE: discriminator
You write reward.py, the check that decides whether a computer-use agent completed a task in the
mock web app(s) {apps}. You get the task, the schemas and the state the task starts from (for
several apps, states are {{app: state}} and changed paths read app:path); decide from the task
itself which changes complete it. Another agent independently builds states that do the task and
that fall short of it; your reward is run on them, and you are shown a state only when your reward
scored it wrongly. The agent may reach the goal by any UI path, so check the
outcome (the final state compared with the initial state), never the exact steps or UI-only fields
(selection, scroll, open views) unless the task is about them. Timestamps and new ids the UI assigns
are not predictable: match items by their content.
reward.py reads /go, compares initial_state with current_state, prints what it checked, and prints
`REWARD: x` as its LAST line with x in [0, 1]: 1 only when every success criterion holds and nothing
else was damaged, 0 for the untouched initial state; partial credit below 1 is allowed.
If you are told your reward scored a state wrongly and you are sure the STATE is wrong (the golden
state does not do what the task asks, or a "near miss" state actually completes it), reply
`DISPUTE: <why>` instead of a file.

{contract}
{apps_text}

{file_format}
"""

DISCRIMINATOR_TASK = """\
Task: {instruction}
Success criteria:
{criteria}

The initial state (the task starts here; reward.py must give it 0):
{initial_state}

reward.py must give 1 to every state where the task is done as the instruction asks and nothing else
was changed, and less than 1 to every state that falls short. Write reward.py."""

DISCRIMINATOR_FEEDBACK = """\
Your reward.py was run on states built by another agent and scored these wrongly (each is shown as
the changes that turn the initial state into it):
{evidence}

Send a corrected reward.py, or `DISPUTE: <why>` if a state itself is wrong."""

JUDGE = """\
ROLE: judge
You review a synthesised training task for a computer-use agent in the mock web app(s) {apps}: the
instruction the agent sees, its success criteria, the reward script that scores the final state, and
what changes when the task is done. Rate 1 (bad) to 5 (good):
- consistency: the reward checks exactly what the instruction asks (no more, no less);
- clarity: a careful person could do the task from the instruction alone, with one right outcome;
- hack_safety: the reward cannot be fooled (e.g. by deleting items, changing every item, or touching
  unrelated fields) - 5 means safe.
Verdict: "keep"; "revise_instruction" (the task is sound but the wording is unclear: give the better
wording in "revised_instruction", same meaning, same checks); or "reject" (unsound, unsolvable, or
exploitable).
Answer with one JSON object in a ```json block:
{{"consistency": n, "clarity": n, "hack_safety": n, "verdict": "keep|revise_instruction|reject",
  "revised_instruction": "", "reason": "one or two sentences"}}
"""

JUDGE_TASK = """\
Instruction: {instruction}
Success criteria:
{criteria}

reward.py:
```python
{reward}
```

Fields that change when the task is done:
{golden_diff}

States built to fall short of the task, and what reward.py gave them:
{near_misses}"""


def bullets(items: list[str] | tuple[str, ...]) -> str:
    return "\n".join(f"- {c}" for c in items) or "- (none given)"


CROSS_APP = """Each task must need every one of these apps ({apps}): information or work flows between them.
"""
