"""Evaluation on held-out tuples: the success rate per tuple, per app and overall.

``evaluate`` rolls out G episodes per tuple with the policy as it is (no update); the set-up
(tuples, hub, pool, engine, context builder) comes from :mod:`cuagym.rollout.setup`, the same
one training uses::

    report = evaluate(tuples, group_size, pool, engine, builder, tokenizer, loop_cfg, run_dir)
    print(success_table(report))
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from cuagym.data.format import TaskTuple
from cuagym.rollout.agent_loop import LoopConfig
from cuagym.rollout.batch import by_app, rollout_batch
from cuagym.scaffold import ContextBuilder


# ------------------------------------------------------------------------ evaluation
@dataclass
class EvalReport:
    """Success of each tuple (fraction of its G episodes with reward 1), per app and overall."""

    per_tuple: dict[str, float] = field(default_factory=dict)
    per_app: dict[str, float] = field(default_factory=dict)
    success_rate: float = 0.0
    reward_mean: float = 0.0
    episodes: int = 0
    env_failures: int = 0
    group_size: int = 0
    policy: str = ""

    def metrics(self, prefix: str = "eval") -> dict[str, float]:
        out = {f"{prefix}/success_rate": self.success_rate, f"{prefix}/reward_mean": self.reward_mean,
               f"{prefix}/episodes": float(self.episodes)}
        out.update({f"{prefix}/success_rate/{app}": v for app, v in self.per_app.items()})
        return out

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)


def report_of(groups: Sequence[Sequence[Any]], group_size: int, policy: str = "") -> EvalReport:
    """Aggregate scored groups (environment failures are left out of every rate)."""
    rep = EvalReport(group_size=group_size, policy=policy)
    trajs = [t for g in groups for t in g]
    ok = [t for t in trajs if t.reward is not None]
    rep.env_failures = len(trajs) - len(ok)
    for group in groups:
        scored = [1.0 if t.reward == 1.0 else 0.0 for t in group if t.reward is not None]
        if scored:
            rep.per_tuple[group[0].tuple_id] = sum(scored) / len(scored)
    rep.episodes = len(ok)
    if ok:
        rep.success_rate = sum(t.reward == 1.0 for t in ok) / len(ok)
        rep.reward_mean = sum(t.reward for t in ok) / len(ok)
    rep.per_app = {app: sum(t.reward == 1.0 for t in ts) / len(ts)
                   for app, ts in by_app(ok, failures=True).items()}
    return rep


def evaluate(tuples: Sequence[TaskTuple], group_size: int, pool: Any, engine: Any, builder: ContextBuilder,
             tokenizer: Any, loop_cfg: LoopConfig, run_dir: str | Path | None = None, *,
             policy: str = "", policy_version: int = 0) -> EvalReport:
    """Roll out ``group_size`` episodes of every tuple with the engine's current weights."""
    groups = rollout_batch(tuples, group_size, pool, engine, builder, tokenizer, loop_cfg, run_dir,
                           policy_version=policy_version)
    return report_of(groups, group_size, policy)


def success_table(rep: EvalReport) -> str:
    """A plain-text table: one line per tuple, then per app, then overall."""
    width = max([len(k) for k in rep.per_tuple] + [len(k) for k in rep.per_app] + [7])
    lines = [f"{'tuple':<{width}}  success", f"{'-' * width}  -------"]
    lines += [f"{k:<{width}}  {v:7.1%}" for k, v in sorted(rep.per_tuple.items())]
    lines += [f"{'-' * width}  -------"]
    lines += [f"{'app ' + k:<{width}}  {v:7.1%}" for k, v in rep.per_app.items()]
    lines += [f"{'overall':<{width}}  {rep.success_rate:7.1%}",
              f"({rep.episodes} episodes, G={rep.group_size}, {rep.env_failures} environment failures)"]
    return "\n".join(lines)
