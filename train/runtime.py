"""The runtime: the processes a training run needs, started as its placement plan says.

    rt = start_runtime(cfg, policy_path, total_steps)
    rt.engines.generate(requests)         # a PolicyEngine: what rollout_batch drives
    rt.learner.update(samples)            # one GSPO update, rank-0 metrics
    rt.sync()                             # learner -> every engine, in buckets
    rt.learner.save(root, step, ...) / rt.learner.load(root) / rt.learner.export(out, ...)
    rt.close()

``cluster.runtime: local`` keeps one learner rank and one HF engine in this process (the
embedded CPU default). ``cluster.runtime: ray`` creates the plan's placement groups
(:class:`~cuagym.train.ray_cluster.RayPlacement`) and starts ``learner.num_ranks``
:class:`LearnerWorker` actors joined in one torch.distributed group (gloo on CPU, NCCL on
GPUs; the rendezvous is rank 0's address, no torchrun) and ``rollout.num_engines``
:class:`EngineWorker` actors (HF, or vLLM on GPUs), each in the bundle the plan names.
Weight sync opens a collective group of learner rank 0 and the engines
(:class:`~cuagym.rollout.engines.weight_sync.SyncGroup`), broadcasts the learner's
parameters in buckets of ``learner.weight_sync_chunk_mb`` (gathered from ZeRO-3 shards on
the way) and closes it; engines load them in place. With ``cluster.colocate`` the engines
sleep during the update. An engine actor that dies is started again, given the learner's
weights, and the requests it held are sent once more (``rollout/engine_restarts``).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from cuagym.config import Config
from cuagym.train.placement import ACTOR_PREFIX

class RuntimeRefused(ValueError):
    """The config asks for something the chosen runtime cannot do; the message names the key."""


def check_runtime(cfg: Config) -> None:
    """Refuse, before anything starts, a config the runtime cannot honour."""
    c, r, lc = cfg.cluster, cfg.rollout, cfg.learner
    problems = []
    if r.engine == "openai":
        problems.append("rollout.engine=openai serves no log-probs of the policy being trained; training needs "
                        "rollout.engine=hf or vllm")
    if r.engine == "vllm":
        from cuagym.rollout.engines.vllm_engine import vllm_missing_reason

        reason = vllm_missing_reason()
        if reason:
            problems.append(f"rollout.engine=vllm: {reason}")
    if r.engine == "hf" and (r.engine_tp_size > 1 or r.engine_ep_size > 1):
        problems.append(f"rollout.engine_tp_size={r.engine_tp_size} / engine_ep_size={r.engine_ep_size}: the hf "
                        "engine runs on one device; set both to 1 or use rollout.engine=vllm")
    if c.colocate and r.engine != "vllm":
        problems.append("cluster.colocate=true puts engines to sleep during the update, which only vLLM engines "
                        "can do; set cluster.colocate=false for rollout.engine=hf")
    if c.runtime == "local":
        if lc.num_ranks > 1:
            problems.append(f"learner.num_ranks={lc.num_ranks} with cluster.runtime=local: the local runtime has one "
                            "learner rank; set cluster.runtime=ray (or learner.num_ranks=1)")
        if r.num_engines > 1:
            problems.append(f"rollout.num_engines={r.num_engines} with cluster.runtime=local: the local runtime has "
                            "one engine; set cluster.runtime=ray (or rollout.num_engines=1)")
        if c.nodes > 1:
            problems.append(f"cluster.nodes={c.nodes} with cluster.runtime=local; set cluster.runtime=ray")
        if c.colocate:
            problems.append("cluster.colocate=true with cluster.runtime=local; set cluster.runtime=ray")
    elif c.nodes > 1 and r.env_mode == "local":
        problems.append(f"rollout.env_mode=local runs every browser in the driver, but cluster.nodes={c.nodes} plans "
                        "env workers on every node; set rollout.env_mode=ray")
    if problems:
        raise RuntimeRefused("the config cannot run as asked:\n" + "\n".join(f"- {p}" for p in problems))


# ----------------------------------------------------------------------------- workers
def _set_rank_env(rank: int, world_size: int, master_addr: str, master_port: int) -> None:
    os.environ.update({"RANK": str(rank), "LOCAL_RANK": "0", "WORLD_SIZE": str(world_size),
                       "MASTER_ADDR": master_addr, "MASTER_PORT": str(master_port)})


def node_address() -> str:
    """This process's node IP as Ray sees it (loopback outside Ray)."""
    try:
        import ray

        if ray.is_initialized():
            return ray.util.get_node_ip_address()
    except Exception:
        pass
    return "127.0.0.1"


class LearnerWorker:
    """One learner rank: a :class:`~cuagym.train.learner.Learner` (DeepSpeed) around its own copy of
    the policy. In the local runtime it lives in the driver; under Ray it is an actor."""

    def __init__(self, cfg: Config, policy_path: str, total_steps: int, rank: int = 0, world_size: int = 1,
                 master: tuple[str, int] | None = None) -> None:
        self.cfg = cfg
        self.policy_path, self.total_steps = policy_path, total_steps
        self.rank, self.world_size, self.master = rank, world_size, master
        self.learner: Any = None

    def free_address(self) -> tuple[str, int]:
        from cuagym.train.distributed import free_port

        return node_address(), free_port()

    def start(self, master: tuple[str, int] | None = None) -> int:
        """Load the policy and build the DeepSpeed engine (collective over the learner ranks)."""
        import torch

        from cuagym.modeling import load_policy
        from cuagym.rollout.setup import vision_token_ids
        from cuagym.train.learner import Learner

        master = master or self.master
        if master is not None:
            _set_rank_env(self.rank, self.world_size, master[0], master[1])
        cfg = self.cfg
        torch.manual_seed(cfg.train.seed)
        policy = load_policy(self.policy_path, dtype=cfg.model.dtype, attn_implementation=cfg.model.attn_implementation)
        # Log-probs under the distribution the engines sample from (greedy rollouts record T = 1),
        # with the vision markers the engines never sample masked out as they mask them.
        temperature = cfg.rollout.temperature if cfg.rollout.temperature > 0 else 1.0
        self.learner = Learner(policy, cfg.learner, cfg.gspo, model_cfg=cfg.model,
                               total_steps=self.total_steps * cfg.learner.minibatches_per_rollout,
                               temperature=temperature, never_generate=vision_token_ids(policy.tokenizer),
                               seed=cfg.train.seed)
        return self.learner.rank

    def update(self, samples: Sequence[Any], max_logprob_gap: float = 0.0) -> dict[str, float]:
        return self.learner.update(samples, max_logprob_gap)

    def logprob_gap(self, samples: Sequence[Any]) -> dict[str, float]:
        """max and mean |rollout log-prob - learner log-prob| over the samples' policy tokens, under
        the learner's current weights (collective under ZeRO-3: every rank runs the same passes)."""
        import torch

        from cuagym.train.logprobs import forward_logprobs
        from cuagym.train.samples import collate

        gaps = []
        with torch.no_grad():
            for s in samples:
                batch = collate([s], self.learner.pad_token_id)
                logp, _ = forward_logprobs(self.learner.engine, batch,
                                           chunk_tokens=self.cfg.learner.logprob_chunk_tokens)
                mask = batch.policy_mask.to(logp.device)
                gaps.append((logp.float().cpu() - batch.rollout_logprobs.float())[mask.cpu()].abs())
        gap = torch.cat(gaps) if gaps else torch.zeros(0)
        return {"max": float(gap.max()) if gap.numel() else 0.0, "mean": float(gap.mean()) if gap.numel() else 0.0,
                "tokens": float(gap.numel())}

    def save(self, root: str, step: int, client: dict) -> str:
        from cuagym.train.checkpoint import save_checkpoint

        return str(save_checkpoint(self.learner, root, step, **client))

    def load(self, root: str) -> dict:
        from cuagym.train.checkpoint import load_checkpoint

        state = load_checkpoint(self.learner, root)
        return {"step": state.step, "data_cursor": state.data_cursor, "wandb_run_id": state.wandb_run_id}

    def weights(self) -> list[tuple[str, Any]] | None:
        """Every parameter (collective under ZeRO-3); rank 0 returns them, the others None."""
        out = [t for chunk in self.learner.weight_chunks(self.cfg.learner.weight_sync_chunk_mb) for t in chunk]
        return out if self.learner.rank == 0 else None

    def weights_checksum(self) -> str | None:
        from cuagym.rollout.engines.weight_sync import weights_checksum

        named = self.weights()
        return weights_checksum(named) if named is not None else None

    def export(self, out: str, run_config: dict, metrics: dict, step: int) -> str | None:
        """The HF model folder (rank 0 writes it from the gathered parameters)."""
        from cuagym.train.export import export_model

        named = self.weights()
        if named is None:
            return None
        model = self.learner.model
        # The gathered parameters over the model's own state (its buffers; under ZeRO-3 the
        # parameters there are empty partitions).
        state = {**model.state_dict(), **dict(named)}
        export_model(model, self.learner.policy.processor, out, run_config=run_config, metrics=metrics, step=step,
                     state_dict=state)
        return out

    def send_weights(self, engines: Sequence[Any], chunk_mb: float, timeout_s: float,
                     sync_backend: str | None = None) -> dict[str, float]:
        """Broadcast the parameters to ``engines`` (actor handles) over a fresh sync group; every
        learner rank calls this (ZeRO-3 gathers are collective), rank 0 sends. ``sync_backend``
        defaults to this process's (nccl on GPUs, gloo on CPU)."""
        import ray

        from cuagym.rollout.engines.weight_sync import SyncGroup, metas_of, send_bucket
        from cuagym.train.distributed import backend, free_port

        t0 = time.monotonic()
        be = sync_backend or backend()
        group = None
        sent = 0
        if self.learner.rank == 0:
            host, port = node_address(), free_port()
            # Each engine takes one rank per worker (vLLM: tensor x pipeline parallel), after rank 0.
            sizes = ray.get([e.sync_ranks.remote() for e in engines])
            offsets = [1 + sum(sizes[:i]) for i in range(len(sizes))]
            world = 1 + sum(sizes)
            joins = [e.init_sync_group.remote(host, port, off, world, be, timeout_s)
                     for e, off in zip(engines, offsets)]
            group = SyncGroup(host, port, 0, world, backend=be, timeout_s=timeout_s)
            ray.get(joins)
        try:
            for chunk in self.learner.weight_chunks(chunk_mb):
                if group is None:
                    continue
                if group.device.type != "cpu":
                    chunk = [(n, t.to(group.device)) for n, t in chunk]
                refs = [e.receive_weights.remote(metas_of(chunk)) for e in engines]
                sent += send_bucket(group, chunk)
                ray.get(refs)
        finally:
            if group is not None:
                ray.get([e.close_sync_group.remote() for e in engines])
                group.close()
        return {"bytes": float(sent), "seconds": time.monotonic() - t0}

    def ping(self) -> int:
        return os.getpid()


class EngineWorker:
    """One policy engine (``rollout.engine``: hf or vllm) in its own process under Ray."""

    def __init__(self, cfg: Config, policy_path: str, index: int) -> None:
        import dataclasses

        import torch

        from cuagym.modeling import load_policy
        from cuagym.rollout.setup import make_engine

        cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, path=policy_path))
        torch.manual_seed(cfg.train.seed + 1000 * (index + 1))
        self.index = index
        if cfg.rollout.engine == "hf":
            self.engine = make_engine(cfg, policy=load_policy(policy_path, dtype=cfg.model.dtype,
                                                              attn_implementation=cfg.model.attn_implementation))
        else:
            from cuagym.rollout.setup import local_tokenizer

            r = cfg.rollout
            parallel = max(r.engine_tp_size, r.engine_ep_size) > 1
            options = {"distributed_executor_backend": "ray"} if parallel else {}
            self.engine = make_engine(cfg, tokenizer=local_tokenizer(policy_path), **options)

    def generate(self, requests: list) -> list:
        return self.engine.generate(requests)

    def init_sync_group(self, host: str, port: int, rank: int, world_size: int, backend: str,
                        timeout_s: float, track_checksum: bool = False) -> None:
        """``track_checksum``: the engine fingerprints what it receives, for :meth:`weights_checksum`
        (vLLM needs it; the HF engine checksums its own parameters and takes no such argument)."""
        import inspect

        extra = {}
        if track_checksum and "track_checksum" in inspect.signature(self.engine.init_sync_group).parameters:
            extra["track_checksum"] = True
        self.engine.init_sync_group(host, port, rank, world_size, backend, timeout_s, **extra)

    def sync_ranks(self) -> int:
        """Ranks this engine takes in a weight-sync group (one per vLLM worker; 1 for HF)."""
        ranks = getattr(self.engine, "sync_ranks", None)
        return int(ranks()) if ranks is not None else 1

    def receive_weights(self, metas: list) -> int:
        return self.engine.receive_weights(metas)

    def close_sync_group(self) -> None:
        self.engine.close_sync_group()

    def weights_checksum(self) -> str:
        return self.engine.weights_checksum()

    def sleep(self) -> None:
        self.engine.sleep()

    def wake_up(self) -> None:
        self.engine.wake_up()

    def ping(self) -> int:
        return os.getpid()


# ---------------------------------------------------------------------------- groups
class LocalLearnerGroup:
    """One learner rank in this process."""

    def __init__(self, worker: LearnerWorker) -> None:
        self.worker = worker
        worker.start()

    @property
    def learner(self) -> Any:
        return self.worker.learner

    def update(self, samples: Sequence[Any], max_logprob_gap: float = 0.0) -> dict[str, float]:
        return self.worker.update(samples, max_logprob_gap)

    def save(self, root: str | Path, step: int, **client: Any) -> None:
        self.worker.save(str(root), step, client)

    def load(self, root: str | Path) -> dict:
        return self.worker.load(str(root))

    def export(self, out: str | Path, run_config: dict, metrics: dict, step: int) -> None:
        self.worker.export(str(out), run_config, metrics, step)

    def weights_checksum(self) -> str:
        return self.worker.weights_checksum()

    def logprob_gap(self, samples: Sequence[Any]) -> dict[str, float]:
        return self.worker.logprob_gap(samples)


class LocalEngineGroup:
    """One engine in this process; weights are copied from the learner chunk by chunk."""

    restarts = 0
    retried_requests = 0

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def generate(self, requests: list) -> list:
        return self.engine.generate(requests)

    def weights_checksums(self) -> list[str]:
        return [self.engine.weights_checksum()]

    def sleep(self) -> None:
        pass

    def wake_up(self) -> None:
        pass


class RayLearnerGroup:
    """``learner.num_ranks`` :class:`LearnerWorker` actors in one torch.distributed group. Collective
    calls go to every rank under one lock, so two threads never interleave them."""

    def __init__(self, actors: list[Any], timeout_s: float, sync_backend: str) -> None:
        import ray

        self.actors, self.timeout_s, self.sync_backend = actors, timeout_s, sync_backend
        self._lock = threading.Lock()
        master = ray.get(actors[0].free_address.remote())
        ray.get([a.start.remote(tuple(master)) for a in actors])

    def _all(self, method: str, *args: Any) -> list[Any]:
        import ray

        with self._lock:
            return ray.get([getattr(a, method).remote(*args) for a in self.actors])

    def update(self, samples: Sequence[Any], max_logprob_gap: float = 0.0) -> dict[str, float]:
        import ray

        ref = ray.put(list(samples))  # one copy in the object store, read by every rank
        return self._all("update", ref, max_logprob_gap)[0]

    def save(self, root: str | Path, step: int, **client: Any) -> None:
        self._all("save", str(root), step, client)

    def load(self, root: str | Path) -> dict:
        return self._all("load", str(root))[0]

    def export(self, out: str | Path, run_config: dict, metrics: dict, step: int) -> None:
        self._all("export", str(out), run_config, metrics, step)

    def weights_checksum(self) -> str:
        return self._all("weights_checksum")[0]

    def logprob_gap(self, samples: Sequence[Any]) -> dict[str, float]:
        import ray

        return self._all("logprob_gap", ray.put(list(samples)))[0]

    def send_weights(self, engines: Sequence[Any], chunk_mb: float) -> dict[str, float]:
        return self._all("send_weights", list(engines), chunk_mb, self.timeout_s, self.sync_backend)[0]


class RayEngineGroup:
    """``rollout.num_engines`` :class:`EngineWorker` actors behind the engine interface: a batch of
    requests is split evenly over them; an engine that dies is restarted, re-synced from the
    learner and its requests are sent once more."""

    def __init__(self, make_actor: Any, count: int, resync: Any) -> None:
        import ray

        self.make_actor, self.resync = make_actor, resync
        self.actors = [make_actor(i) for i in range(count)]
        ray.get([a.ping.remote() for a in self.actors])
        self.restarts = 0
        self.retried_requests = 0
        self.closed = False    # set when the run tears down: a dying engine is then not restarted
        self._lock = threading.Lock()

    def restart(self, index: int) -> None:
        import ray

        with self._lock:
            try:
                ray.kill(self.actors[index], no_restart=True)
            except Exception:
                pass  # already gone
            self.actors[index] = self.make_actor(index)
            ray.get(self.actors[index].ping.remote())
            self.restarts += 1
        self.resync([self.actors[index]])

    def generate(self, requests: list) -> list:
        import ray
        from ray.exceptions import RayActorError

        if not requests:
            return []
        n = len(self.actors)
        base, extra = divmod(len(requests), n)
        parts, start = [], 0
        for i in range(n):
            end = start + base + (1 if i < extra else 0)
            parts.append((i, requests[start:end]))
            start = end
        refs = {i: self.actors[i].generate.remote(chunk) for i, chunk in parts if chunk}
        out: dict[int, list] = {}
        for i, chunk in parts:
            if not chunk:
                continue
            try:
                out[i] = ray.get(refs[i])
            except RayActorError:
                if self.closed:
                    raise
                self.restart(i)
                self.retried_requests += len(chunk)
                out[i] = ray.get(self.actors[i].generate.remote(chunk))  # retried once: a second death raises
        return [r for i, _ in parts for r in out.get(i, [])]

    def weights_checksums(self) -> list[str]:
        import ray

        return ray.get([a.weights_checksum.remote() for a in self.actors])

    def sleep(self) -> None:
        import ray

        ray.get([a.sleep.remote() for a in self.actors])

    def wake_up(self) -> None:
        import ray

        ray.get([a.wake_up.remote() for a in self.actors])


# ---------------------------------------------------------------------------- runtime
@dataclass
class Runtime:
    cfg: Config
    learner: Any
    engines: Any
    kind: str
    placement: Any = None
    actor_names: tuple[str, ...] = ()
    _stack: Any = None
    last_sync: dict | None = None

    def sync(self) -> dict[str, float]:
        """Learner weights -> every engine; returns seconds and bytes."""
        t0 = time.monotonic()
        chunk_mb = self.cfg.learner.weight_sync_chunk_mb
        if self.kind == "local":
            sent = 0
            for chunk in self.learner.learner.weight_chunks(chunk_mb):
                self.engines.engine.update_weights(chunk)
                sent += sum(t.numel() * t.element_size() for _, t in chunk)
            out = {"bytes": float(sent)}
        else:
            out = self.learner.send_weights(self.engines.actors, chunk_mb)
        out["seconds"] = time.monotonic() - t0
        self.last_sync = out
        return out

    def pool_options(self) -> dict[str, Any]:
        """How the env pool places its workers: under Ray with ``rollout.env_mode=ray``,
        ``rollout.env_workers`` per plan node, each in its node's env bundle."""
        rc = self.cfg.rollout
        if self.kind != "ray" or rc.env_mode != "ray" or self.placement is None:
            return {}
        placement, per_node = self.placement, rc.env_workers

        def options(w: int) -> dict[str, Any]:
            return placement.env_slot(w // per_node).options(num_cpus=rc.env_cpus_per_worker)

        return {"workers": per_node * self.cfg.cluster.nodes, "worker_options": options}

    def metrics(self) -> dict[str, float]:
        m = {"rollout/engine_restarts": float(self.engines.restarts),
             "rollout/engine_retried_requests": float(self.engines.retried_requests)}
        if self.last_sync:
            m["perf/sync_bytes"] = self.last_sync["bytes"]
        return m

    def live_actors(self) -> dict[str, str]:
        """Named actors of this run that are alive: name -> Ray node id (from the GCS, so it works
        without Ray's dashboard, which ``ray.util.state`` needs)."""
        if self.kind != "ray":
            return {}
        from ray._private import state

        return {a["Name"]: a.get("Address", {}).get("NodeID", "")
                for a in state.actors().values()
                if a.get("State") == "ALIVE" and a.get("Name", "").startswith(f"{ACTOR_PREFIX}-")}

    def close(self) -> None:
        if hasattr(self.engines, "closed"):
            self.engines.closed = True
        if self._stack is not None:
            self._stack.close()


def start_runtime(cfg: Config, policy_path: str, total_steps: int) -> Runtime:
    """Start what ``cluster.runtime`` asks for (see the module docstring); refuses before starting
    anything when the config cannot be honoured."""
    check_runtime(cfg)
    if cfg.cluster.runtime == "local":
        from cuagym.modeling import load_policy
        from cuagym.rollout.setup import make_engine

        learner = LocalLearnerGroup(LearnerWorker(cfg, policy_path, total_steps))
        engine_policy = load_policy(policy_path, dtype=cfg.model.dtype,
                                    attn_implementation=cfg.model.attn_implementation)
        return Runtime(cfg, learner, LocalEngineGroup(make_engine(cfg, policy=engine_policy)), "local")
    return _start_ray(cfg, policy_path, total_steps)


def _start_ray(cfg: Config, policy_path: str, total_steps: int) -> Runtime:
    import contextlib

    import ray

    from cuagym.rollout.setup import ensure_ray
    from cuagym.train.placement import actor_names, engine_actor_name, learner_actor_name, plan_from_config
    from cuagym.train.ray_cluster import RayPlacement, node_demands

    plan = plan_from_config(cfg)
    plan.raise_if_refused()
    stack = contextlib.ExitStack()
    # A local Ray started here is one machine: it must hold every plan node's CPU reservations.
    stack.enter_context(ensure_ray(num_cpus=sum(d.cpus for d in node_demands(plan, pin=False)) + 1))
    try:
        placement = RayPlacement.create(plan)
        stack.callback(placement.remove)
        gpu = plan.device == "gpu"
        # A colocated learner rank and engine share their GPU bundle: each takes part of it.
        share = 0.5 if cfg.cluster.colocate else 1.0
        learner_cls = ray.remote(LearnerWorker)
        engine_cls = ray.remote(EngineWorker)
        world = len(plan.learner_ranks)
        learners = []
        for rank in range(world):
            name = learner_actor_name(rank)
            opts = placement.learner_slot(rank).options(num_gpus=share if gpu else 0.0, num_cpus=1.0)
            learners.append(learner_cls.options(name=name, **opts).remote(cfg, policy_path, total_steps, rank,
                                                                         world))
        for a in learners:
            stack.callback(_kill, a)
        # NCCL refuses two ranks on one GPU, which a colocated learner rank 0 and engine worker are:
        # they sync over gloo (host memory); separate GPUs sync over NCCL.
        sync_backend = "nccl" if gpu and not cfg.cluster.colocate else "gloo"
        learner_group = RayLearnerGroup(learners, cfg.cluster.join_timeout_s, sync_backend)

        def make_engine_actor(index: int) -> Any:
            slots = placement.engine_slots(index)
            opts = slots[0].options(num_gpus=share if gpu else 0.0, num_cpus=1.0)
            if len(slots) > 1:
                # A multi-GPU vLLM engine: the actor holds no GPU itself; vLLM's Ray executor starts one
                # worker per bundle named here (vLLM's documented VLLM_RAY_BUNDLE_INDICES /
                # VLLM_RAY_PER_WORKER_GPUS placement pattern).
                opts["num_gpus"] = 0.0
                opts["runtime_env"] = {"env_vars": {
                    "VLLM_RAY_BUNDLE_INDICES": ",".join(str(s.bundle) for s in slots),
                    "VLLM_RAY_PER_WORKER_GPUS": str(share)}}
            actor = engine_cls.options(name=engine_actor_name(index), **opts).remote(
                cfg, policy_path, index)
            stack.callback(_kill, actor)
            return actor

        engines = RayEngineGroup(make_engine_actor, len(plan.engines),
                                 resync=lambda actors: learner_group.send_weights(
                                     actors, cfg.learner.weight_sync_chunk_mb))
        return Runtime(cfg, learner_group, engines, "ray", placement, tuple(actor_names(plan)), stack)
    except BaseException:
        stack.close()
        raise


def _kill(actor: Any) -> None:
    import ray

    try:
        ray.kill(actor, no_restart=True)
    except Exception:
        pass
