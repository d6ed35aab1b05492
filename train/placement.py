"""Placement plan and per-GPU memory estimate of a run, as pure functions of its config.

    arch = resolve_arch(cfg)              # architecture numbers (table or config.json)
    plan = make_plan(cfg, arch)           # who runs where + memory + problems
    print(format_plan(plan)); plan.raise_if_refused()

The plan says which actor sits on which node and GPU: learner ranks (DeepSpeed ZeRO
stage, data-parallel size), policy engines (tensor- and expert-parallel sizes, GPUs each)
and the env-worker pool (browser workers, episode slots and CPUs per node). The memory
estimate counts, per GPU:

* learner: bf16 weights, bf16 gradients and the fp32 Adam state (master copy + two
  moments, 12 bytes per parameter), each divided over the data-parallel ranks from the
  ZeRO stage that partitions it (1: optimizer, 2: + gradients, 3: + weights); optimizer
  offload moves the Adam state to host RAM. Activations from the micro-batch tokens,
  hidden size and layers (with gradient checkpointing: one saved hidden state per layer
  plus one layer recomputed), and the full-vocabulary logits of the log-prob pass;
* engine: bf16 weights (dense part split by TP, experts by all of the engine's GPUs),
  KV cache of the full-attention layers plus the fixed recurrent state of the linear-
  attention layers for every concurrent sequence at the longest context, and a runtime
  reserve.

Weights count ALL experts of a mixture-of-experts model; only compute depends on the
active ones. A plan whose GPUs cannot hold their share is refused, naming the GPU, the
component that overflows, by how much, and what to change.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from cuagym.config import Config

GIB = float(1 << 30)

# Qwen3.5 vision geometry: 16-pixel patches merged 2x2, so one token per 32x32 pixels.
VISION_PIXELS_PER_TOKEN_SIDE = 32
# Tokens of a context that are neither screenshots nor generated: system prompt with the
# computer_use tool schema and the task instruction.
PROMPT_TOKENS = 2048
# Per model turn besides its generated tokens: chat markup, vision start/end markers and
# the tool-response text (or the placeholder of a folded screenshot).
TURN_OVERHEAD_TOKENS = 32
# Bytes per logit element (positions x vocabulary) at the peak of the learner's log-prob
# pass (train/logprobs.py: bf16 logits, their fp32 copy kept for backward, logsumexp and
# gradient temporaries). Measured on this project's CPU machine with torch 2.13: 10.1 bytes
# at the end of the forward pass, 16.1 bytes through the backward pass.
LOGIT_BYTES_PER_ELEMENT = 16
# A policy engine's memory beyond weights and cache: activations of a prefill chunk,
# sampler buffers, CUDA graphs. vLLM profiles it at start-up; a few GiB for these models.
ENGINE_RUNTIME_GIB = 2.0
BF16 = 2
ADAM_BYTES = 12  # fp32 master weights + first and second moments


class PlanError(ValueError):
    """A run that cannot be placed; the message lists every problem and what to change."""


# --------------------------------------------------------------------------------------
# Architectures
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelArch:
    """Architecture numbers of a Qwen3.5 mixture-of-experts vision-language model."""

    name: str
    source: str
    hidden_size: int
    num_layers: int
    full_attention_interval: int     # every n-th layer is full attention, the rest Gated DeltaNet
    num_heads: int
    num_kv_heads: int
    head_dim: int
    linear_key_heads: int
    linear_value_heads: int
    linear_key_dim: int
    linear_value_dim: int
    conv_kernel: int
    num_experts: int
    experts_per_token: int
    moe_intermediate: int
    shared_intermediate: int
    vocab_size: int
    vision_depth: int = 27
    vision_hidden: int = 1152
    vision_intermediate: int = 4304
    vision_patch: int = 16
    vision_temporal_patch: int = 2
    vision_merge: int = 2
    vision_positions: int = 2304
    vision_channels: int = 3

    @property
    def full_layers(self) -> int:
        return self.num_layers // self.full_attention_interval

    @property
    def linear_layers(self) -> int:
        return self.num_layers - self.full_layers

    @property
    def linear_conv_dim(self) -> int:
        return 2 * self.linear_key_heads * self.linear_key_dim + self.linear_value_heads * self.linear_value_dim

    def param_counts(self) -> "ParamCounts":
        h, e = self.hidden_size, self.num_experts
        q_dim, kv_dim = self.num_heads * self.head_dim, self.num_kv_heads * self.head_dim
        # Full attention: gated query (2x), keys, values, output, q/k norms.
        full_attn = h * 2 * q_dim + 2 * h * kv_dim + q_dim * h + 2 * self.head_dim
        v_dim = self.linear_value_heads * self.linear_value_dim
        conv = self.linear_conv_dim
        # Gated DeltaNet: qkv, z, b, a projections, depthwise conv, dt bias, A, norm, output.
        linear_attn = (h * conv + h * v_dim + 2 * h * self.linear_value_heads + conv * self.conv_kernel
                       + 2 * self.linear_value_heads + self.linear_value_dim + v_dim * h)
        experts_per_layer = e * 3 * h * self.moe_intermediate          # gate+up and down of every expert
        router_and_shared = e * h + 3 * h * self.shared_intermediate + h
        norms = 2 * h
        experts = self.num_layers * experts_per_layer
        layers_dense = (self.full_layers * full_attn + self.linear_layers * linear_attn
                        + self.num_layers * (router_and_shared + norms))
        embedding = self.vocab_size * h
        lm_head = self.vocab_size * h
        vh, vi = self.vision_hidden, self.vision_intermediate
        block = 4 * vh + vh * 3 * vh + 3 * vh + vh * vh + vh + vh * vi + vi + vi * vh + vh
        merged = vh * self.vision_merge ** 2
        vision = (self.vision_channels * self.vision_temporal_patch * self.vision_patch ** 2 * vh + vh
                  + self.vision_positions * vh + self.vision_depth * block
                  + 2 * vh + merged * merged + merged + merged * h + h)
        dense = layers_dense + embedding + lm_head + h + vision
        active = (layers_dense + lm_head + h
                  + self.num_layers * self.experts_per_token * 3 * h * self.moe_intermediate)
        return ParamCounts(total=dense + experts, experts=experts, dense=dense, active=active,
                           embedding=embedding, vision=vision)


@dataclass(frozen=True)
class ParamCounts:
    total: int       # every parameter, all experts included
    experts: int     # routed experts only
    dense: int       # everything else (attention, shared expert, router, embeddings, vision)
    active: int      # used per token by the language model (routed top-k + dense, no embedding/vision)
    embedding: int
    vision: int


# Source: the config.json of the released checkpoints on the Hugging Face hub (mirrored by
# transformers' Qwen3_5MoeTextConfig defaults for 35B-A3B and by the 397B-A17B model card:
# 60 layers as 15 x (3 Gated DeltaNet + 1 full attention), 512 experts, 10 routed + 1
# shared, expert size 1024). Counted here: 35.1e9 and 396.8e9 parameters (multi-token
# prediction head excluded).
ARCHITECTURES: dict[str, ModelArch] = {
    "Qwen/Qwen3.5-35B-A3B": ModelArch(
        name="Qwen/Qwen3.5-35B-A3B", source="Qwen/Qwen3.5-35B-A3B config.json (hub)",
        hidden_size=2048, num_layers=40, full_attention_interval=4, num_heads=16, num_kv_heads=2,
        head_dim=256, linear_key_heads=16, linear_value_heads=32, linear_key_dim=128,
        linear_value_dim=128, conv_kernel=4, num_experts=256, experts_per_token=8,
        moe_intermediate=512, shared_intermediate=512, vocab_size=248320),
    "Qwen/Qwen3.5-397B-A17B": ModelArch(
        name="Qwen/Qwen3.5-397B-A17B", source="Qwen/Qwen3.5-397B-A17B config.json (hub)",
        hidden_size=4096, num_layers=60, full_attention_interval=4, num_heads=32, num_kv_heads=2,
        head_dim=256, linear_key_heads=16, linear_value_heads=64, linear_key_dim=128,
        linear_value_dim=128, conv_kernel=4, num_experts=512, experts_per_token=10,
        moe_intermediate=1024, shared_intermediate=1024, vocab_size=248320),
}


def arch_from_hf_config(config: Mapping[str, Any], name: str, source: str) -> ModelArch:
    """A :class:`ModelArch` from a Qwen3.5-MoE ``config.json`` (top level or text/vision parts)."""
    text = config.get("text_config", config)
    vision = config.get("vision_config", {}) or {}
    try:
        layers = int(text["num_hidden_layers"])
        types = text.get("layer_types")
        interval = int(text.get("full_attention_interval", 4))
        if types:
            full = sum(t == "full_attention" for t in types)
            interval = max(1, layers // full) if full else layers + 1
        return ModelArch(
            name=name, source=source, hidden_size=int(text["hidden_size"]), num_layers=layers,
            full_attention_interval=interval, num_heads=int(text["num_attention_heads"]),
            num_kv_heads=int(text["num_key_value_heads"]),
            head_dim=int(text.get("head_dim") or text["hidden_size"] // text["num_attention_heads"]),
            linear_key_heads=int(text.get("linear_num_key_heads", 16)),
            linear_value_heads=int(text.get("linear_num_value_heads", 32)),
            linear_key_dim=int(text.get("linear_key_head_dim", 128)),
            linear_value_dim=int(text.get("linear_value_head_dim", 128)),
            conv_kernel=int(text.get("linear_conv_kernel_dim", 4)),
            num_experts=int(text["num_experts"]), experts_per_token=int(text["num_experts_per_tok"]),
            moe_intermediate=int(text["moe_intermediate_size"]),
            shared_intermediate=int(text.get("shared_expert_intermediate_size", 0)),
            vocab_size=int(text["vocab_size"]),
            vision_depth=int(vision.get("depth", 27)), vision_hidden=int(vision.get("hidden_size", 1152)),
            vision_intermediate=int(vision.get("intermediate_size", 4304)),
            vision_patch=int(vision.get("patch_size", 16)),
            vision_temporal_patch=int(vision.get("temporal_patch_size", 2)),
            vision_merge=int(vision.get("spatial_merge_size", 2)),
            vision_positions=int(vision.get("num_position_embeddings", 2304)),
            vision_channels=int(vision.get("in_channels", 3)))
    except KeyError as missing:
        raise PlanError(f"{source}: not a Qwen3.5-MoE config, key {missing} is missing; expected "
                        "num_hidden_layers, hidden_size, num_experts, ... (under text_config)") from None


def resolve_arch(cfg: Config) -> ModelArch | None:
    """The architecture the estimate uses (reads model.path/config.json when it exists).

    None for a CPU run whose model is not known yet (no GPU memory to estimate).
    """
    want = cfg.cluster.model_arch
    if want != "auto":
        for key, arch in ARCHITECTURES.items():
            if want.lower() in (key.lower(), key.split("/")[-1].lower()):
                return arch
        raise PlanError(f"cluster.model_arch {want!r} is unknown; expected 'auto' or one of "
                        + ", ".join(ARCHITECTURES))
    path = Path(cfg.model.path)
    if (path / "config.json").is_file():
        data = json.loads((path / "config.json").read_text())
        return arch_from_hf_config(data, name=str(path), source=str(path / "config.json"))
    for key, arch in ARCHITECTURES.items():
        if cfg.model.path.lower().rstrip("/").endswith(key.split("/")[-1].lower()):
            return arch
    if cfg.cluster.gpus_per_node == 0:
        return None
    raise PlanError(f"no architecture for model.path {cfg.model.path!r}: it is neither a checkpoint directory "
                    f"with config.json nor a known model; set cluster.model_arch to one of "
                    + ", ".join(ARCHITECTURES))


# --------------------------------------------------------------------------------------
# Context and memory
# --------------------------------------------------------------------------------------

def image_tokens(width: int, height: int) -> int:
    """Tokens of one screenshot: sides rounded to multiples of 32 px, one token per 32x32."""
    f = VISION_PIXELS_PER_TOKEN_SIDE
    return max(1, round(width / f)) * max(1, round(height / f))


def max_context_tokens(cfg: Config) -> int:
    """Longest context of one episode: prompt, the most screenshots visible at once, all turns' text."""
    if cfg.cluster.max_context_tokens:
        return cfg.cluster.max_context_tokens
    r = cfg.rollout
    visible = min(r.max_turns, r.image_max)
    return (PROMPT_TOKENS + visible * image_tokens(r.image_width, r.image_height)
            + r.max_turns * (r.max_new_tokens + TURN_OVERHEAD_TOKENS))


def layer_activation_elements(arch: ModelArch) -> int:
    """Elements per token a decoder layer keeps for its backward pass (the larger attention kind)."""
    h = arch.hidden_size
    norms_and_residual = 4 * h
    full_attn = 3 * arch.num_heads * arch.head_dim + 2 * arch.num_kv_heads * arch.head_dim + h
    v_dim = arch.linear_value_heads * arch.linear_value_dim
    linear_attn = 2 * arch.linear_conv_dim + 3 * v_dim + h
    k, m = arch.experts_per_token, arch.moe_intermediate
    # Router logits, top-k dispatched copies of the input, gate+up, activation, down outputs.
    moe = arch.num_experts + k * h + k * 2 * m + k * m + k * h
    shared = 3 * arch.shared_intermediate + h
    return norms_and_residual + max(full_attn, linear_attn) + moe + shared


def learner_tokens(cfg: Config) -> int:
    """Positions in the learner's largest micro-batch: a slice is never split, so at least the longest context."""
    return max(cfg.learner.micro_batch_tokens, max_context_tokens(cfg))


def learner_memory(cfg: Config, arch: ModelArch, ranks: int) -> dict[str, float]:
    """Per-GPU bytes of one learner rank: weights, grads, optimizer, activations, logits (+ host optimizer)."""
    p = arch.param_counts().total
    stage = int(cfg.learner.zero_stage)
    weights = BF16 * p / (ranks if stage >= 3 else 1)
    grads = BF16 * p / (ranks if stage >= 2 else 1)
    optimizer = ADAM_BYTES * p / (ranks if stage >= 1 else 1)
    t = learner_tokens(cfg)
    per_layer = t * layer_activation_elements(arch) * BF16
    if cfg.model.gradient_checkpointing:
        # One saved hidden state per layer, plus one layer recomputed with its gradients.
        activations = t * arch.hidden_size * arch.num_layers * BF16 + 2 * per_layer
    else:
        activations = arch.num_layers * per_layer
    chunk = int(cfg.learner.logprob_chunk_tokens)
    if chunk > 0:
        # Policy positions are projected onto the vocabulary in checkpointed chunks
        # (train/logprobs.py): one chunk's logits live at a time, plus the gathered hidden
        # states of the policy positions that the chunks recompute from.
        logits = float(min(t, chunk)) * arch.vocab_size * LOGIT_BYTES_PER_ELEMENT + t * arch.hidden_size * BF16
    else:
        logits = float(t) * arch.vocab_size * LOGIT_BYTES_PER_ELEMENT
    offload = cfg.learner.offload_optimizer
    return {"weights": weights, "gradients": grads, "optimizer": 0.0 if offload else optimizer,
            "activations": activations, "logits": logits, "host_optimizer": optimizer if offload else 0.0}


def engine_parallel(cfg: Config) -> tuple[int, int, int]:
    """(tp, ep, gpus per engine): experts spread over max(tp, ep) GPUs; attention runs
    data-parallel in groups of tp when ep > tp."""
    tp, ep = cfg.rollout.engine_tp_size, cfg.rollout.engine_ep_size
    return tp, ep, max(tp, ep)


def engine_sequences(cfg: Config) -> int:
    """Concurrent sequences per engine: every env slot of the cluster holds one episode."""
    slots = cfg.cluster.nodes * cfg.rollout.env_workers * cfg.rollout.slots_per_worker
    return math.ceil(slots / cfg.rollout.num_engines)


def engine_memory(cfg: Config, arch: ModelArch) -> dict[str, float]:
    """Per-GPU bytes of one engine shard: weights, KV cache (+ linear-attention state), runtime."""
    counts = arch.param_counts()
    tp, ep, gpus = engine_parallel(cfg)
    weights = BF16 * counts.dense / tp + BF16 * counts.experts / gpus
    dp_attn = gpus // tp
    seqs = math.ceil(engine_sequences(cfg) / dp_attn)
    ctx = max_context_tokens(cfg)
    # KV heads are split over tp; with more shards than heads each shard keeps a replica.
    kv_heads = math.ceil(arch.num_kv_heads / tp)
    kv_per_token = 2 * kv_heads * arch.head_dim * arch.full_layers * BF16
    v_heads = arch.linear_value_heads / tp
    recurrent = v_heads * arch.linear_key_dim * arch.linear_value_dim
    conv = arch.linear_conv_dim / tp * (arch.conv_kernel - 1)
    state_per_seq = (recurrent + conv) * arch.linear_layers * BF16
    return {"weights": weights, "kv_cache": float(seqs) * ctx * kv_per_token + seqs * state_per_seq,
            "runtime": ENGINE_RUNTIME_GIB * GIB}


# --------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GpuRef:
    node: int
    gpu: int | None   # None for CPU processes

    def __str__(self) -> str:
        return f"node {self.node} cpu" if self.gpu is None else f"node {self.node} gpu {self.gpu}"


@dataclass(frozen=True)
class EnginePlacement:
    index: int
    tp: int
    ep: int
    devices: tuple[GpuRef, ...]
    sequences: int

    @property
    def nodes(self) -> tuple[int, ...]:
        return tuple(sorted({d.node for d in self.devices}))


@dataclass(frozen=True)
class EnvPlacement:
    node: int
    workers: int
    slots: int
    cpus: float


@dataclass(frozen=True)
class GpuMemory:
    """Estimated bytes on the GPUs that hold one combination of roles."""

    roles: str                          # "learner + engine", "learner", "engine"
    gpus: tuple[GpuRef, ...]
    learner: dict[str, float]
    engine: dict[str, float]
    peak: float                          # the largest phase total
    cap: float                           # usable bytes


@dataclass(frozen=True)
class Plan:
    model: str
    device: str                          # "gpu" or "cpu"
    nodes: int
    gpus_per_node: int
    zero_stage: int
    offload_optimizer: bool
    learner_ranks: tuple[GpuRef, ...]
    engines: tuple[EnginePlacement, ...]
    env: tuple[EnvPlacement, ...]
    colocate: bool
    mode: str
    context_tokens: int
    learner_tokens: int
    params: ParamCounts | None
    memory: tuple[GpuMemory, ...] = ()
    host_memory_per_node: float = 0.0
    problems: tuple[str, ...] = field(default=())

    @property
    def fits(self) -> bool:
        return not self.problems

    def raise_if_refused(self) -> None:
        if self.problems:
            raise PlanError("the run does not fit:\n" + "\n".join(f"- {p}" for p in self.problems))


def _gib(x: float) -> str:
    return f"{x / GIB:.1f} GiB"


def _assign_gpus(count: int, start: int, g: int) -> list[GpuRef]:
    return [GpuRef((start + i) // g, (start + i) % g) for i in range(count)]


_FIXES = {
    "weights": "raise learner.zero_stage to 3 (it partitions the weights) or give the learner more GPUs "
               "(learner.num_ranks with cluster.learner_gpus)",
    "gradients": "raise learner.zero_stage to 2 or 3 or give the learner more GPUs",
    "optimizer": "set learner.offload_optimizer=true, raise learner.zero_stage or give the learner more GPUs",
    "activations": "set model.gradient_checkpointing=true or lower learner.micro_batch_tokens",
    "logits": "set learner.logprob_chunk_tokens (e.g. 4096) so only policy positions are projected onto "
              "the vocabulary, a chunk at a time; with it 0 the log-prob pass holds full-vocabulary logits for "
              "max(micro_batch_tokens, longest context) positions",
    "kv_cache": "fewer concurrent sequences per engine (more rollout.num_engines, fewer rollout.env_workers "
                "or rollout.slots_per_worker), shorter contexts, or engine_ep_size > engine_tp_size so attention "
                "runs data-parallel instead of replicating the few KV heads",
    "runtime": "raise rollout.gpu_memory_utilization",
}
# What fixes an engine over its budget in anything but its KV cache.
_ENGINE_FIX = ("more GPUs per engine (rollout.engine_tp_size / engine_ep_size) or a higher "
               "rollout.gpu_memory_utilization")


def _largest(parts: Mapping[str, float]) -> str:
    return max(parts, key=lambda k: parts[k])


def _over_limit(where: str, who: str, parts: Mapping[str, float], limit: float, limit_text: str,
                fix: Callable[[str], str], part_size: bool = False) -> str | None:
    """The problem of ``who`` on the GPUs ``where`` when its ``parts`` (name -> bytes) add up to more
    than ``limit`` (``limit_text`` says what that is): what it needs of what, by how much it is over,
    its largest part (with that part's size when ``part_size``) and ``fix(part)``; None when it fits."""
    total = sum(parts.values())
    if total <= limit:
        return None
    part = _largest(parts)
    size = f" ({_gib(parts[part])})" if part_size else ""
    return (f"{where}: {who} needs {_gib(total)} (" + ", ".join(f"{k} {_gib(v)}" for k, v in parts.items())
            + f") but {limit_text}: over by {_gib(total - limit)}, mostly {part}{size}. Fix: {fix(part)}")


def _memory_checks(cfg: Config, arch: ModelArch, ranks: int, roles: dict[GpuRef, tuple[bool, bool]],
                   ) -> tuple[list[GpuMemory], list[str]]:
    g_bytes = cfg.cluster.gpu_memory_gb * GIB
    cap = cfg.cluster.usable_memory_fraction * g_bytes
    util = cfg.rollout.gpu_memory_utilization
    engine_budget = util * g_bytes
    lm = learner_memory(cfg, arch, ranks)
    em = engine_memory(cfg, arch) if cfg.rollout.num_engines else {}
    lm_gpu = {k: v for k, v in lm.items() if k != "host_optimizer"}
    learner_total = sum(lm_gpu.values())
    learner_resident = lm["weights"] + lm["gradients"] + lm["optimizer"]
    concurrent = cfg.train.mode == "async"
    groups: dict[tuple[bool, bool], list[GpuRef]] = {}
    for ref, key in roles.items():
        groups.setdefault(key, []).append(ref)
    rows: list[GpuMemory] = []
    problems: list[str | None] = []   # None: a check that passed
    for (has_l, has_e), refs in sorted(groups.items(), reverse=True):
        name = " + ".join(n for n, on in (("learner", has_l), ("engine", has_e)) if on)
        where = f"{name} GPUs ({refs[0]}{' and %d more' % (len(refs) - 1) if len(refs) > 1 else ''})"
        phases: list[float] = []
        if has_e:
            problems.append(_over_limit(
                where, "the engine", em, engine_budget,
                f"vLLM may take {_gib(engine_budget)} ({cfg.cluster.gpu_memory_gb:g} GiB x "
                f"rollout.gpu_memory_utilization {util:g})",
                lambda part: _FIXES["kv_cache"] if part == "kv_cache" else _ENGINE_FIX))
            # vLLM reserves its whole budget up front, whatever it needs.
            phases.append(engine_budget)
        if has_l:
            phases.append(learner_total)
            problems.append(_over_limit(
                where, "a learner rank", lm_gpu, cap,
                f"{_gib(cap)} is usable ({cfg.cluster.gpu_memory_gb:g} GiB x "
                f"cluster.usable_memory_fraction {cfg.cluster.usable_memory_fraction:g})",
                _FIXES.__getitem__, part_size=True))
        if has_l and has_e:
            # Sync: engines sleep (weights and cache released) during the update, but the
            # learner's states stay while the engines generate. Async: both run at once.
            both = learner_total + engine_budget if concurrent else learner_resident + engine_budget
            phases.append(both)
            if both > cap and learner_total <= cap:
                what = ("in async mode the update runs while the colocated engines generate, so the learner's "
                        f"{_gib(learner_total)} and vLLM's {_gib(engine_budget)} share the GPU"
                        if concurrent else
                        f"while the engines generate, the learner keeps {_gib(learner_resident)} of weights, "
                        f"gradients and optimizer states beside vLLM's {_gib(engine_budget)}")
                problems.append(
                    f"{where}: {what}: {_gib(both)} > {_gib(cap)} usable, over by {_gib(both - cap)}. Fix: "
                    + ("set train.mode=sync (engines sleep during the update), " if concurrent else "")
                    + "lower rollout.gpu_memory_utilization, or set cluster.colocate=false and split the GPUs")
        rows.append(GpuMemory(roles=name, gpus=tuple(refs), learner=lm_gpu if has_l else {},
                              engine=em if has_e else {}, peak=max(phases), cap=cap))
    return rows, [p for p in problems if p is not None]


def make_plan(cfg: Config, arch: ModelArch | None) -> Plan:
    """Place learner ranks, engines and env workers and estimate memory; problems are collected, not raised."""
    c, r, lc = cfg.cluster, cfg.rollout, cfg.learner
    problems: list[str] = []
    g = c.gpus_per_node
    tp, ep, per_engine = engine_parallel(cfg)
    ranks = lc.num_ranks
    on_gpu = g > 0
    if on_gpu:
        learner_gpus = c.learner_gpus or ranks
        if learner_gpus != ranks:
            problems.append(f"cluster.learner_gpus ({c.learner_gpus}) and learner.num_ranks ({ranks}) differ: "
                            "a learner rank is one GPU; set them equal")
        if per_engine % min(tp, ep):
            problems.append(f"rollout.engine_ep_size ({ep}) and engine_tp_size ({tp}): the larger must be a "
                            "multiple of the smaller (experts over max(tp, ep) GPUs, attention in groups of tp)")
        if per_engine > g and per_engine % g:
            problems.append(f"an engine spans {per_engine} GPUs: more than a node's {g}, so it must fill whole "
                            f"nodes (a multiple of {g})")
        elif per_engine <= g and g % per_engine:
            problems.append(f"an engine's {per_engine} GPUs do not divide a node's {g}: engines would straddle nodes")
        if arch is not None and ep > 1 and arch.num_experts % ep:
            problems.append(f"rollout.engine_ep_size ({ep}) must divide the {arch.num_experts} experts")
        total = c.nodes * g
        engine_gpus = r.num_engines * per_engine
        need = max(learner_gpus, engine_gpus) if c.colocate else learner_gpus + engine_gpus
        if need > total:
            how = ("colocated: max of learner and engine GPUs" if c.colocate
                   else f"{learner_gpus} learner + {engine_gpus} engine GPUs")
            problems.append(f"the plan needs {need} GPUs ({how}) but the cluster has {total} "
                            f"(cluster.nodes {c.nodes} x gpus_per_node {g})")
        learner_refs = _assign_gpus(learner_gpus, 0, g)
        start = 0 if c.colocate else learner_gpus
        engines = tuple(EnginePlacement(i, tp, ep, tuple(_assign_gpus(per_engine, start + i * per_engine, g)),
                                        engine_sequences(cfg)) for i in range(r.num_engines))
    else:
        learner_refs = [GpuRef(0, None)] * ranks
        engines = tuple(EnginePlacement(i, 1, 1, (GpuRef(0, None),), engine_sequences(cfg))
                        for i in range(r.num_engines))
    env = tuple(EnvPlacement(n, r.env_workers, r.env_workers * r.slots_per_worker,
                             r.env_workers * r.env_cpus_per_worker) for n in range(c.nodes))
    if c.cpus_per_node:
        for n in range(c.nodes):
            gpu_procs = sum(1 for x in learner_refs if x.node == n) + sum(
                1 for e in engines for d in e.devices if d.node == n)
            need_cpu = env[n].cpus + (gpu_procs if on_gpu else len(learner_refs) + len(engines)) + (1 if n == 0 else 0)
            if need_cpu > c.cpus_per_node:
                problems.append(f"node {n} needs {need_cpu:g} CPUs ({env[n].cpus:g} for {env[n].workers} env workers, "
                                f"1 per learner rank / engine shard, 1 for the driver on node 0) but has "
                                f"cluster.cpus_per_node {c.cpus_per_node}: lower rollout.env_workers or "
                                "rollout.env_cpus_per_worker")
    memory: list[GpuMemory] = []
    host = 0.0
    if on_gpu and arch is not None:
        roles: dict[GpuRef, tuple[bool, bool]] = {}
        for ref in learner_refs:
            roles[ref] = (True, False)
        for e in engines:
            for ref in e.devices:
                roles[ref] = (roles.get(ref, (False, False))[0], True)
        memory, mem_problems = _memory_checks(cfg, arch, ranks, roles)
        problems += mem_problems
        host_opt = learner_memory(cfg, arch, ranks)["host_optimizer"]
        host = host_opt * max((sum(1 for x in learner_refs if x.node == n) for n in range(c.nodes)), default=0)
        if c.cpu_memory_gb and host > c.cpu_memory_gb * GIB:
            problems.append(f"offloaded optimizer states need {_gib(host)} of host RAM per node but "
                            f"cluster.cpu_memory_gb is {c.cpu_memory_gb:g}: use more nodes or ZeRO-3 over more ranks")
    return Plan(model=arch.name if arch else cfg.model.path, device="gpu" if on_gpu else "cpu", nodes=c.nodes,
                gpus_per_node=g, zero_stage=int(lc.zero_stage), offload_optimizer=lc.offload_optimizer,
                learner_ranks=tuple(learner_refs), engines=engines, env=env, colocate=c.colocate,
                mode=cfg.train.mode, context_tokens=max_context_tokens(cfg), learner_tokens=learner_tokens(cfg),
                params=arch.param_counts() if arch else None, memory=tuple(memory),
                host_memory_per_node=host, problems=tuple(problems))


def plan_from_config(cfg: Config) -> Plan:
    """:func:`make_plan` with the architecture resolved from the config."""
    return make_plan(cfg, resolve_arch(cfg))


# --------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------

def _span(values: list[int]) -> str:
    """'0-7' or '0,2,4-5' for sorted distinct integers."""
    runs, lo = [], values[0]
    for a, b in zip(values, values[1:] + [None]):
        if b != a + 1:
            runs.append(f"{lo}" if lo == a else f"{lo}-{a}")
            lo = b
    return ",".join(runs)


def _nodes(nodes: list[int]) -> str:
    return f"node {nodes[0]}" if len(nodes) == 1 else f"nodes {_span(nodes)}"


def _ranges(refs: tuple[GpuRef, ...]) -> str:
    """'nodes 0-15 gpu 0-7' for a list of devices: nodes with the same GPUs are merged."""
    by_node: dict[int, list[int]] = {}
    for ref in refs:
        by_node.setdefault(ref.node, []).append(-1 if ref.gpu is None else ref.gpu)
    by_gpus: dict[str, list[int]] = {}
    for node, gpus in sorted(by_node.items()):
        key = f"cpu x{len(gpus)}" if gpus[0] == -1 else f"gpu {_span(sorted(set(gpus)))}"
        by_gpus.setdefault(key, []).append(node)
    return ", ".join(f"{_nodes(nodes)} {key}" for key, nodes in by_gpus.items())


ACTOR_PREFIX = "cuagym"


def learner_actor_name(rank: int) -> str:
    return f"{ACTOR_PREFIX}-learner-{rank}"


def engine_actor_name(index: int) -> str:
    return f"{ACTOR_PREFIX}-engine-{index}"


def actor_names(plan: Plan) -> list[str]:
    """The named Ray actors the ``ray`` runtime starts for this plan (learner ranks, then engines)."""
    return ([learner_actor_name(r) for r in range(len(plan.learner_ranks))]
            + [engine_actor_name(e.index) for e in plan.engines])


def format_plan(plan: Plan) -> str:
    """The plan as text: placement, memory per GPU kind, verdict."""
    out = [f"placement plan: {plan.model} on {plan.nodes} node(s) x {plan.gpus_per_node} GPU(s) "
           f"({plan.device}), {'colocated' if plan.colocate else 'separate'} learner and engines, {plan.mode} mode"]
    if plan.params:
        p = plan.params
        out.append(f"  model: {p.total / 1e9:.2f}B parameters ({p.experts / 1e9:.2f}B in routed experts), "
                   f"{p.active / 1e9:.2f}B active per token")
    out.append(f"  context: longest {plan.context_tokens} tokens; learner micro-batch {plan.learner_tokens} tokens")
    out.append(f"  learner: {len(plan.learner_ranks)} rank(s), DeepSpeed ZeRO-{plan.zero_stage}, dp size "
               f"{len(plan.learner_ranks)}, optimizer {'offloaded to host RAM' if plan.offload_optimizer else 'on the device'}: "
               f"{_ranges(plan.learner_ranks)}")
    for e in plan.engines:
        unit = "process" if e.devices[0].gpu is None else f"{len(e.devices)} GPU(s)"
        out.append(f"  engine {e.index}: tp {e.tp}, ep {e.ep}, {unit}, {e.sequences} concurrent "
                   f"sequences: {_ranges(e.devices)}")
    names = actor_names(plan)
    out.append(f"  ray actors: {len(names)} ({', '.join(names[:3])}{', ...' if len(names) > 4 else ''}"
               f"{', ' + names[-1] if len(names) > 3 else ''})")
    same: dict[tuple[int, int, float], list[int]] = {}
    for v in plan.env:
        same.setdefault((v.workers, v.slots, v.cpus), []).append(v.node)
    for (workers, slots, cpus), nodes in same.items():
        out.append(f"  env workers: {workers} per node ({slots} episode slots, {cpus:g} CPUs), {_nodes(nodes)}")
    for m in plan.memory:
        out.append(f"  memory per GPU, {m.roles} ({len(m.gpus)} GPU(s)): peak {_gib(m.peak)} of {_gib(m.cap)} usable")
        if m.learner:
            out.append("    learner: " + ", ".join(f"{k} {_gib(v)}" for k, v in m.learner.items()))
        if m.engine:
            out.append("    engine: " + ", ".join(f"{k} {_gib(v)}" for k, v in m.engine.items()))
    if plan.host_memory_per_node:
        out.append(f"  host memory per node: offloaded optimizer {_gib(plan.host_memory_per_node)}")
    if plan.device == "cpu":
        out.append("  CPU run: no GPU memory estimate")
    if plan.problems:
        out.append("REFUSED: the run does not fit:")
        out += [f"  - {p}" for p in plan.problems]
    else:
        out.append("OK: the plan fits")
    return "\n".join(out)

