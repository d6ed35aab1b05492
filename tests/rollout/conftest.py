"""Fixtures of the rollout tests: one local Ray instance per module."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="module")
def ray_session():
    """Ray for the module's env pools: started here unless already running, sized for a 2-core machine."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    import ray

    owned = not ray.is_initialized()
    if owned:
        # address="local": a Ray instance of its own, never one that another process left running here.
        ray.init(address="local", num_cpus=2, include_dashboard=False, object_store_memory=1 << 30,
                 log_to_driver=False)
    yield ray
    if owned:
        ray.shutdown()
