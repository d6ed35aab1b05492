"""A scripted LLM for the synthesis tests: the OpenAI-compatible test double, routing each request
by the agent that sent it (the ``ROLE:`` line of its system message) and by a key found in its
messages (e.g. the task's instruction) to a queue of replies. Plus a notes task written the way
a model would write it, with canary strings in every Generator file and in its prose, so the
information barrier can be checked on the wire."""

from __future__ import annotations

import json
import re
import textwrap
import threading
from typing import Any, Callable

from ..openai_double import OpenAIDouble, completion

Reply = str | Callable[[dict], str]


def role_of(body: dict) -> str:
    system = next((m["content"] for m in body["messages"] if m["role"] == "system"), "")
    m = re.match(r"ROLE: (\w+)", system)
    return m.group(1) if m else ""


def text_of(body: dict) -> str:
    return json.dumps(body["messages"], ensure_ascii=False)


class ScriptedLLM:
    def __init__(self, model: str = "scripted-model") -> None:
        self.queues: list[tuple[str, str, list[Reply]]] = []
        self.double = OpenAIDouble(default=self._route, models=(model,))
        self.url = self.double.url
        self.model = model
        self._lock = threading.Lock()  # the server answers requests on several threads

    def add(self, role: str, key: str, *replies: Reply) -> None:
        """Replies for requests of ``role`` whose messages contain ``key`` ('' = any), in order."""
        self.queues.append((role, key, list(replies)))

    def _route(self, body: dict) -> tuple[int, Any, dict[str, str]]:
        role, text = role_of(body), text_of(body)
        for r, key, q in self.queues:
            with self._lock:
                reply = q.pop(0) if r == role and key in text and q else None
            if reply is not None:
                out = reply(body) if callable(reply) else reply
                resp = completion(out)
                resp["model"] = body.get("model", self.model)
                resp["usage"] = {"prompt_tokens": len(text) // 4, "completion_tokens": max(1, len(out) // 4),
                                 "total_tokens": len(text) // 4 + max(1, len(out) // 4)}
                return 200, resp, {}
        return 400, {"error": {"message": f"no scripted reply left for role {role!r}"}}, {}

    def requests(self, role: str | None = None) -> list[dict]:
        return [b for b in self.double.requests if role is None or role_of(b) == role]

    def close(self) -> None:
        self.double.close()


def files_reply(prose: str, files: dict[str, str]) -> str:
    blocks = "\n\n".join(f"FILE: {name}\n```python\n{textwrap.dedent(body).strip()}\n```" for name, body in files.items())
    return f"{prose}\n\n{blocks}\n"


# ------------------------------------------------------------------ a notes task, as a model writes it
PIN_INSTRUCTION = 'Pin the note "Statistics refresher" so it shows at the top of the list.'
PIN_CRITERIA = ['The note "Statistics refresher" is pinned.', "No other note is changed."]
GEN_CANARIES = ("GEN-CANARY-SETUP-5d1f", "GEN-CANARY-GOLDEN-77ab", "GEN-CANARY-NEAR-0c2e", "GEN-REASONING-CANARY-9e4d")

_HEAD = """\
import os, requests
BASE, SID = os.environ["CUA_HUB_URL_NOTES"], os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}
g = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
g.raise_for_status()
"""

def setup(selected: str = "n3") -> str:
    return f'''\
"""The All notes list with note {selected} open; the target note is not pinned."""
# {GEN_CANARIES[0]}
{_HEAD}state = g.json()["initial_state"]
state["ui"].update(view="all", selected_note="{selected}")
requests.post(f"{{BASE}}/post", params={{"sid": SID}}, json={{"action": "set", "state": state}}, headers=H,
              timeout=10).raise_for_status()
'''


SETUP = setup()


def patch(*titles: str, canary: str = GEN_CANARIES[1]) -> str:
    return f'''\
"""Pins the notes titled {", ".join(titles)}."""
# {canary}
{_HEAD}state = g.json()["current_state"]
for n in state["notes"]:
    if n["title"] in {list(titles)!r}:
        n["pinned"] = True
requests.post(f"{{BASE}}/post", params={{"sid": SID}}, json={{"action": "set_current", "state": state}}, headers=H,
              timeout=10).raise_for_status()
'''


def marker_patch(title: str, marker: str) -> str:
    """Pins the note ``title`` and also appends ``marker`` to its body: a value that exists only in the
    golden state (what a Generator that misread the task might add), for the barrier tests."""
    return f'''\
"""Pins the note {title}."""
{_HEAD}state = g.json()["current_state"]
for n in state["notes"]:
    if n["title"] == {title!r}:
        n["pinned"] = True
        n["body"] += "\\n" + {marker!r}
requests.post(f"{{BASE}}/post", params={{"sid": SID}}, json={{"action": "set_current", "state": state}}, headers=H,
              timeout=10).raise_for_status()
'''


def generator_files(golden_title: str = "Statistics refresher", other: str = "Touch typing progress",
                    target: str = "Statistics refresher", selected: str = "n3") -> dict[str, str]:
    return {"initial_setup.py": setup(selected), "golden_patch.py": patch(golden_title),
            "near_miss/wrong_note.py": patch(other, canary=GEN_CANARIES[2]),
            "near_miss/pins_two.py": patch(target, other, canary=GEN_CANARIES[2])}


def generator_reply(golden_title: str = "Statistics refresher", **kw: str) -> str:
    return files_reply(f"{GEN_CANARIES[3]}: I open another note first so the agent has to find the target.",
                       generator_files(golden_title, **kw))


def marker_generator_reply(marker: str) -> str:
    """The usual notes scripts, but the golden patch also writes ``marker`` into the target's body."""
    files = generator_files()
    files["golden_patch.py"] = marker_patch("Statistics refresher", marker)
    return files_reply(f"{GEN_CANARIES[3]}: the golden state also gets a note line.", files)


REWARD_ALWAYS_ONE = '''\
print("looks done to me")
print("REWARD: 1.0")
'''

def reward_good(title: str = "Statistics refresher") -> str:
    return f'''\
"""{title} is pinned; every other note is as it was."""
{_HEAD}d = g.json()
before = {{n["id"]: n for n in d["initial_state"]["notes"]}}
after = {{n["id"]: n for n in d["current_state"]["notes"]}}
KEYS = ("notebook_id", "title", "body", "tags", "pinned", "trashed")
target = [i for i, n in before.items() if n["title"] == {title!r}]
ok = len(target) == 1 and target[0] in after and after[target[0]]["pinned"] and not after[target[0]]["trashed"]
others = set(after) == set(before) and all(
    all(after[i][k] == n[k] for k in KEYS) for i, n in before.items() if i not in target)
print("target pinned:", ok, "others unchanged:", others)
print(f"REWARD: {{1.0 if ok and others else (0.5 if ok else 0.0)}}")
'''


REWARD_GOOD = reward_good()


def reward_reply(body: str, prose: str = "Here is the check.") -> str:
    return files_reply(prose, {"reward.py": body})


def judge_reply(verdict: str, revised: str = "", reason: str = "fine") -> str:
    return "```json\n" + json.dumps({"consistency": 5, "clarity": 4, "hack_safety": 4, "verdict": verdict,
                                     "revised_instruction": revised, "reason": reason}) + "\n```"


def proposal_reply(*items: dict) -> str:
    return "Here are tasks.\n```json\n" + json.dumps(list(items)) + "\n```"


def pin_proposal(title: str = "Statistics refresher", instruction: str = PIN_INSTRUCTION) -> dict:
    return {"instruction": instruction, "success_criteria": [f'The note "{title}" is pinned.',
                                                             "No other note is changed."],
            "difficulty": "easy", "family": "pin_note", "topic": "a researcher organising reading notes"}


# ------------------------------------------------------------------ a whole run: three proposed tasks
T1 = 'Pin the note "Statistics refresher" so it shows at the top of the list.'
T2 = "Please pin Touch typing progress for me."
T3 = "Put Launch risks among the pinned notes."


def script_three_tasks(llm: ScriptedLLM) -> None:
    """T1 agrees in round 2 (its first reward scores the initial state 1) and passes the vote; T2
    never agrees (with --max-rounds 2); T3 agrees in round 1 and is rejected by 2 of 3 judges.
    T1's setup opens the target note, so a teacher clicking the editor's Pin button solves it."""
    llm.add("proposer", "", proposal_reply(pin_proposal(instruction=T1), pin_proposal("Touch typing progress", T2),
                                           pin_proposal("Launch risks", T3)))
    llm.add("generator", "so it shows at the top", generator_reply(selected="n25"), "DONE")
    llm.add("generator", "Please pin Touch typing", generator_reply(
        "Touch typing progress", other="Launch risks", target="Touch typing progress"), "DONE")
    llm.add("generator", "Put Launch risks among", generator_reply(
        "Launch risks", other="Statistics refresher", target="Launch risks"), "DONE")
    llm.add("discriminator", "so it shows at the top", reward_reply(REWARD_ALWAYS_ONE), reward_reply(reward_good()))
    llm.add("discriminator", "Please pin Touch typing", *[reward_reply(REWARD_ALWAYS_ONE)] * 2)
    llm.add("discriminator", "Put Launch risks among", reward_reply(reward_good("Launch risks")))
    llm.add("judge", "so it shows at the top", judge_reply("keep"), judge_reply("keep"),
            judge_reply("revise_instruction", "Pin the note Statistics refresher."))
    llm.add("judge", "Put Launch risks among", judge_reply("reject", reason="trivial"), judge_reply("keep"),
            judge_reply("reject", reason="too small to teach anything"))
