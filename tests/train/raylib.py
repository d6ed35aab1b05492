"""A simulated multi-node Ray cluster on this machine (ray.cluster_utils), for placement and runtime tests."""

from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator


@contextlib.contextmanager
def simulated_cluster(head: dict[str, Any], nodes: list[dict[str, Any]]) -> Iterator[Any]:
    """A head with ``head`` resources plus one node per entry of ``nodes`` (``Cluster.add_node``
    arguments), joined and connected to; shut down on exit. Nodes may declare GPUs they do not have."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={**head, "include_dashboard": False})
    for node in nodes:
        cluster.add_node(**node)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, logging_level="ERROR", log_to_driver=False)
    try:
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()
