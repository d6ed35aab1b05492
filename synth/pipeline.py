"""The synthesis pipeline end to end: propose -> agree (Generator/Discriminator rounds) -> assemble
and validate -> majority vote -> teacher rollouts -> kept tuples.

Output folder::

    OUT/<id>/                 kept tuples (pass ``cuagym data validate`` as they are), each with
                              provenance in task_config.json and provenance/transcript.jsonl
    OUT/_rejected/<id>/       assembled tuples a filter rejected (the reason is in their provenance)
    OUT/_dropped/<id>/        tasks that never agreed or failed validation: reason.json, transcript
    OUT/_work/<id>/           the agents' workspaces (generator/, discriminator/)
    OUT/synth_summary.json    counts, rounds, tokens and calls, one record per task

Nothing is deleted: every proposal ends in exactly one of the first three places.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from cuagym.data.format import GOLDEN_ACTIONS, load_tuple
from cuagym.data.sandbox import Limits
from cuagym.data.validate import HubEndpoints, new_sid, validate_tuple
from cuagym.synth.agents import AppInfo, TaskSpec, schema_doc
from cuagym.synth.config import SynthConfig
from cuagym.synth.execution import ScriptRunner
from cuagym.synth.llm import LLMClient, Transcript
from cuagym.synth.orchestrator import Agreement, Orchestrator, safe_run
from cuagym.synth.proposer import DEFAULT_TOPICS, Proposer, existing_instructions
from cuagym.synth.render import render_diff
from cuagym.synth.teacher import TeacherRunner, golden_from, verify
from cuagym.synth.vote import judge_messages, run_vote

STATUSES = ("kept", "dropped", "invalid", "rejected_vote", "rejected_rollout")


@dataclass
class TupleOutcome:
    id: str
    apps: str                    # the task's apps, joined by "+"
    status: str                  # one of STATUSES
    reason: str = ""
    rounds: int = 0
    path: str = ""
    revised: bool = False        # the vote reworded the instruction
    usage: dict[str, int] = field(default_factory=dict)


@dataclass
class SynthSummary:
    proposed: int = 0
    duplicates: int = 0
    invalid_proposals: int = 0
    agreed: int = 0
    kept: int = 0
    seconds: float = 0.0
    outcomes: list[TupleOutcome] = field(default_factory=list)
    usage: dict[str, dict[str, int]] = field(default_factory=dict)  # per agent and "total"
    model: str = ""

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def to_dict(self) -> dict[str, Any]:
        kept = max(self.kept, 1)
        total = self.usage.get("total", {})
        rounds = [o.rounds for o in self.outcomes if o.rounds]
        return {"model": self.model, "proposed": self.proposed, "duplicates": self.duplicates,
                "invalid_proposals": self.invalid_proposals, "agreed": self.agreed,
                "dropped": self.count("dropped"), "invalid": self.count("invalid"),
                "rejected_vote": self.count("rejected_vote"), "rejected_rollout": self.count("rejected_rollout"),
                "revised_instruction": sum(o.revised for o in self.outcomes), "kept": self.kept,
                "rounds_mean": round(sum(rounds) / len(rounds), 2) if rounds else 0.0,
                "rounds_hist": {str(r): rounds.count(r) for r in sorted(set(rounds))},
                "usage": self.usage,
                "per_kept_tuple": {"calls": round(total.get("calls", 0) / kept, 2),
                                   "prompt_tokens": round(total.get("prompt_tokens", 0) / kept),
                                   "completion_tokens": round(total.get("completion_tokens", 0) / kept)}
                if self.kept else {},
                "seconds": round(self.seconds, 1), "tuples": [asdict(o) for o in self.outcomes]}

    def table(self) -> str:
        d = self.to_dict()
        lines = [f"proposed {d['proposed']} (duplicates dropped {d['duplicates']}, unusable {d['invalid_proposals']})",
                 f"agreed   {d['agreed']} (never agreed {d['dropped']}, failed validation {d['invalid']}); "
                 f"rounds per task: mean {d['rounds_mean']}, histogram {d['rounds_hist']}",
                 f"filtered vote rejected {d['rejected_vote']} (instructions revised {d['revised_instruction']}), "
                 f"rollout rejected {d['rejected_rollout']}",
                 f"kept     {d['kept']}"]
        lines.append("tokens   " + ", ".join(f"{a}: {u['calls']} calls, {u['prompt_tokens']} + "
                                               f"{u['completion_tokens']} tokens" for a, u in d["usage"].items()))
        if d["per_kept_tuple"]:
            p = d["per_kept_tuple"]
            lines.append(f"per kept tuple: {p['calls']} calls, {p['prompt_tokens']} prompt + "
                         f"{p['completion_tokens']} completion tokens")
        return "\n".join(lines)


def _write_provenance(tdir: Path, update: dict[str, Any], transcript: Transcript, **fields: Any) -> None:
    """Merge ``update`` into the tuple's provenance (and ``fields`` into its config); save the transcript."""
    cfg_path = tdir / "task_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg.update(fields)
    cfg["provenance"].update(update)
    cfg_path.write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n")
    transcript.write(tdir / "provenance" / "transcript.jsonl")


def _usage_dict(transcript: Transcript) -> dict[str, dict[str, int]]:
    return {k: u.to_dict() for k, u in transcript.usage().items()}


class SynthPipeline:
    def __init__(self, cfg: SynthConfig, out: Path, hub: HubEndpoints, llm: LLMClient, *,
                 teacher: TeacherRunner | None = None, log: Callable[[str], None] | None = None,
                 progress: Callable[[str, int, int], None] | None = None) -> None:
        self.cfg, self.out, self.hub, self.llm, self.teacher = cfg, Path(out), hub, llm, teacher
        self.log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
        self.progress = progress or (lambda phase, done, total: None)  # e.g. a progress bar
        self.limits = Limits(timeout_s=cfg.script_timeout_s)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ stages
    def propose(self, apps: list[str], n: int, summary: SynthSummary,
                cross: bool = False) -> list[tuple[TaskSpec, list[AppInfo]]]:
        """``n`` task specs spread over ``apps`` (one app each), or using all of them when ``cross``."""
        topics = list(self.cfg.topics) or list(DEFAULT_TOPICS)
        proposer = Proposer(self.llm, self.cfg.dedup_threshold, self.cfg.max_state_chars)
        out: list[tuple[TaskSpec, list[AppInfo]]] = []
        groups = [list(apps)] if cross else [[a] for a in apps]
        seeds = ScriptRunner(self.hub, list(apps), self.limits)
        for k, group in enumerate(groups):
            want = n // len(groups) + (1 if k < n % len(groups) else 0)
            if want == 0:
                continue
            infos = [AppInfo(a, schema_doc(a), seeds.clients[a].seed(new_sid("seed"))) for a in group]
            # Earlier runs into this folder count too: kept, rejected and dropped tasks are not proposed again.
            existing = existing_instructions(
                [*self.cfg.existing, self.out, self.out / "_rejected", self.out / "_dropped"], group)
            existing += self._dropped_instructions(group)
            transcript = Transcript()
            props = proposer.propose(infos, want, topics, existing, transcript)
            name = "+".join(group)
            transcript.write(self.out / "_work" / f"proposals.{name}.jsonl")
            summary.proposed += len(props.specs)
            summary.duplicates += len(props.duplicates)
            summary.invalid_proposals += len(props.invalid)
            self.log(f"{name}: {len(props.specs)} task(s) proposed, {len(props.duplicates)} duplicate(s) dropped, "
                     f"{len(props.invalid)} unusable")
            out += [(s, infos) for s in props.specs]
        return out

    def _dropped_instructions(self, apps: list[str]) -> list[str]:
        out = []
        for p in sorted((self.out / "_dropped").glob("*/reason.json")):
            try:
                spec = json.loads(p.read_text()).get("spec", {})
            except (OSError, json.JSONDecodeError):
                continue
            if set(apps) <= set(spec.get("apps", [])) and isinstance(spec.get("instruction"), str):
                out.append(spec["instruction"])
        return out

    def _drop(self, spec: TaskSpec, reason: str, transcript: Transcript, ag: Agreement | None = None) -> Path:
        """Record a task that yields no tuple: OUT/_dropped/<id>/reason.json and its transcript."""
        d = self.out / "_dropped" / spec.id
        d.mkdir(parents=True, exist_ok=True)
        (d / "reason.json").write_text(json.dumps({"id": spec.id, "spec": asdict(spec), "reason": reason,
                                                   "rounds": [asdict(r) for r in ag.log] if ag else [],
                                                   "usage": _usage_dict(transcript)}, indent=2))
        transcript.write(d / "transcript.jsonl")
        return d

    def agree_and_assemble(self, spec: TaskSpec, apps: list[AppInfo],
                           transcript: Transcript | None = None) -> tuple[TupleOutcome, Transcript, Agreement]:
        transcript = transcript if transcript is not None else Transcript()
        work = self.out / "_work" / spec.id
        orch = Orchestrator(self.llm, self.cfg, ScriptRunner(self.hub, spec.apps, self.limits), apps)
        ag = safe_run(orch, spec, work, transcript)
        outcome = TupleOutcome(spec.id, "+".join(spec.apps), "dropped", ag.reason, ag.rounds)
        if not ag.agreed:
            outcome.path = str(self._drop(spec, ag.reason, transcript, ag))
            return outcome, transcript, ag
        tdir = self.assemble(spec, ag, transcript)
        rep = validate_tuple(load_tuple(tdir), self.hub, limits=self.limits)
        if not rep.ok:
            why = "; ".join(f"{c.name}: {c.detail}" for c in rep.failures)
            outcome.status, outcome.reason = "invalid", f"validator: {why}"
            _write_provenance(tdir, {"validation": {"ok": False, "failures": why}}, transcript)
            outcome.path = str(self._move(tdir, "_dropped"))
            return outcome, transcript, ag
        _write_provenance(tdir, {"validation": {"ok": True, "checks": [c.name for c in rep.checks]}}, transcript)
        outcome.status, outcome.path = "kept", str(tdir)
        return outcome, transcript, ag

    def assemble(self, spec: TaskSpec, ag: Agreement, transcript: Transcript) -> Path:
        tdir = self.out / spec.id
        if tdir.exists():
            shutil.rmtree(tdir)
        tdir.mkdir(parents=True)
        for name in ("initial_setup.py", "golden_patch.py"):
            shutil.copy(ag.generator_dir / name, tdir / name)
        nms = sorted((ag.generator_dir / "near_miss").glob("*.py"))
        if nms:
            (tdir / "near_miss").mkdir()
            for p in nms:
                shutil.copy(p, tdir / "near_miss" / p.name)
        shutil.copy(ag.discriminator_dir / "reward.py", tdir / "reward.py")
        config = {"id": spec.id, "apps": list(spec.apps), "instruction": spec.instruction,
                  "success_criteria": list(spec.success_criteria), "difficulty": spec.difficulty,
                  "family": spec.family,
                  "provenance": {"source": "synth", "model": self.llm.model, "topic": spec.topic,
                                 "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                 "rounds": ag.rounds, "round_log": [r.summary() for r in ag.log],
                                 "scores": ag.scores, "damage_probe": ag.probe,
                                 # the round whose evidence first showed the Discriminator the golden state
                                 # (0: never; the reward was written and kept blind)
                                 "golden_shown_to_discriminator": ag.golden_shown,
                                 "transcript": "provenance/transcript.jsonl"}}
        (tdir / "task_config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
        return tdir  # the validation that follows adds its result and the transcript

    def vote(self, outcome: TupleOutcome, ag: Agreement, transcript: Transcript) -> None:
        tdir = Path(outcome.path)
        cfg = json.loads((tdir / "task_config.json").read_text())
        run = ag.run
        assert run is not None
        budget = self.cfg.max_state_chars // 3
        nms = "\n".join(f"- near miss {k + 1} (reward {ag.scores.get(st.name, '?')}):\n"
                        + render_diff(st.diff, budget // max(len(run.near_misses), 1))
                        for k, st in enumerate(run.near_misses)) or "(none)"
        messages = judge_messages(", ".join(f'"{a}"' for a in cfg["apps"]), cfg["instruction"], cfg["success_criteria"],
                                  (tdir / "reward.py").read_text(), render_diff(run.states["golden"].diff, budget), nms)
        res = run_vote(self.llm, messages, cfg["instruction"], self.cfg.vote.judges, self.cfg.vote.temperature,
                       transcript)
        update: dict[str, Any] = {"vote": res.to_dict()}
        fields: dict[str, Any] = {}
        if res.decision == "revise_instruction":
            update["original_instruction"] = cfg["instruction"]
            fields["instruction"] = res.instruction
            outcome.revised = True
        _write_provenance(tdir, update, transcript, **fields)
        if res.decision == "reject":
            outcome.status = "rejected_vote"
            outcome.reason = (f"rejected by {res.counts['reject']} of {len(res.votes)} judges: "
                              + " | ".join(v.reason for v in res.votes if v.verdict == "reject"))
            outcome.path = str(self._move(tdir, "_rejected"))

    def rollout_filter(self, outcome: TupleOutcome, transcript: Transcript) -> None:
        assert self.teacher is not None
        tdir = Path(outcome.path)
        t = self.cfg.teacher
        verdict, trajs = verify(load_tuple(tdir), self.teacher, t.min_success, t.max_success)
        update: dict[str, Any] = {"rollout": verdict.to_dict()}
        golden = golden_from(trajs, self.teacher.geometry) if verdict.keep else None
        if golden is not None and not (tdir / GOLDEN_ACTIONS).exists():
            # A solved rollout becomes the tuple's golden UI trajectory (for warm starts and the validator's replay).
            (tdir / GOLDEN_ACTIONS).write_text(json.dumps(golden, indent=1) + "\n")
            update["golden_actions"] = golden["notes"]
        _write_provenance(tdir, update, transcript)
        if not verdict.keep:
            outcome.status, outcome.reason = "rejected_rollout", verdict.reason
            outcome.path = str(self._move(tdir, "_rejected"))

    def _move(self, tdir: Path, where: str) -> Path:
        dst = self.out / where / tdir.name
        if dst.exists():
            shutil.rmtree(dst)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(tdir), str(dst))
        return dst

    # ------------------------------------------------------------------ all of it
    def run(self, apps: list[str], n: int, cross: bool = False) -> SynthSummary:
        t0 = time.monotonic()
        self.out.mkdir(parents=True, exist_ok=True)
        summary = SynthSummary(model=self.llm.model)
        candidates = self.propose(apps, n, summary, cross)
        done = [0]

        def one(item: tuple[TaskSpec, list[AppInfo]]) -> tuple[TupleOutcome, Transcript, Agreement]:
            spec, infos = item
            transcript = Transcript()
            ag = Agreement(spec, False, 0)
            try:
                outcome, transcript, ag = self.agree_and_assemble(spec, infos, transcript)
                if outcome.status == "kept" and self.cfg.vote.enabled:
                    self.vote(outcome, ag, transcript)
            except Exception as e:  # one task's failure (LLM outage, hub error, a bug) never ends the run
                why = f"{type(e).__name__}: {e}"
                if (self.out / spec.id).exists():
                    self._move(self.out / spec.id, "_dropped")  # a half-filtered tuple is not kept (nor lost)
                outcome = TupleOutcome(spec.id, "+".join(spec.apps), "dropped", f"failed: {why}", ag.rounds,
                                       str(self._drop(spec, f"failed: {why}", transcript, ag)))
            outcome.usage = transcript.usage()["total"].to_dict()
            with self._lock:
                done[0] += 1
                self.log(f"[{done[0]}/{len(candidates)}] {spec.id}: {outcome.status} after {outcome.rounds} round(s)"
                         + (f" ({outcome.reason[:160]})" if outcome.reason else ""))
                self.progress("tasks", done[0], len(candidates))
            return outcome, transcript, ag

        self.progress("tasks", 0, len(candidates))
        with ThreadPoolExecutor(max_workers=self.cfg.llm.concurrency) as pool:
            results = list(pool.map(one, candidates))
        # Teacher rollouts drive one browser from this thread, tuple after tuple.
        if self.teacher is not None:
            todo = [(o, tr) for o, tr, _ in results if o.status == "kept"]
            for k, (o, tr) in enumerate(todo):
                try:
                    self.rollout_filter(o, tr)
                except Exception as e:  # the teacher or its browser failed for good: not kept, not lost
                    o.status, o.reason = "rejected_rollout", f"teacher rollouts failed: {type(e).__name__}: {e}"
                    if Path(o.path).exists() and Path(o.path).parent == self.out:
                        o.path = str(self._move(Path(o.path), "_rejected"))
                o.usage = tr.usage()["total"].to_dict()
                self.log(f"[rollout {k + 1}/{len(todo)}] {o.id}: {o.status}" + (f" ({o.reason})" if o.reason else ""))
                self.progress("teacher rollouts", k + 1, len(todo))
        else:
            for o, tr, _ in results:
                if o.status == "kept":
                    _write_provenance(Path(o.path), {"rollout": {"skipped": "no teacher (synth.teacher.policy)"}}, tr)
        summary.outcomes = [o for o, _, _ in results]
        summary.agreed = sum(1 for _, _, ag in results if ag.agreed)
        summary.kept = summary.count("kept")
        summary.usage = {k: u.to_dict() for k, u in self.llm.usage.items()}
        summary.usage["total"] = self.llm.total_usage().to_dict()
        summary.seconds = time.monotonic() - t0
        (self.out / "synth_summary.json").write_text(json.dumps(summary.to_dict(), indent=2))
        return summary
