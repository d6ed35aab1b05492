"""The task proposer: new instructions with success criteria, from an app's schema and seed topics.

Proposals are de-duplicated against the instructions of existing tuples and against each other
(:func:`similarity` at or above ``synth.dedup_threshold`` is a duplicate). The proposer is asked
again for the shortfall, a few times at most.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from cuagym.synth import prompts
from cuagym.synth.agents import AppInfo, TaskSpec, apps_text, names
from cuagym.synth.llm import LLMClient, Transcript
from cuagym.synth.replies import ReplyError, parse_json

DEFAULT_TOPICS = (
    "an executive assistant managing a manager's inbox and calendar",
    "a recruiter coordinating interviews with candidates",
    "a software team lead triaging bugs and planning a sprint",
    "a small online shop owner handling orders and stock",
    "a customer support agent answering and escalating requests",
    "a researcher organising reading notes and deadlines",
    "an event planner arranging venues, guests and schedules",
    "a sales representative following up with leads",
    "a teacher preparing classes and messaging parents",
    "an accountant closing the month and chasing invoices",
    "a project manager keeping a team's tasks and meetings in order",
    "a freelancer juggling clients, invoices and deliverables",
)
MAX_ASKS = 3


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]", " ", text.lower())).strip()


def similarity(a: str, b: str) -> float:
    """0..1 similarity of two instructions (character-level, after normalising case and punctuation)."""
    return difflib.SequenceMatcher(None, normalise(a), normalise(b)).ratio()


def slug(text: str, n: int = 40) -> str:
    s = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return s[:n].rstrip("_") or "task"


def existing_instructions(roots: Iterable[str | Path], apps: str | Iterable[str]) -> list[str]:
    """Instructions of the tuples under ``roots`` that use every app of ``apps`` (unreadable tuples
    are skipped)."""
    need = {apps} if isinstance(apps, str) else set(apps)
    from cuagym.data.validate import iter_tuple_dirs

    out = []
    for root in roots:
        if not Path(root).exists():
            continue
        for d in iter_tuple_dirs(root):
            try:
                cfg = json.loads((d / "task_config.json").read_text())
            except (OSError, json.JSONDecodeError):
                continue
            if need <= set(cfg.get("apps", [])) and isinstance(cfg.get("instruction"), str):
                out.append(cfg["instruction"])
    return out


@dataclass
class Proposals:
    specs: list[TaskSpec] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)   # proposed instructions dropped as duplicates
    invalid: list[str] = field(default_factory=list)      # items that were not usable, with why


def _spec(apps: tuple[str, ...], item: Any) -> TaskSpec:
    if not isinstance(item, dict):
        raise ValueError(f"expected an object, got {type(item).__name__}")
    instr = item.get("instruction")
    crit = item.get("success_criteria")
    if not isinstance(instr, str) or len(instr.strip()) < 10:
        raise ValueError("instruction must be a sentence")
    if not isinstance(crit, list) or not crit or not all(isinstance(c, str) and c.strip() for c in crit):
        raise ValueError("success_criteria must be a non-empty list of strings")
    diff = str(item.get("difficulty", "medium")).lower()
    diff = diff if diff in ("easy", "medium", "hard") else "medium"
    fam = slug(str(item.get("family") or instr), 32)
    h = hashlib.sha1(instr.strip().encode()).hexdigest()[:6]
    prefix = apps[0] if len(apps) == 1 else "cross"  # like the bundled cross-app tuples
    return TaskSpec(id=f"{prefix}.synth.{fam}.{h}", apps=apps, instruction=instr.strip(),
                    success_criteria=tuple(c.strip() for c in crit), difficulty=diff,
                    family=f"{prefix}.synth.{fam}", topic=str(item.get("topic") or "")[:200])


class Proposer:
    def __init__(self, llm: LLMClient, threshold: float, max_state_chars: int) -> None:
        self.llm, self.threshold, self.max_state_chars = llm, threshold, max_state_chars

    def propose(self, apps: list[AppInfo], n: int, topics: list[str], existing: list[str],
                transcript: Transcript | None = None) -> Proposals:
        """``n`` new tasks using ``apps`` (every one of them, when there are several)."""
        out = Proposals()
        seen = list(existing)
        cross = prompts.CROSS_APP.format(apps=names(apps)) if len(apps) > 1 else ""
        messages: list[dict[str, Any]] = [{"role": "system", "content": prompts.PROPOSER.format(
            cross=cross, apps_text=apps_text(apps, self.max_state_chars))}]
        note = ""  # why the last reply could not be used, said before the next ask
        for _ in range(MAX_ASKS):
            need = n - len(out.specs)
            if need <= 0:
                break
            shown = seen[-60:]
            listing = ("Existing tasks (do not repeat or paraphrase):\n" + prompts.bullets(shown)) if shown else ""
            messages.append({"role": "user", "content": note + prompts.PROPOSER_ASK.format(
                n=need, topics="; ".join(topics), existing=listing)})
            note = ""
            text = self.llm.chat(messages, agent="proposer", transcript=transcript)
            messages.append({"role": "assistant", "content": text})
            try:
                items = parse_json(text, list)
            except ReplyError as e:
                out.invalid.append(f"unreadable reply: {e}")
                note = f"Your last reply could not be used: {e}.\n\n"
                continue
            for item in items:
                try:
                    spec = _spec(tuple(a.name for a in apps), item)
                except ValueError as e:
                    out.invalid.append(f"{json.dumps(item)[:200]}: {e}")
                    continue
                if any(similarity(spec.instruction, s) >= self.threshold for s in seen):
                    out.duplicates.append(spec.instruction)
                    continue
                seen.append(spec.instruction)
                out.specs.append(spec)
                if len(out.specs) >= n:
                    break
        return out
