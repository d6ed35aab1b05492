"""The learner's process group: join the one torchrun set up, or make a group of one.

Under ``torchrun`` the rank, world size and rendezvous come from the environment. A plain
``python`` process (tests, a one-process CPU run) gets a single-rank group on a free
loopback port, so the same DeepSpeed code path runs either way.
"""

from __future__ import annotations

import os
import socket

import torch
import torch.distributed as dist


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def backend() -> str:
    """nccl on CUDA machines, gloo on CPU."""
    return "nccl" if torch.cuda.is_available() else "gloo"


def init_distributed() -> None:
    """Initialise DeepSpeed's process group once per process."""
    import deepspeed

    if dist.is_available() and dist.is_initialized():
        return
    if "RANK" not in os.environ:
        os.environ.update({"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1",
                           "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port())})
    deepspeed.init_distributed(dist_backend=backend())


def rank() -> int:
    return dist.get_rank() if dist.is_initialized() else 0


def world_size() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


def all_reduce(values: list[float], op: str = "sum") -> list[float]:
    """Reduce a short list of floats over all ranks (sum, max or min), in float64."""
    t = torch.tensor(values, dtype=torch.float64)
    if world_size() > 1:
        ops = {"sum": dist.ReduceOp.SUM, "max": dist.ReduceOp.MAX, "min": dist.ReduceOp.MIN}
        if op not in ops:
            raise ValueError(f"unknown reduce op {op!r}; expected one of {', '.join(ops)}")
        dist.all_reduce(t, op=ops[op])
    return t.tolist()


def barrier() -> None:
    if world_size() > 1:
        dist.barrier()
