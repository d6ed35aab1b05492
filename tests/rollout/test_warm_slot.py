"""An env worker runs its slots' setup and reward scripts in its warm sandbox: the uncached
setup and every score run in the worker's zygote (none on the cold path), rewards are the
tuple's, and closing the worker ends the zygote."""

from __future__ import annotations

from pathlib import Path

import pytest

from cuagym.rollout.worker import EnvWorker

pytestmark = [pytest.mark.usefixtures("sandbox"), pytest.mark.hub(["notes"])]

PIN = Path(__file__).resolve().parents[2] / "data" / "tuples" / "notes" / "notes.pin.hiring_plan"


def test_worker_scripts_run_in_its_warm_sandbox(hub):
    w = EnvWorker(hub.urls, hub.admin_token, num_slots=1, setup_cache="off")
    try:
        for _ in range(2):
            w.reset(0, str(PIN))
            assert w.score(0).reward == 0.0  # the initial state: the tuple's reward says not done
        stats = w.ping()["sandbox"]
        assert stats["warm_runs"] == 4 and stats["cold_runs"] == 0 and stats["starts"] == 1, stats
        zygote = w.sandbox._zygote.proc
        assert zygote.poll() is None
    finally:
        w.close()
    assert zygote.wait(10) is not None  # closed with the worker
