"""Ray placement groups built from a placement plan (:mod:`cuagym.train.placement`).

    placement = RayPlacement.create(plan)          # after ray.init(...)
    Learner.options(**placement.learner_slot(0).options(num_gpus=0.5)).remote(...)
    placement.remove()

Per plan node, one placement group with one bundle per GPU in use (``{"GPU": 1, "CPU": k}``,
k = processes on that GPU: a learner rank and/or an engine shard), strategy STRICT_PACK so
the bundles share a machine and bundle i is a fixed GPU: a colocated learner rank and
engine shard are scheduled into the same bundle and so share one device. The env-worker
pool is one group with a CPU bundle per node, strategy STRICT_SPREAD (one bundle on each
machine). CPU runs get CPU bundles on node 0.

Nodes started by ``launch/train_a17b.sh`` declare a custom resource ``cuagym_node_<rank>``;
when present every bundle asks for a sliver of it, so plan node i is the machine launched
with NODE_RANK i. Without those resources (a cluster started by hand) the groups land
wherever they fit and are checked to sit on distinct machines.

``python -m cuagym.train.ray_cluster wait --address HOST:PORT --nodes N --timeout S``
blocks until N nodes have joined (the head's step in the multi-node launch).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import Any, Sequence

from cuagym.train.placement import Plan

NODE_RESOURCE = "cuagym_node_{}"
PIN_AMOUNT = 0.001   # a sliver of the node's marker resource: many bundles may pin to one node


class PlacementError(RuntimeError):
    """The Ray cluster cannot host the plan; the message says what is missing."""


@dataclass(frozen=True)
class NodeDemand:
    """What one plan node asks of its machine."""

    node: int
    bundles: tuple[dict[str, float], ...]     # actor bundles (per GPU, or per CPU process)
    bundle_of_gpu: dict[int | None, int]       # plan GPU index -> bundle index (None: CPU processes)
    env: dict[str, float]                      # the env-worker bundle (may be empty)

    @property
    def gpus(self) -> float:
        return sum(b.get("GPU", 0.0) for b in self.bundles)

    @property
    def cpus(self) -> float:
        return sum(b.get("CPU", 0.0) for b in self.bundles) + self.env.get("CPU", 0.0)


def node_demands(plan: Plan, *, pin: bool) -> list[NodeDemand]:
    """Bundles of every plan node (pure): GPU bundles sized by the processes sharing each GPU."""
    procs: dict[tuple[int, int | None], int] = {}
    for ref in plan.learner_ranks:
        procs[(ref.node, ref.gpu)] = procs.get((ref.node, ref.gpu), 0) + 1
    for engine in plan.engines:
        for ref in engine.devices:
            procs[(ref.node, ref.gpu)] = procs.get((ref.node, ref.gpu), 0) + 1
    out = []
    for n in range(plan.nodes):
        marker = {NODE_RESOURCE.format(n): PIN_AMOUNT} if pin else {}
        bundles: list[dict[str, float]] = []
        index: dict[int | None, int] = {}
        if plan.device == "gpu":
            for gpu in sorted(g for (node, g), _ in procs.items() if node == n):
                index[gpu] = len(bundles)
                bundles.append({"GPU": 1.0, "CPU": float(procs[(n, gpu)]), **marker})
        elif (n, None) in procs:
            # CPU processes: one bundle each, so no two share a core reservation.
            index[None] = 0
            bundles += [{"CPU": 1.0, **marker} for _ in range(procs[(n, None)])]
        env_cpus = plan.env[n].cpus if n < len(plan.env) else 0.0
        env = {"CPU": float(env_cpus), **marker} if env_cpus else {}
        out.append(NodeDemand(n, tuple(bundles), index, env))
    return out


def _describe(node: dict) -> str:
    res = node.get("Resources", {})
    return f"{node.get('NodeID', '?')[:8]} ({res.get('GPU', 0):g} GPU, {res.get('CPU', 0):g} CPU)"


def check_resources(plan: Plan, ray_nodes: Sequence[dict], *, pin: bool) -> None:
    """Raise :class:`PlacementError` unless the alive nodes (``ray.nodes()``) can hold every plan node."""
    alive = [n for n in ray_nodes if n.get("Alive", n.get("alive", False))]
    demands = [d for d in node_demands(plan, pin=pin) if d.bundles or d.env]
    if pin:
        problems = []
        for d in demands:
            key = NODE_RESOURCE.format(d.node)
            hosts = [n for n in alive if key in n.get("Resources", {})]
            if not hosts:
                problems.append(f"plan node {d.node}: no alive Ray node declares {key} (was NODE_RANK={d.node} started?)")
                continue
            res = hosts[0]["Resources"]
            if res.get("GPU", 0) < d.gpus or res.get("CPU", 0) < d.cpus:
                problems.append(f"plan node {d.node} needs {d.gpus:g} GPU and {d.cpus:g} CPU; its Ray node "
                                f"{_describe(hosts[0])} has less")
        if problems:
            raise PlacementError("the Ray cluster cannot host the plan:\n" + "\n".join(f"- {p}" for p in problems))
        return
    # Unpinned: match the largest demands to the largest nodes, one plan node per machine.
    want = sorted(demands, key=lambda d: (d.gpus, d.cpus), reverse=True)
    have = sorted(alive, key=lambda n: (n["Resources"].get("GPU", 0), n["Resources"].get("CPU", 0)), reverse=True)
    ok = len(have) >= len(want) and all(
        h["Resources"].get("GPU", 0) >= d.gpus and h["Resources"].get("CPU", 0) >= d.cpus for d, h in zip(want, have))
    if not ok:
        need = ", ".join(f"node {d.node}: {d.gpus:g} GPU + {d.cpus:g} CPU" for d in demands)
        raise PlacementError(f"the Ray cluster cannot host the plan: it needs {len(demands)} machine(s) ({need}); "
                             f"alive Ray nodes: " + (", ".join(_describe(n) for n in alive) or "none"))


@dataclass(frozen=True)
class Slot:
    """One bundle of a placement group: where one actor (or two colocated ones) runs."""

    group: Any
    bundle: int
    node: int

    def options(self, num_gpus: float = 0.0, num_cpus: float = 1.0) -> dict[str, Any]:
        """Keyword arguments for ``ActorClass.options(...)`` that schedule into this bundle."""
        from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

        return {"num_gpus": num_gpus, "num_cpus": num_cpus,
                "scheduling_strategy": PlacementGroupSchedulingStrategy(
                    placement_group=self.group, placement_group_bundle_index=self.bundle)}


class RayPlacement:
    """The placement groups of a plan, created and ready, with the slot of every actor."""

    def __init__(self, plan: Plan, demands: list[NodeDemand], node_groups: list[Any], env_group: Any,
                 node_ids: list[str | None], pinned: bool) -> None:
        self.plan, self.demands, self.node_groups, self.env_group = plan, demands, node_groups, env_group
        self.node_ids, self.pinned = node_ids, pinned

    @classmethod
    def create(cls, plan: Plan, timeout_s: float = 120.0) -> "RayPlacement":
        """Check the cluster's resources, create the groups and wait until all are ready."""
        import ray
        from ray.util.placement_group import placement_group, placement_group_table

        plan.raise_if_refused()
        resources = ray.cluster_resources()
        # Nodes started by the launch script carry markers; then every plan node must have its own.
        pinned = any(k.startswith(NODE_RESOURCE.format("")) for k in resources)
        check_resources(plan, ray.nodes(), pin=pinned)
        demands = node_demands(plan, pin=pinned)
        groups = [placement_group(list(d.bundles), strategy="STRICT_PACK", name=f"cuagym-node-{d.node}")
                  if d.bundles else None for d in demands]
        env_bundles = [d.env for d in demands if d.env]
        env_group = placement_group(env_bundles, strategy="STRICT_SPREAD", name="cuagym-env") if env_bundles else None
        pending = [g for g in groups + [env_group] if g is not None]
        ready, not_ready = ray.wait([g.ready() for g in pending], num_returns=len(pending), timeout=timeout_s)
        if not_ready:
            for g in pending:
                ray.util.remove_placement_group(g)
            raise PlacementError(f"{len(not_ready)} of {len(pending)} placement groups were not ready after "
                                 f"{timeout_s:g} s: the cluster lacks GPUs or CPUs for the plan (see `ray status`)")
        node_ids: list[str | None] = []
        for g in groups:
            table = placement_group_table(g) if g is not None else {}
            ids = set(table.get("bundles_to_node_id", {}).values())
            node_ids.append(ids.pop() if ids else None)
        placed = [i for i in node_ids if i is not None]
        if len(set(placed)) != len(placed):
            for g in pending:
                ray.util.remove_placement_group(g)
            raise PlacementError("two plan nodes landed on one Ray node; start each machine with "
                                 "launch/train_a17b.sh (it declares cuagym_node_<rank>) or give nodes exactly "
                                 "cluster.gpus_per_node GPUs")
        return cls(plan, demands, groups, env_group, node_ids, pinned)

    def _slot(self, node: int, gpu: int | None, offset: int = 0) -> Slot:
        demand = self.demands[node]
        return Slot(self.node_groups[node], demand.bundle_of_gpu[gpu] + offset, node)

    def learner_slot(self, rank: int) -> Slot:
        ref = self.plan.learner_ranks[rank]
        return self._slot(ref.node, ref.gpu, rank if ref.gpu is None else 0)

    def engine_slots(self, index: int) -> list[Slot]:
        """One slot per GPU of engine ``index`` (its TP/EP shards), in rank order."""
        engine = self.plan.engines[index]
        if engine.devices[0].gpu is None:
            # CPU engines follow the CPU learner ranks in node 0's bundles.
            return [self._slot(engine.devices[0].node, None, len(self.plan.learner_ranks) + index)]
        return [self._slot(ref.node, ref.gpu) for ref in engine.devices]

    def env_slot(self, node: int) -> Slot:
        """The CPU bundle of node ``node``'s env workers (each worker takes env_cpus_per_worker of it)."""
        if self.env_group is None:
            raise PlacementError("the plan has no env workers")
        order = [d.node for d in self.demands if d.env]
        return Slot(self.env_group, order.index(node), node)

    def env_node_ids(self) -> list[str]:
        """Ray node id of each env bundle, in plan-node order."""
        from ray.util.placement_group import placement_group_table

        table = placement_group_table(self.env_group)["bundles_to_node_id"]
        return [table[i] for i in sorted(table)]

    def remove(self) -> None:
        import ray

        for g in self.node_groups + [self.env_group]:
            if g is not None:
                ray.util.remove_placement_group(g)


def joined_ranks(ray_nodes: Sequence[dict]) -> list[int]:
    """NODE_RANKs of the alive nodes that declare a ``cuagym_node_<rank>`` resource."""
    ranks = []
    prefix = NODE_RESOURCE.format("")
    for node in ray_nodes:
        if node.get("Alive"):
            ranks += [int(k[len(prefix):]) for k in node.get("Resources", {}) if k.startswith(prefix)]
    return sorted(ranks)


def wait_for_nodes(count: int, timeout_s: float, poll_s: float = 2.0) -> list[dict]:
    """Block until ``count`` nodes are alive in the connected Ray cluster; PlacementError on timeout."""
    import ray

    deadline = time.monotonic() + timeout_s
    while True:
        nodes = [n for n in ray.nodes() if n.get("Alive")]
        if len(nodes) >= count:
            return nodes
        if time.monotonic() > deadline:
            ranks = joined_ranks(nodes)
            missing = sorted(set(range(count)) - set(ranks)) if ranks else []
            detail = f"; missing NODE_RANKs: {missing}" if missing else ""
            raise PlacementError(f"only {len(nodes)} of {count} nodes joined the Ray cluster within "
                                 f"{timeout_s:g} s{detail}: check that every node ran launch/train_a17b.sh "
                                 "and can reach MASTER_ADDR:MASTER_PORT")
        time.sleep(poll_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cuagym.train.ray_cluster")
    sub = parser.add_subparsers(dest="cmd", required=True)
    wait = sub.add_parser("wait", help="block until N nodes joined the Ray cluster at ADDRESS")
    wait.add_argument("--address", required=True, help="HOST:PORT of the Ray head")
    wait.add_argument("--nodes", type=int, required=True)
    wait.add_argument("--timeout", type=float, required=True, help="seconds")
    args = parser.parse_args(argv)
    import ray

    deadline = time.monotonic() + args.timeout
    while True:  # the head's GCS may still be starting
        try:
            ray.init(address=args.address, logging_level="ERROR", log_to_driver=False)
            break
        except (ConnectionError, RuntimeError) as err:
            if time.monotonic() > deadline:
                print(f"error: no Ray head answered at {args.address} within {args.timeout:g} s: {err}", file=sys.stderr)
                return 1
            time.sleep(2.0)
    try:
        nodes = wait_for_nodes(args.nodes, max(0.0, deadline - time.monotonic()))
    except PlacementError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    finally:
        ray.shutdown()
    print(f"all {args.nodes} node(s) joined: NODE_RANKs {joined_ranks(nodes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
