"""Weight sync from the learner to the policy engines: the wire protocol both sides use.

The learner's rank 0 and every engine worker join a :class:`SyncGroup`, a collective group of
its own (gloo on CPU, NCCL on GPU) that lives beside any default ``torch.distributed`` group the
processes already have (the learner's DeepSpeed group, vLLM's tensor-parallel group). Weights
travel in buckets:

* the sender (rank 0) describes a bucket with :func:`metas_of` (name, shape, dtype per tensor)
  and hands those metas to the receivers out of band (a Ray call, ``LLM.collective_rpc``);
* :func:`send_bucket` packs the tensors into one contiguous buffer per dtype and broadcasts the
  buffers; :func:`receive_bucket` allocates the same buffers from the metas alone, receives them
  and splits them back into named views.

Layout (what both sides derive from the metas): dtypes are taken in the order of their first
appearance in the metas; the buffer of one dtype holds that dtype's tensors flattened, in meta
order, back to back; buffers go over the wire as raw bytes (a ``uint8`` view), so every dtype
arrives bit for bit whatever the backend supports. Zero-sized tensors take no bytes.

:func:`weights_checksum` fingerprints a set of named tensors bit for bit (names, shapes, dtypes,
raw bytes) so a test or the runtime can prove the engines hold exactly the learner's weights.

Usage, sender (learner rank 0) and receivers (engine workers, ranks 1..N)::

    group = SyncGroup(host, port, rank=0, world_size=1 + n_workers)
    for bucket in bucketize(model.named_parameters(), max_bytes=chunk_mb << 20):
        metas = metas_of(bucket)
        futures = [engine.receive_weights.remote(metas) for engine in engines]  # they post receives
        send_bucket(group, bucket)
        ray.get(futures)
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

import torch
import torch.distributed as dist

__all__ = ["SyncGroup", "TensorMeta", "bucketize", "metas_of", "receive_bucket", "send_bucket",
           "tensor_digest", "checksum_of_digests", "weights_checksum", "dtype_name", "dtype_of"]

BACKENDS = ("gloo", "nccl")
STORE_PREFIX = "cuagym/weight_sync"


def dtype_name(dtype: torch.dtype) -> str:
    """``torch.bfloat16`` -> ``"bfloat16"`` (the form carried in metas: plain strings pickle and
    serialise anywhere, with or without torch on the other side)."""
    return str(dtype).removeprefix("torch.")


def dtype_of(name: str) -> torch.dtype:
    """``"bfloat16"`` (or ``"torch.bfloat16"``) -> ``torch.bfloat16``; unknown names raise."""
    value = getattr(torch, str(name).removeprefix("torch."), None)
    if not isinstance(value, torch.dtype):
        raise ValueError(f"unknown dtype {name!r} in a weight-sync meta")
    return value


@dataclass(frozen=True)
class TensorMeta:
    """What a receiver needs to allocate and name one tensor of a bucket."""

    name: str
    shape: tuple[int, ...]
    dtype: str  # torch dtype without the "torch." prefix, e.g. "bfloat16"

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= int(d)
        return n

    @property
    def torch_dtype(self) -> torch.dtype:
        return dtype_of(self.dtype)

    def as_tuple(self) -> tuple[str, tuple[int, ...], str]:
        """Plain builtins, for transports that refuse dataclasses (msgpack-style RPC)."""
        return (self.name, tuple(self.shape), self.dtype)

    @classmethod
    def coerce(cls, meta: Any) -> "TensorMeta":
        """A TensorMeta from a TensorMeta, a ``(name, shape, dtype)`` sequence or a dict with those keys."""
        if isinstance(meta, TensorMeta):
            return meta
        if isinstance(meta, dict):
            name, shape, dtype = meta["name"], meta["shape"], meta["dtype"]
        else:
            name, shape, dtype = meta
        shape = tuple(int(d) for d in shape)
        if any(d < 0 for d in shape):
            raise ValueError(f"weight-sync meta {name!r}: negative dimension in shape {shape}")
        dtype_of(dtype)  # validate
        return cls(str(name), shape, str(dtype).removeprefix("torch."))


def metas_of(named_tensors: Iterable[tuple[str, torch.Tensor]]) -> list[TensorMeta]:
    """The metas of a bucket, in the bucket's order."""
    return [TensorMeta(name, tuple(int(d) for d in t.shape), dtype_name(t.dtype)) for name, t in named_tensors]


def _layout(metas: Sequence[TensorMeta]) -> dict[str, list[tuple[int, int, int]]]:
    """dtype -> [(index into metas, offset in elements, numel)], dtypes in first-appearance order."""
    plan: dict[str, list[tuple[int, int, int]]] = {}
    fill: dict[str, int] = {}
    for i, m in enumerate(metas):
        off = fill.get(m.dtype, 0)
        plan.setdefault(m.dtype, []).append((i, off, m.numel))
        fill[m.dtype] = off + m.numel
    return plan


def bucketize(named_tensors: Iterable[tuple[str, torch.Tensor]], max_bytes: int) -> Iterator[list[tuple[str, torch.Tensor]]]:
    """Group tensors, in order, into buckets of at most ``max_bytes`` (a larger tensor travels alone)."""
    if max_bytes <= 0:
        raise ValueError(f"max_bytes must be positive, got {max_bytes}")
    bucket: list[tuple[str, torch.Tensor]] = []
    size = 0
    for name, t in named_tensors:
        n = t.numel() * t.element_size()
        if bucket and size + n > max_bytes:
            yield bucket
            bucket, size = [], 0
        bucket.append((name, t))
        size += n
    if bucket:
        yield bucket


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


class SyncGroup:
    """A collective group for weight sync, independent of the default ``torch.distributed`` group.

    Rendezvous goes through a ``TCPStore`` at ``host:port`` (rank 0 hosts it) under a prefix of its
    own; the communicator is a ``ProcessGroupGloo`` (tensors on CPU) or ``ProcessGroupNCCL``
    (tensors on the current CUDA device), built directly on that store, so nothing touches
    ``torch.distributed``'s global state. Construction returns once all ``world_size`` ranks have
    joined (or raises after ``timeout_s``)."""

    def __init__(self, host: str, port: int, rank: int, world_size: int, backend: str = "gloo",
                 timeout_s: float = 600) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"weight-sync backend must be one of {BACKENDS}, got {backend!r}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is outside a group of {world_size}")
        self.host, self.port, self.rank, self.world_size, self.backend = host, int(port), rank, world_size, backend
        self.timeout = datetime.timedelta(seconds=timeout_s)
        self._closed = False
        self._tcp_store = dist.TCPStore(host, self.port, world_size, is_master=rank == 0, timeout=self.timeout,
                                        wait_for_workers=False)
        self.store = dist.PrefixStore(STORE_PREFIX, self._tcp_store)
        if backend == "gloo":
            self.device = torch.device("cpu")
            opts = dist.ProcessGroupGloo._Options()
            opts._timeout = self.timeout
            # On loopback bind gloo to 127.0.0.1: the hostname may resolve to an address that is not
            # reachable (containers); elsewhere gloo's default (GLOO_SOCKET_IFNAME, else the hostname).
            device = (dist.ProcessGroupGloo.create_device(hostname="127.0.0.1") if _is_loopback(host)
                      else dist.ProcessGroupGloo.create_default_device())
            opts._devices = [device]
            self.pg = dist.ProcessGroupGloo(self.store, rank, world_size, opts)
        else:
            if not torch.cuda.is_available() or not hasattr(dist, "ProcessGroupNCCL"):
                raise RuntimeError("weight-sync backend 'nccl' needs a CUDA build of torch and a GPU; use 'gloo' on CPU")
            self.device = torch.device("cuda", torch.cuda.current_device())
            opts = dist.ProcessGroupNCCL.Options()
            opts._timeout = self.timeout
            self.pg = dist.ProcessGroupNCCL(self.store, rank, world_size, opts)
        self._join()

    def _join(self) -> None:
        """Block until every rank has reached this point (keys in the store)."""
        self.store.set(f"joined/{self.rank}", "1")
        self.store.wait([f"joined/{r}" for r in range(self.world_size)], self.timeout)

    def broadcast(self, tensor: torch.Tensor, src: int = 0) -> torch.Tensor:
        """Broadcast ``tensor`` from ``src`` to every rank, in place; returns once it has arrived."""
        self._check_open()
        if tensor.device != self.device:
            raise ValueError(f"{self.backend} weight sync moves tensors on {self.device}, got one on {tensor.device}")
        self.pg.broadcast(tensor, src).wait()
        return tensor

    def barrier(self) -> None:
        self._check_open()
        if self.backend == "gloo":
            self.pg.barrier().wait()
        else:  # a one-element all-reduce on the group's device: NCCL's barrier wants device ids
            self.pg.allreduce(torch.zeros(1, device=self.device)).wait()
            torch.cuda.current_stream().synchronize()

    def close(self) -> None:
        """Release the communicator and the store connection (idempotent)."""
        if self._closed:
            return
        self._closed = True
        for step in ("shutdown", "abort"):
            fn = getattr(self.pg, step, None)
            if fn is not None:
                try:
                    fn()
                    break
                except Exception:  # noqa: BLE001 - best effort on teardown
                    continue
        del self.pg
        self.store = None  # type: ignore[assignment]
        self._tcp_store = None  # type: ignore[assignment]

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this weight-sync group is closed")

    def __repr__(self) -> str:
        return (f"SyncGroup({self.host}:{self.port}, rank={self.rank}/{self.world_size}, backend={self.backend}"
                f"{', closed' if self._closed else ''})")


def send_bucket(group: SyncGroup, named_tensors: Sequence[tuple[str, torch.Tensor]]) -> int:
    """Broadcast one bucket from this rank (the sender, normally 0); returns the bytes sent.

    The receivers must call :func:`receive_bucket` with ``metas_of(named_tensors)``."""
    named = list(named_tensors)
    metas = metas_of(named)
    sent = 0
    for dtype, entries in _layout(metas).items():
        total = sum(n for _, _, n in entries)
        if total == 0:
            continue
        buf = torch.empty(total, dtype=dtype_of(dtype), device=group.device)
        with torch.no_grad():
            for i, off, n in entries:
                if n:
                    buf[off:off + n].copy_(named[i][1].detach().reshape(-1))
        wire = buf.view(torch.uint8)
        group.broadcast(wire, src=group.rank)
        sent += wire.numel()
    return sent


def receive_bucket(group: SyncGroup, metas: Sequence[Any], device: str | torch.device = "cpu",
                   src: int = 0) -> list[tuple[str, torch.Tensor]]:
    """Receive one bucket sent by ``src`` with :func:`send_bucket`; returns ``(name, tensor)`` in meta
    order, on ``device`` (views into one buffer per dtype)."""
    ms = [TensorMeta.coerce(m) for m in metas]
    device = torch.device(device)
    out: list[torch.Tensor | None] = [None] * len(ms)
    for dtype, entries in _layout(ms).items():
        total = sum(n for _, _, n in entries)
        dt = dtype_of(dtype)
        if total == 0:
            buf = torch.empty(0, dtype=dt, device=device)
        else:
            buf = torch.empty(total, dtype=dt, device=group.device)
            group.broadcast(buf.view(torch.uint8), src=src)
            if buf.device != device:
                buf = buf.to(device)
        for i, off, n in entries:
            out[i] = buf[off:off + n].view(ms[i].shape)
    return [(m.name, t) for m, t in zip(ms, out)]  # type: ignore[misc]


def tensor_digest(name: str, tensor: torch.Tensor) -> bytes:
    """sha256 of one named tensor: name, shape, dtype and raw bytes (bit-exact)."""
    t = tensor.detach()
    h = hashlib.sha256()
    h.update(name.encode())
    h.update(b"\0" + repr(tuple(int(d) for d in t.shape)).encode())
    h.update(b"\0" + dtype_name(t.dtype).encode() + b"\0")
    if t.numel():
        raw = t.to("cpu").contiguous().reshape(-1).view(torch.uint8)
        h.update(raw.numpy().tobytes())
    return h.digest()


def checksum_of_digests(digests: dict[str, bytes]) -> str:
    """The checksum of a set of tensors from their :func:`tensor_digest` values, by sorted name
    (lets a receiver build the checksum bucket by bucket)."""
    h = hashlib.sha256()
    for name in sorted(digests):
        h.update(digests[name])
    return h.hexdigest()


def weights_checksum(named_tensors: Iterable[tuple[str, torch.Tensor]]) -> str:
    """Bit-exact fingerprint of named tensors, independent of their order: sha256 over, in sorted
    name order, each tensor's name, shape, dtype and raw bytes. Duplicate names raise."""
    digests: dict[str, bytes] = {}
    for name, t in named_tensors:
        if name in digests:
            raise ValueError(f"tensor {name!r} appears twice")
        digests[name] = tensor_digest(name, t)
    return checksum_of_digests(digests)
