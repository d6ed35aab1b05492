"""Weight sync over a SyncGroup between real processes (gloo over loopback): buckets of mixed
dtypes arrive bit for bit on every receiver, and an HF engine loads perturbed learner weights
in place until its checksum equals the learner's, refusing a bucket that does not fit its model."""

from __future__ import annotations

import multiprocessing as mp
import queue
import socket
import traceback

import pytest
import torch

from cuagym.rollout.engines.weight_sync import (SyncGroup, TensorMeta, bucketize, metas_of, receive_bucket,
                                                send_bucket, weights_checksum)

TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mixed_buckets(seed: int) -> list[list[tuple[str, torch.Tensor]]]:
    """Two buckets of float32 / bfloat16 / int64 tensors, with values whose bits matter (-0.0, inf,
    NaN, subnormals) and a 0-dim and an empty tensor; the same on every process for one seed."""
    g = torch.Generator().manual_seed(seed)
    special = torch.tensor([-0.0, float("inf"), float("-inf"), float("nan"), 1e-45, -3.5])
    first = [("layer.0.w", torch.randn(4, 6, generator=g)),
             ("layer.0.b", torch.randn(6, generator=g).bfloat16()),
             ("layer.0.idx", torch.randint(-2**62, 2**62, (5,), generator=g)),
             ("layer.0.special", special),
             ("layer.0.special_bf16", special.bfloat16())]
    second = [("layer.1.scale", torch.tensor(0.25)),
              ("layer.1.w", torch.randn(3, 2, 2, generator=g).bfloat16()),
              ("layer.1.empty", torch.empty(0, 4)),
              ("layer.1.steps", torch.tensor([7, -1, 2**40])),
              ("layer.1.v", torch.randn(9, generator=g))]
    return [first, second]


def raw(t: torch.Tensor) -> bytes:
    return t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def run_receiver(port: int, rank: int, world: int, seed: int, results: mp.Queue) -> None:
    try:
        torch.set_num_threads(1)
        group = SyncGroup("127.0.0.1", port, rank, world, timeout_s=TIMEOUT_S)
        problems = []
        for bucket in mixed_buckets(seed):
            # The metas travel as plain tuples, as they do through RPC layers.
            got = receive_bucket(group, [m.as_tuple() for m in metas_of(bucket)])
            for (name, want), (got_name, t) in zip(bucket, got):
                if got_name != name or t.dtype != want.dtype or t.shape != want.shape or raw(t) != raw(want):
                    problems.append(f"{name}: got {got_name} {t.dtype} {tuple(t.shape)} {t.flatten()[:6].tolist()}")
        group.barrier()
        group.close()
        results.put((rank, problems))
    except BaseException:  # noqa: BLE001 - reported to the test process
        results.put((rank, [traceback.format_exc()]))


def collect(procs: list, results: mp.Queue, n: int) -> dict:
    out = {}
    try:
        for _ in range(n):
            rank, value = results.get(timeout=TIMEOUT_S)
            out[rank] = value
    except queue.Empty:
        pytest.fail(f"only {len(out)} of {n} processes reported within {TIMEOUT_S} s: {out}")
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
    return out


def test_metas_and_buckets():
    bucket = mixed_buckets(0)[0]
    metas = metas_of(bucket)
    assert metas[1] == TensorMeta("layer.0.b", (6,), "bfloat16")
    assert TensorMeta.coerce(("x", [2, 3], "torch.int64")) == TensorMeta("x", (2, 3), "int64")
    assert TensorMeta.coerce({"name": "x", "shape": [], "dtype": "float32"}).numel == 1
    with pytest.raises(ValueError, match="unknown dtype 'float99'"):
        TensorMeta.coerce(("x", [1], "float99"))
    sizes = [[n for n, _ in b] for b in bucketize([(str(i), torch.zeros(i)) for i in (3, 3, 9, 1)], max_bytes=28)]
    assert sizes == [["3", "3"], ["9"], ["1"]]  # 24 B, then 36 B alone (over the cap), then 4 B
    # The checksum ignores order, sees every bit, and tells the dtype apart from the bytes.
    assert weights_checksum(reversed(bucket)) == weights_checksum(bucket)
    flipped = [(n, t.clone()) for n, t in bucket]
    flipped[0][1][0, 0] = -flipped[0][1][0, 0]
    assert weights_checksum(flipped) != weights_checksum(bucket)
    assert weights_checksum([("z", torch.zeros(2, dtype=torch.int32))]) != \
        weights_checksum([("z", torch.zeros(1, dtype=torch.int64))])


def test_two_buckets_of_mixed_dtypes_arrive_bit_exact_on_two_receivers():
    port, world, seed = free_port(), 3, 11
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    procs = [ctx.Process(target=run_receiver, args=(port, r, world, seed, results), daemon=True) for r in (1, 2)]
    for p in procs:
        p.start()
    group = SyncGroup("127.0.0.1", port, 0, world, timeout_s=TIMEOUT_S)
    sent = [send_bucket(group, b) for b in mixed_buckets(seed)]
    group.barrier()
    group.close()
    # Bytes on the wire: every tensor once, nothing else.
    assert sent == [sum(t.numel() * t.element_size() for _, t in b) for b in mixed_buckets(seed)]
    assert collect(procs, results, 2) == {1: [], 2: []}


def run_hf_engine(policy_dir: str, port: int, bucket_metas: list, bad_metas: list, results: mp.Queue) -> None:
    try:
        torch.set_num_threads(1)
        from cuagym.modeling import load_policy
        from cuagym.rollout.engines.hf import HFEngine

        policy = load_policy(policy_dir, dtype="float32", attn_implementation="sdpa")
        engine = HFEngine(policy.model, eos_token_ids=[0], pad_token_id=policy.tokenizer.pad_token_id)
        before = engine.weights_checksum()
        engine.init_sync_group("127.0.0.1", port, 1, 2, "gloo", timeout_s=TIMEOUT_S)
        loaded = [engine.receive_weights(metas) for metas in bucket_metas]
        synced = engine.weights_checksum()
        try:
            engine.receive_weights(bad_metas)
            error = None
        except ValueError as e:
            error = str(e)
        results.put((1, {"before": before, "loaded": loaded, "synced": synced, "error": error,
                         "after_error": engine.weights_checksum(), "version": engine.version()}))
        engine.close_sync_group()
    except BaseException:  # noqa: BLE001
        results.put((1, {"traceback": traceback.format_exc()}))


def test_hf_engine_receives_perturbed_weights_until_checksums_match(tiny_policy_dir, shared_tiny_policy):
    params = list(shared_tiny_policy.model.named_parameters())
    g = torch.Generator().manual_seed(3)
    perturbed = [(n, (p.detach() + 0.01 * torch.randn(p.shape, generator=g)).to(p.dtype)) for n, p in params]
    buckets = list(bucketize(perturbed, max_bytes=256 << 10))
    assert len(buckets) >= 2
    # A bucket whose second tensor does not fit the model (one row too many): refused whole.
    good_name, good = perturbed[0]
    name, p = next((n, p) for n, p in params if p.dim() == 2)
    bad = [(good_name, good + 1.0), (name, torch.zeros(p.shape[0] + 1, p.shape[1], dtype=p.dtype))]

    port = free_port()
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    proc = ctx.Process(target=run_hf_engine, daemon=True,
                       args=(str(tiny_policy_dir), port, [metas_of(b) for b in buckets], metas_of(bad), results))
    proc.start()
    group = SyncGroup("127.0.0.1", port, 0, 2, timeout_s=TIMEOUT_S)
    for b in buckets:
        send_bucket(group, b)
    send_bucket(group, bad)
    out = collect([proc], results, 1)[1]
    group.close()
    assert "traceback" not in out, out.get("traceback")

    want = weights_checksum(perturbed)
    assert out["before"] == weights_checksum(params) != want
    assert out["loaded"] == [len(b) for b in buckets] and sum(out["loaded"]) == len(params)
    assert out["synced"] == want
    assert out["error"] is not None and name in out["error"] and "engine's model holds" in out["error"]
    assert out["after_error"] == want, "a refused bucket must not load any of its tensors"
    assert out["version"] == len(buckets)
