"""Final filter 2: a teacher policy rolls each task out several times through the real agent loop
(hub, Chromium, reward in the sandbox); the task is kept when its success rate lies in the band
``[min_success, max_success]``: solvable, and not trivially solved.

The teacher is anything ``cuagym rollout --policy`` accepts: the URL of an OpenAI-compatible
server (a served vision-language model), or a local checkpoint folder.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from cuagym.actions import Action, Geometry, convert
from cuagym.data.format import TaskTuple
from cuagym.rollout.batch import rollout_batch
from cuagym.rollout.setup import environment, loop_config, policy_kind, policy_side

# Rolls one task out as a group of episodes and returns its scored trajectories.
GroupRunner = Callable[[TaskTuple], list]


@dataclass
class RolloutVerdict:
    keep: bool
    successes: int
    rollouts: int          # scored rollouts (environment failures are left out)
    env_failures: int
    success_rate: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def band_decision(successes: int, scored: int, env_failures: int, min_success: float,
                  max_success: float) -> RolloutVerdict:
    """Keep a task whose teacher success rate is within [min_success, max_success]; pure."""
    if scored == 0:
        return RolloutVerdict(False, 0, 0, env_failures, 0.0,
                              f"no rollout could be scored ({env_failures} environment failures)")
    rate = successes / scored
    if rate < min_success:
        why = f"unsolvable by the teacher: {successes}/{scored} successes, below {min_success:g}"
        return RolloutVerdict(False, successes, scored, env_failures, rate, why)
    if rate > max_success:
        why = f"trivially solved: {successes}/{scored} successes, above {max_success:g}"
        return RolloutVerdict(False, successes, scored, env_failures, rate, why)
    return RolloutVerdict(True, successes, scored, env_failures, rate,
                          f"{successes}/{scored} successes, within [{min_success:g}, {max_success:g}]")


def verify(t: TaskTuple, run_group: GroupRunner, min_success: float,
           max_success: float) -> tuple[RolloutVerdict, list]:
    """The band decision on the teacher's rollouts of ``t``, and the trajectories."""
    trajs = run_group(t)
    scored = [x for x in trajs if x.reward is not None]
    wins = sum(1 for x in scored if x.reward == 1.0)
    return band_decision(wins, len(scored), len(trajs) - len(scored), min_success, max_success), trajs


def golden_from(trajs: list, geometry: Geometry) -> dict[str, Any] | None:
    """The first successful teacher trajectory without invalid calls, as ``golden_actions.json``
    content (actions in viewport pixels), or None when there is none."""
    for t in trajs:
        if t.reward != 1.0 or t.num_invalid or not any(s.actions for s in t.steps):
            continue
        steps = []
        for s in t.steps:
            turn = []
            for a in s.actions:
                d = convert(Action.from_dict(a), "screen", geometry).to_dict()
                turn.append({k: (round(v, 1) if k in ("x", "y") else v) for k, v in d.items()})
            if turn:
                steps.append(turn)
        return {"viewport": list(geometry.screen), "steps": steps, "notes": f"teacher rollout {t.traj_id}"}
    return None


class TeacherRunner:
    """A GroupRunner that also knows the geometry its actions were taken in."""

    def __init__(self, run_group: GroupRunner, geometry: Geometry) -> None:
        self.run_group, self.geometry = run_group, geometry

    def __call__(self, t: TaskTuple) -> list:
        return self.run_group(t)


@contextlib.contextmanager
def teacher_runner(cfg: Any, hub_urls: dict[str, str], admin_token: str, run_dir: Path):
    """A GroupRunner rolling tasks out ``synth.teacher.rollouts`` times with ``synth.teacher.policy``
    on a browser pool (``rollout.env_*``) against the running hub ``hub_urls``."""
    import os

    tc = cfg.synth.teacher
    if not tc.policy or tc.policy == "golden":
        raise ValueError(f"synth.teacher.policy {tc.policy!r}: give a server URL or a checkpoint folder")
    if policy_kind(tc.policy) == "path" and not Path(tc.policy).is_dir():
        raise ValueError(f"synth.teacher.policy {tc.policy!r}: no such checkpoint folder")
    side = policy_side(cfg, tc.policy, served_model=tc.served_model,
                       api_key=os.environ.get(tc.api_key_env, "") if tc.api_key_env else "")
    r = cfg.rollout
    loop = loop_config(r)
    with environment(cfg, sorted(hub_urls), slots=tc.rollouts, endpoints=(hub_urls, admin_token)) as pool:
        def run(t: TaskTuple) -> list:
            return rollout_batch([t], tc.rollouts, pool, side.engine, side.builder, side.tokenizer, loop, run_dir)[0]

        yield TeacherRunner(run, Geometry((r.screen_width, r.screen_height), (r.image_width, r.image_height)))
