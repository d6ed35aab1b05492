"""The Orchestrator: execution rounds between the Generator and the Discriminator until they agree.

One round:
1. the Discriminator answers its evidence from the last round (a new ``reward.py``, or a dispute
   of a state, which goes to the Generator with how the reward scored each of its states);
2. the Generator answers its feedback (new scripts), and the states are rebuilt in the sandbox;
   a script problem goes straight back to the Generator;
3. the Discriminator writes ``reward.py`` if it has none yet, blind: from the task, the schemas and
   the initial state only (:class:`~cuagym.synth.agents.DiscriminatorBrief`);
4. the reward scores every state: it must give the initial state 0, the golden state 1 and every
   near miss (and the damage probe) less than 1. Each miss becomes evidence for the Discriminator:
   that state, as the changes from the initial state (the damage probe: its one extra edit).
Agreement ends the rounds; after ``max_rounds`` the task is dropped with the last round's reasons.
The golden state reaches the Discriminator only as the evidence of a miss on it;
``Agreement.golden_shown`` records the round that first showed it (0: never, the reward agreed blind).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cuagym.synth.agents import (AppInfo, Discriminator, DiscriminatorBrief, Dispute, Generator, RewardEvidence,
                                 RoundLog, TaskSpec, Workspace, evidence_of)
from cuagym.synth.config import SynthConfig
from cuagym.synth.execution import DAMAGE_PROBE, ScriptRunner, StateRun
from cuagym.synth.llm import LLMClient, LLMError, Transcript
from cuagym.synth.render import render_diff
from cuagym.synth.replies import ReplyError


@dataclass
class Agreement:
    spec: TaskSpec
    agreed: bool
    rounds: int
    log: list[RoundLog] = field(default_factory=list)
    reason: str = ""                       # why it was dropped
    generator_dir: Path | None = None
    discriminator_dir: Path | None = None
    run: StateRun | None = None            # the states of the last round
    scores: dict[str, str] = field(default_factory=dict)  # the last round's reward per state
    probe: str = ""                        # the damage probe's edited path, or why there was none
    golden_shown: int = 0                  # round whose Discriminator request first showed the golden state (0: never)


GOLDEN_CHECK = "golden (a state built to show the task done)"


def score_states(runner: ScriptRunner, reward: Path, run: StateRun, max_chars: int,
                 scores: dict[str, str] | None = None) -> list[RewardEvidence]:
    """The reward's misses on the run's states (empty = it separates them as required), each with the
    state it missed on: the changes from the initial state (which the Discriminator holds), or for the
    damage probe only its one extra edit (the rest is the golden state, shown only on a miss of its own).

    ``scores`` (when given) receives every state's reward (or failure) by state name."""
    out = []
    budget = max_chars // 4
    changes = "the initial state with these changes:\n"
    cases = [("initial", "initial (the state the task starts from)", "0", "the initial state itself (no change)"),
             ("golden", GOLDEN_CHECK, "1", None)]
    cases += [(st.name, f"near miss {k + 1} (a state built to fall short of the task)", "below 1", None)
              for k, st in enumerate(run.near_misses)]
    if DAMAGE_PROBE in run.states:
        golden = run.states["golden"].diff
        edit = {p: ch for p, ch in run.states[DAMAGE_PROBE].diff.items() if golden.get(p) != ch}
        cases.append((DAMAGE_PROBE, f"damaged task-done (the golden state plus one edit the task did not ask "
                      f"for: {run.probe_path}; if the task allows that edit, reply DISPUTE: damage probe: <why>)",
                      "below 1", "the golden state with this one more change:\n" + render_diff(edit, budget)))
    for name, check, expected, shown in cases:
        st = run.states[name]
        res = runner.score(reward, st)
        if scores is not None:
            scores[name] = f"{res.reward:g}" if res.ok and res.reward is not None else res.summary()
        good = res.ok and res.reward is not None and (
            res.reward == 0.0 if expected == "0" else res.reward == 1.0 if expected == "1" else res.reward < 1.0)
        if not good:
            out.append(evidence_of(check, expected, res, shown or changes + render_diff(st.diff, budget)))
    return out


def scores_for_generator(scores: dict[str, str]) -> str:
    """How the reward scored each of the Generator's states, named by the script that built it."""
    names = {"initial": "initial_setup.py", "golden": "golden_patch.py"}
    return "\n".join(f"- {names.get(n, n)}: {v}" for n, v in sorted(scores.items(), key=lambda kv: (
        kv[0] != "initial", kv[0] != "golden", kv[0])) if n != DAMAGE_PROBE)


class Orchestrator:
    def __init__(self, llm: LLMClient, cfg: SynthConfig, runner: ScriptRunner, apps: list[AppInfo]) -> None:
        self.llm, self.cfg, self.runner, self.apps = llm, cfg, runner, apps

    def run(self, spec: TaskSpec, workdir: Path, transcript: Transcript) -> Agreement:
        cfg = self.cfg
        gws, dws = Workspace(workdir / "generator"), Workspace(workdir / "discriminator")
        gen = Generator(self.llm, transcript, cfg, spec, self.apps, gws, self.runner)
        disc: Discriminator | None = None
        result = Agreement(spec, False, 0, generator_dir=gws.path, discriminator_dir=dws.path)
        gen_feedback: str | None = None
        disc_evidence: list[RewardEvidence] = []
        run: StateRun | None = None
        waived = ""  # the Discriminator's reason when it disputed the damage probe
        for r in range(1, cfg.max_rounds + 1):
            log = RoundLog(r)
            result.log.append(log)
            result.rounds = r
            try:
                # 1. The Discriminator answers last round's evidence.
                if disc is not None and disc_evidence:
                    brief = (DiscriminatorBrief.of(spec, self.apps, run.states["initial"].current, cfg.max_state_chars)
                             if run and run.ok else None)
                    if not result.golden_shown and any(e.check == GOLDEN_CHECK for e in disc_evidence):
                        result.golden_shown = r
                    answer = disc.revise(disc_evidence, brief)
                    if isinstance(answer, Dispute):
                        log.disputes.append(answer.reason)
                        if "damage probe" in answer.reason.lower():  # the task allows that edit: stop probing
                            waived = answer.reason
                        else:
                            gen_feedback = ("The reviewer who writes the reward check says a state is wrong:\n"
                                            f"{answer.reason}\n\nIts check scored your states (1 = task done):\n"
                                            f"{scores_for_generator(result.scores)}")
                # 2. The Generator writes or fixes its scripts; the states are rebuilt.
                if r == 1:
                    gen.write()
                elif gen_feedback:
                    gen.revise(gen_feedback)
                gen_feedback = None
                # The states the Generator just approved in its self-check, else built afresh.
                run = gen.checked_run() or self.runner.run_states(gws.path, cfg.near_misses)
                result.run = run
                if not run.ok:
                    log.generator.extend(run.problems)
                    gen_feedback = "\n".join(f"- {p}" for p in run.problems)
                    disc_evidence = []
                    continue
                result.probe = self._probe(run, waived)
                # 3. The Discriminator writes its first reward blind: task, schemas, initial state.
                if disc is None:
                    brief = DiscriminatorBrief.of(spec, self.apps, run.states["initial"].current, cfg.max_state_chars)
                    disc = Discriminator(self.llm, transcript, cfg, brief, dws)
                if not disc.reward_path.exists():
                    disc.write()
            except ReplyError as e:
                # An agent whose replies stay unreadable: the round fails; it is asked again next round.
                if str(e).startswith(Generator.role):
                    log.generator.append(str(e))
                    gen_feedback = f"Your last reply could not be used: {e}"
                else:  # the Discriminator is asked again next round (same evidence, or its first reward)
                    log.discriminator.append(str(e))
                continue
            # 4. Score every state.
            result.scores = {}
            disc_evidence = score_states(self.runner, disc.reward_path, run, cfg.max_state_chars, result.scores)
            log.discriminator.extend(f"{e.check.split(' (')[0]}: expected {e.expected}, got {e.got}"
                                     for e in disc_evidence)
            if not disc_evidence:
                log.agreed = True
                result.agreed = True
                return result
        result.reason = f"no agreement after {cfg.max_rounds} round(s); last round: {result.log[-1].summary()}"
        return result

    def _probe(self, run: StateRun, waived: str) -> str:
        """Add the damage probe's state to ``run``; returns what was probed (or why nothing was)."""
        if not self.cfg.damage_probe:
            return "off"
        if waived:
            return f"waived by the Discriminator: {waived}"
        found = self.runner.damage_probe(run.states["golden"])
        if found is None:
            return "no untouched free-text field to edit"
        run.states[DAMAGE_PROBE], run.probe_path = found
        return run.probe_path


def safe_run(orch: Orchestrator, spec: TaskSpec, workdir: Path, transcript: Transcript) -> Agreement:
    """Like :meth:`Orchestrator.run`, but an LLM endpoint that fails for good drops the task with the reason."""
    try:
        return orch.run(spec, workdir, transcript)
    except LLMError as e:
        return Agreement(spec, False, 0, reason=f"LLM endpoint failed: {e}")
