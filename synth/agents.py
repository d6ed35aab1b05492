"""The Generator and the Discriminator: two LLM agents, each with a conversation and a workspace.

The information barrier is a matter of types and of timing. The Discriminator is built from a
:class:`DiscriminatorBrief`: task text, criteria, the apps' schemas and the *initial* state, nothing
computed from the golden state, the golden patch or the near misses, so its first ``reward.py`` is
written blind. Later it only receives :class:`RewardEvidence`: a state its own reward scored wrongly,
the score it should have given, and what its script printed there. Neither type has a field for a
script, a file or a Generator message. The other way round, the Generator never sees ``reward.py``:
only how the reward scored its states, and the Discriminator's reasons when it disputes one.
Workspaces are separate folders; the Discriminator's holds ``reward.py`` only.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cuagym.synth import prompts
from cuagym.synth.config import SynthConfig
from cuagym.synth.execution import ScriptRunner, StateRun, setup_changes
from cuagym.synth.llm import LLMClient, Transcript
from cuagym.synth.render import render_diff, render_state, tail
from cuagym.synth.replies import ReplyError, dispute_reason, is_done, parse_files


@dataclass(frozen=True)
class TaskSpec:
    """A proposed task: what the agent is asked and what must hold at the end."""

    id: str
    apps: tuple[str, ...]  # the first one opens in the browser
    instruction: str
    success_criteria: tuple[str, ...]
    difficulty: str = "medium"
    family: str = ""
    topic: str = ""


@dataclass(frozen=True)
class AppInfo:
    """What every agent may know about an app: its schema document and its seed state."""

    name: str
    schema_doc: str
    seed: dict[str, Any]


def names(apps: list[AppInfo]) -> str:
    return ", ".join(f'"{a.name}"' for a in apps)


def apps_text(apps: list[AppInfo], max_chars: int, seeds: bool = True) -> str:
    """Each app's schema document (and seed state), for a system prompt."""
    parts = []
    for a in apps:
        parts.append(f'## App "{a.name}": state schema\n{a.schema_doc}')
        if seeds:
            parts.append(f'## App "{a.name}": seed state (a fresh session starts from it)\n'
                         + render_state(a.seed, max_chars // len(apps)))
    return "\n\n".join(parts)


def schema_doc(app: str) -> str:
    import importlib

    pkg = importlib.import_module(f"cuagym.hub.{app}")
    path = Path(pkg.__file__).parent / "SCHEMA.md"
    if not path.is_file():
        raise FileNotFoundError(f"app {app!r} has no SCHEMA.md at {path}")
    return path.read_text()


class Workspace:
    """A folder an agent's files live in."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)

    def write(self, files: dict[str, str]) -> None:
        if any(n.startswith("near_miss/") for n in files):  # a near-miss set is replaced whole
            shutil.rmtree(self.path / "near_miss", ignore_errors=True)
        for name, text in files.items():
            p = self.path / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)

    def files(self) -> dict[str, str]:
        return {str(p.relative_to(self.path)): p.read_text() for p in sorted(self.path.rglob("*.py"))}


class _Agent:
    role = ""

    def __init__(self, llm: LLMClient, transcript: Transcript, cfg: SynthConfig, system: str) -> None:
        self.llm, self.transcript, self.cfg = llm, transcript, cfg
        self.messages: list[dict[str, Any]] = [{"role": "system", "content": system}]

    def _ask(self, content: str) -> str:
        self.messages.append({"role": "user", "content": content})
        reply = self.llm.chat(self.messages, agent=self.role, transcript=self.transcript)
        self.messages.append({"role": "assistant", "content": reply})
        return reply

    def _ask_files(self, content: str, allowed: tuple[str, ...], near_miss: bool = False,
                   allow_dispute: bool = False) -> dict[str, str] | str:
        """Files from the reply (re-asking on a format error), or a dispute reason when allowed."""
        reply = self._ask(content)
        for attempt in range(self.cfg.format_retries + 1):
            if allow_dispute:
                reason = dispute_reason(reply)
                if reason:
                    return reason
            try:
                return parse_files(reply, allowed, near_miss=near_miss)
            except ReplyError as e:
                if attempt == self.cfg.format_retries:
                    raise ReplyError(f"{self.role}: {e} (after {attempt + 1} replies)") from None
                cut = self.transcript.records and self.transcript.records[-1].finish_reason == "length"
                hint = " Your reply was cut off at the token limit: be shorter." if cut else ""
                reply = self._ask(f"Your reply could not be used: {e}.{hint}\n{prompts.FILE_FORMAT}")
        raise AssertionError("unreachable")


class Generator(_Agent):
    role = "generator"
    FILES = ("initial_setup.py", "golden_patch.py")

    def __init__(self, llm: LLMClient, transcript: Transcript, cfg: SynthConfig, spec: TaskSpec,
                 apps: list[AppInfo], workspace: Workspace, runner: ScriptRunner) -> None:
        system = prompts.GENERATOR.format(apps=names(apps), near_misses=cfg.near_misses,
                                          contract=prompts.SCRIPT_CONTRACT,
                                          apps_text=apps_text(apps, cfg.max_state_chars),
                                          file_format=prompts.FILE_FORMAT)
        super().__init__(llm, transcript, cfg, system)
        self.spec, self.ws, self.runner = spec, workspace, runner
        self._checked: tuple[dict[str, str], StateRun] | None = None  # files the self-check approved, and their states

    def checked_run(self) -> StateRun | None:
        """The states the last self-check built, if the Generator approved them (DONE) and its files
        have not changed since; each is handed out once (a scored session is not reused)."""
        checked, self._checked = self._checked, None
        return checked[1] if checked is not None and checked[0] == self.ws.files() else None

    def write(self) -> None:
        s = self.spec
        self._apply(self._ask_files(prompts.GENERATOR_TASK.format(
            id=s.id, instruction=s.instruction, criteria=prompts.bullets(s.success_criteria),
            near_misses=self.cfg.near_misses), self.FILES, near_miss=True))

    def revise(self, feedback: str) -> None:
        self._apply(self._ask_files(prompts.GENERATOR_FEEDBACK.format(feedback=feedback), self.FILES, near_miss=True))

    def _apply(self, files: dict[str, str] | str) -> None:
        assert isinstance(files, dict)
        self.ws.write(files)
        for _ in range(self.cfg.generator_self_checks):
            run = self.runner.run_states(self.ws.path, self.cfg.near_misses)
            reply = self._ask(prompts.GENERATOR_SELF_CHECK.format(report=self_check_report(run, self.cfg)))
            if is_done(reply):
                self._checked = (self.ws.files(), run)
                return
            try:
                self.ws.write(parse_files(reply, self.FILES, near_miss=True))
            except ReplyError:
                return  # neither DONE nor usable files: the scripts stay as they are and the round judges them


def self_check_report(run: StateRun, cfg: SynthConfig) -> str:
    parts = []
    if run.problems:
        parts.append("Problems:\n" + "\n".join(f"- {p}" for p in run.problems))
    if "initial" in run.states:
        parts.append("initial_setup.py changed these fields of the seed:\n"
                     + render_diff(setup_changes(run), cfg.max_state_chars // 3))
    for name, st in sorted(run.states.items()):
        if name != "initial":
            parts.append(f"{name} changed these fields of the initial state:\n"
                         + render_diff(st.diff, cfg.max_state_chars // 3))
    return "\n\n".join(parts)


# ---------------------------------------------------------------------------- the barrier
@dataclass(frozen=True)
class DiscriminatorBrief:
    """Everything the Discriminator may see before its first reward (the allow-list)."""

    apps: str            # the apps' names
    schema_doc: str      # the apps' schema documents (SCHEMA.md, no seed state)
    instruction: str
    success_criteria: tuple[str, ...]
    initial_state: str   # rendered JSON of the state the task starts from

    @classmethod
    def of(cls, spec: TaskSpec, apps: list[AppInfo], initial: Any, max_chars: int) -> "DiscriminatorBrief":
        """``initial``: the initial state's JSON (``run.states["initial"].current``), the only state it is given."""
        return cls(apps=names(apps), schema_doc=apps_text(apps, max_chars, seeds=False), instruction=spec.instruction,
                   success_criteria=tuple(spec.success_criteria), initial_state=render_state(initial, max_chars))


@dataclass(frozen=True)
class RewardEvidence:
    """A disagreement: a state the Discriminator's reward scored wrongly, and what it should have given."""

    check: str            # which state, e.g. "golden (a state built to show the task done)"; near misses are numbered
    expected: str         # "0", "1" or "below 1"
    got: str              # the reward, or the sandbox outcome when the script failed
    output: str           # the reward script's own output on that state (stdout, stderr end)
    state: str            # that state, as the changes that turn the initial state into it

    def text(self) -> str:
        return (f"- {self.check}: expected reward {self.expected}, got {self.got}.\n"
                f"  the state it scored:\n{_indent(self.state)}\n"
                f"  your script printed:\n{_indent(self.output)}")


def _indent(text: str, pad: str = "    ") -> str:
    return "\n".join(pad + line for line in text.splitlines()) or pad + "(nothing)"


@dataclass
class Dispute:
    reason: str


class Discriminator(_Agent):
    role = "discriminator"
    FILES = ("reward.py",)

    def __init__(self, llm: LLMClient, transcript: Transcript, cfg: SynthConfig, brief: DiscriminatorBrief,
                 workspace: Workspace) -> None:
        system = prompts.DISCRIMINATOR.format(apps=brief.apps, contract=prompts.SCRIPT_CONTRACT,
                                              apps_text=brief.schema_doc, file_format=prompts.FILE_FORMAT)
        super().__init__(llm, transcript, cfg, system)
        self.brief, self.ws = brief, workspace

    @property
    def reward_path(self) -> Path:
        return self.ws.path / "reward.py"

    def write(self) -> None:
        b = self.brief
        files = self._ask_files(prompts.DISCRIMINATOR_TASK.format(
            instruction=b.instruction, criteria=prompts.bullets(b.success_criteria), initial_state=b.initial_state),
            self.FILES)
        assert isinstance(files, dict)
        self.ws.write(files)

    def revise(self, evidence: list[RewardEvidence], brief: DiscriminatorBrief | None = None) -> Dispute | None:
        """A new reward.py (None) or a dispute of a state. ``brief``: the states were rebuilt since
        (only its initial state is sent again, when it changed)."""
        text = "\n".join(e.text() for e in evidence)
        if brief is not None and brief != self.brief:
            if brief.initial_state != self.brief.initial_state:
                text += ("\n\nThe states were rebuilt since you wrote reward.py. The initial state is now:\n"
                         f"{brief.initial_state}")
            self.brief = brief
        out = self._ask_files(prompts.DISCRIMINATOR_FEEDBACK.format(evidence=text), self.FILES, allow_dispute=True)
        if isinstance(out, str):
            return Dispute(out)
        self.ws.write(out)
        return None


def evidence_of(check: str, expected: str, res: Any, state: str) -> RewardEvidence:
    got = f"{res.reward:g}" if res.ok and res.reward is not None else res.summary()
    output = tail(res.stdout, 1200) + (f"\nstderr:\n{tail(res.stderr, 800)}" if res.stderr.strip() else "")
    return RewardEvidence(check, expected, got, output, state)


@dataclass
class RoundLog:
    round: int
    generator: list[str] = field(default_factory=list)      # problems sent to the Generator
    discriminator: list[str] = field(default_factory=list)  # scoring failures sent to the Discriminator
    disputes: list[str] = field(default_factory=list)
    agreed: bool = False

    def summary(self) -> str:
        parts = [f"generator: {p.splitlines()[0]}" for p in self.generator]
        parts += [f"discriminator: {d.splitlines()[0]}" for d in self.discriminator]
        parts += [f"dispute: {d[:200]}" for d in self.disputes]
        return "; ".join(parts) or ("agreed" if self.agreed else "no result")
