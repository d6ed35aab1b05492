"""Evaluation on held-out tuples, and the rollout set-up it shares with training and SFT.

The set-up: the tuples (a dataset folder with prefix filters), the hub serving their apps,
a pool of browser workers, the HF engine and the scaffold's context builder, all built from
one :class:`~cuagym.config.Config` so that training, evaluation and the supervised warm start
see identical prompts and screenshots.

``evaluate`` rolls out G episodes per tuple with the policy as it is (no update) and reports
the success rate per tuple, per app and overall::

    report = evaluate(tuples, group_size, pool, engine, builder, tokenizer, loop_cfg, run_dir)
    print(success_table(report))
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from cuagym.config import Config, RolloutConfig
from cuagym.data.dataset import Dataset
from cuagym.data.format import TaskTuple
from cuagym.rollout.agent_loop import LoopConfig
from cuagym.rollout.batch import rollout_batch
from cuagym.rollout.engines.base import SamplingParams
from cuagym.scaffold import ContextBuilder
from cuagym.scaffold.prompt import system_prompt


# ---------------------------------------------------------------------------- set-up
def load_tuples(root: str | Path, prefixes: Sequence[str] = ()) -> list[TaskTuple]:
    """Every tuple under ``root`` whose id or family starts with one of ``prefixes`` (all if empty)."""
    ds = Dataset(root, prefixes=list(prefixes))
    tuples = list(ds)
    if not tuples:
        raise ValueError(f"no tuples under {root} match the filter {list(prefixes) or '(none)'}; "
                         "expected at least one tuple folder with task_config.json")
    return tuples


def make_builder(policy: Any, rc: RolloutConfig) -> ContextBuilder:
    """The scaffold's context builder for ``policy`` under the rollout config's prompt and fold rule."""
    return ContextBuilder(policy.tokenizer, policy.processor.image_processor,
                          system=system_prompt(rc.coordinate_frame, (rc.image_width, rc.image_height),
                                               rc.max_actions_per_turn),
                          image_max=rc.image_max, fold_size=rc.fold_size)


def loop_config(rc: RolloutConfig, temperature: float | None = None) -> LoopConfig:
    """The agent loop's settings (``temperature`` overrides the rollout temperature)."""
    t = rc.temperature if temperature is None or temperature < 0 else temperature
    return LoopConfig(max_turns=rc.max_turns, max_actions_per_turn=rc.max_actions_per_turn,
                      frame=rc.coordinate_frame, episode_timeout_s=rc.episode_timeout_s,
                      sampling=SamplingParams(temperature=t, top_p=rc.top_p, max_new_tokens=rc.max_new_tokens))


def make_engine(model: Any, builder: ContextBuilder, tokenizer: Any) -> Any:
    """The CPU engine (HF generate) around ``model``; ends a turn at ``<|im_end|>``."""
    from cuagym.rollout.engines.hf import HFEngine

    return HFEngine(model.eval(), eos_token_ids=[builder.im_end], pad_token_id=tokenizer.pad_token_id)


@contextlib.contextmanager
def environment(cfg: Config, apps: Sequence[str], *, slots: int | None = None) -> Iterator[Any]:
    """The hub (started here unless ``hub.urls`` names a running one) and a browser pool, for
    the ``apps`` the tuples need. Yields the :class:`~cuagym.rollout.pool.EnvPool`."""
    from cuagym.hub.launcher import HubProcess
    from cuagym.rollout.pool import EnvPool

    apps = sorted(set(apps))
    rc = cfg.rollout
    with contextlib.ExitStack() as stack:
        if cfg.hub.urls:
            missing = [a for a in apps if a not in cfg.hub.urls]
            if missing:
                raise ValueError(f"hub.urls has no URL for {missing}; the tuples need apps {apps}")
            token = os.environ.get("CUA_GYM_ADMIN_TOKEN", "")
            if cfg.hub.hardened and not token:
                raise ValueError("hub.urls points at a running hardened hub: set CUA_GYM_ADMIN_TOKEN to its admin token")
            urls = dict(cfg.hub.urls)
        else:
            hub = stack.enter_context(HubProcess(apps, hardened=cfg.hub.hardened, host=cfg.hub.host))
            urls, token = hub.urls, hub.admin_token
        if rc.env_mode == "ray":
            import ray

            if not ray.is_initialized():
                os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
                ray.init(include_dashboard=False, object_store_memory=1 << 30, log_to_driver=False)
                stack.callback(ray.shutdown)
        overrides = {"slots_per_worker": slots} if slots else {}
        pool = stack.enter_context(EnvPool.from_config(rc, urls, token, **overrides))
        yield pool


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
    by_app: dict[str, list[float]] = {}
    done: list[float] = []
    for group in groups:
        ok = [t for t in group if t.reward is not None]
        rep.env_failures += len(group) - len(ok)
        if not ok:
            continue
        wins = [1.0 if t.reward == 1.0 else 0.0 for t in ok]
        rep.per_tuple[ok[0].tuple_id] = sum(wins) / len(wins)
        by_app.setdefault("+".join(ok[0].apps), []).extend(wins)
        done.extend(wins)
        rep.reward_mean += sum(t.reward for t in ok)
    rep.episodes = len(done)
    if done:
        rep.success_rate = sum(done) / len(done)
        rep.reward_mean /= len(done)
    rep.per_app = {app: sum(v) / len(v) for app, v in sorted(by_app.items())}
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
