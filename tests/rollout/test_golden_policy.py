"""The scripted golden policy through the batched rollout on the Ray pool: every bundled tuple
that carries golden UI actions is replayed as model turns (parsed, executed in real Chromium,
scored by its reward script), and at least 95% must score 1. Each failure is listed with why."""

from __future__ import annotations

import json
import pytest

from cuagym.data.format import TupleError, load_tuple
from cuagym.data.validate import iter_tuple_dirs
from cuagym.rollout.agent_loop import LoopConfig
from cuagym.rollout.batch import rollout_batch
from cuagym.rollout.pool import EnvPool
from cuagym.rollout.scripted import GoldenEngine

from .test_pool import TUPLES, builder_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("sandbox"), pytest.mark.hub("all")]

REQUIRED_RATE = 0.95


def last_lines(text: str, n: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-n:])


@pytest.mark.timeout(3600)  # about 125 tuples; 15+ minutes on a loaded 2-core machine
def test_golden_actions_score_one_on_at_least_95_percent(tmp_path, ray_session, hub, shared_tiny_policy):
    pol = shared_tiny_policy
    tuples, failures = [], []
    for d in iter_tuple_dirs(TUPLES):
        if not (d / "golden_actions.json").exists():
            continue
        try:
            tuples.append(load_tuple(d))
        except TupleError as e:
            failures.append((d.name, f"does not load: {e}"))
    assert len(tuples) >= 20, f"expected the bundled tuples under {TUPLES}, found {len(tuples)}"
    cfg = LoopConfig(max_turns=max(len(t.golden_actions().steps) for t in tuples) + 1)
    with EnvPool(hub.urls, hub.admin_token, workers=2, slots_per_worker=4, cpus_per_worker=0.5,
                 failure_retries=1) as pool:
        groups = rollout_batch(tuples, 1, pool, GoldenEngine(tuples, pol.tokenizer), builder_for(pol),
                               pol.tokenizer, cfg, run_dir=tmp_path / "run")
    for t, (tr,) in zip(tuples, groups):
        if tr.termination == "env_failure":
            failures.append((t.id, f"environment failure: {tr.env_failure}"))
        elif tr.reward != 1.0:
            failures.append((t.id, f"reward {tr.reward} after {len(tr.steps)} turns ({tr.termination}): "
                                   f"{last_lines(tr.reward_output)}"))
    total = len(tuples) + sum(r.startswith("does not load") for _, r in failures)
    rate = 1 - len(failures) / total
    print(f"\ngolden policy: {total - len(failures)}/{total} tuples score 1 ({rate:.1%}); "
          f"env failure events {len(groups.failures)}, {groups.metrics['perf/env_steps_per_s']:.2f} env steps/s")
    for tid, why in failures:
        print(f"  FAIL {tid}: {why}")
    (tmp_path / "golden_report.json").write_text(json.dumps({"rate": rate, "failures": failures}, indent=1))
    assert rate >= REQUIRED_RATE, f"{len(failures)} of {total} tuples fail: {failures}"
