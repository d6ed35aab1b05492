"""The run configuration: one frozen dataclass per part, loaded from ``configs/*.yaml``.

    cfg = load_config("configs/tiny.yaml", ["rollout.group_size=4", "train.steps=2"])

``configs/base.yaml`` holds what every run shares; ``tiny.yaml`` (CPU), ``a3b.yaml``
(Qwen3.5-35B-A3B on one GPU node) and ``a17b.yaml`` (Qwen3.5-397B-A17B, multi-node) inherit it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal, Optional

from cuagym.configbase import ConfigError, cfg, describe, load, to_dict
from cuagym.configcheck import above, at_least, fraction, when

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


@dataclass(frozen=True)
class ModelConfig:
    path: str = cfg("runs/tiny_policy", "policy checkpoint: a local directory (or a hub id already in the local cache)")
    build_tiny_if_missing: bool = cfg(False, "build the tiny random-weight Qwen3.5-MoE policy at `path` if it does not exist")
    attn_implementation: Literal["auto", "sdpa", "eager", "flash_attention_2"] = cfg(
        "auto", "attention kernel: auto = flash_attention_2 on CUDA when flash-attn is installed, else sdpa")
    dtype: Literal["auto", "float32", "bfloat16"] = cfg("auto", "parameter dtype: auto = bfloat16 on GPU, float32 on CPU")
    gradient_checkpointing: bool = cfg(False, "recompute activations in the backward pass to save memory")
    router_aux_loss_coef: float = cfg(0.0, "weight of the MoE router load-balancing loss added to the RL loss")


@dataclass(frozen=True)
class HubConfig:
    hardened: bool = cfg(True, "hardened State API: the page never holds the sid or the admin token")
    host: str = cfg("127.0.0.1", "address the hub binds on each node")
    urls: dict[str, str] = cfg({}, "use an already running hub: app name -> base URL (empty = start one per node)")
    protocol: dict[str, str] = cfg(
        {}, "per app of hub.urls: hardened (this hub's State API; the default) or legacy (a CUA-Gym-Hub server in "
            "its legacy mode: no admin token, the page opened as BASE/?sid=SID, readiness without a ready marker)")

    def check(self) -> str | None:
        for app, proto in self.protocol.items():
            if proto not in ("hardened", "legacy"):
                return f"hub.protocol.{app} must be hardened or legacy, got {proto!r}"
        extra = sorted(set(self.protocol) - set(self.urls))
        if extra:
            return (f"hub.protocol names {', '.join(extra)}, which hub.urls does not list: a protocol is set per "
                    f"app of an already running hub (hub.urls: {sorted(self.urls) or 'empty'})")
        return None


@dataclass(frozen=True)
class RolloutConfig:
    group_size: int = cfg(8, "rollouts per task (the GSPO group size G)")
    tasks_per_step: int = cfg(16, "tasks sampled per training step")
    max_turns: int = cfg(15, "model turns per episode before it is truncated")
    max_actions_per_turn: int = cfg(5, "tool calls executed from one model turn")
    episode_timeout_s: float = cfg(600.0, "wall-clock limit of one episode")
    screen_width: int = cfg(1280, "browser viewport width in CSS pixels")
    screen_height: int = cfg(800, "browser viewport height in CSS pixels")
    image_width: int = cfg(1280, "width of the screenshot given to the model (resized from the viewport)")
    image_height: int = cfg(800, "height of the screenshot given to the model")
    image_max: int = cfg(20, "screenshots kept at full resolution in the context before folding")
    fold_size: int = cfg(10, "oldest screenshots replaced by a placeholder when image_max is exceeded")
    coordinate_frame: Literal["absolute", "relative_999"] = cfg(
        "relative_999", "coordinates the model emits: absolute pixels of its screenshot or the 0..999 grid")
    temperature: float = cfg(1.0, "sampling temperature during training rollouts")
    top_p: float = cfg(1.0, "nucleus sampling threshold")
    seed_requests: bool = cfg(
        False, "sample each request with its own seed (from train.seed, step, tuple, episode and turn) so rollouts "
               "do not depend on how requests are batched or spread over engines (HF: one request per call)")
    max_new_tokens: int = cfg(512, "token limit of one model turn")
    engine: Literal["hf", "vllm", "openai"] = cfg("hf", "policy engine: hf (transformers generate), vllm (GPU), openai (HTTP)")
    num_engines: int = cfg(1, "policy engine replicas")
    engine_tp_size: int = cfg(1, "tensor-parallel size of each engine")
    engine_ep_size: int = cfg(1, "expert-parallel size of each engine (MoE)")
    gpu_memory_utilization: float = cfg(0.85, "fraction of GPU memory a vLLM engine may take")
    env_workers: int = cfg(1, "browser workers (one Chromium each) per node")
    slots_per_worker: int = cfg(8, "concurrent episodes (browser contexts) per worker")
    env_cpus_per_worker: float = cfg(1.0, "CPUs reserved for each browser worker")
    env_mode: Literal["ray", "local"] = cfg(
        "ray", "where browser workers run: ray (one actor each, spans nodes) or local (threads in this process)")
    env_resource: str = cfg("", "custom Ray resource each browser worker needs (one unit), e.g. to pin them to nodes")
    env_call_timeout_s: float = cfg(180.0, "a worker call taking longer counts as hung: the worker is replaced")
    env_failure_retries: int = cfg(1, "times an episode lost to an environment failure is started again")

    def check(self) -> str | None:
        return (at_least(self, "rollout", 2, "group_size", note=" for group-normalised advantages")
                or when(not 1 <= self.fold_size <= self.image_max,
                        f"rollout.fold_size must be within 1..image_max ({self.image_max}), got {self.fold_size}")
                or at_least(self, "rollout", 1, "tasks_per_step", "max_turns", "max_actions_per_turn",
                            "max_new_tokens", "num_engines", "engine_tp_size", "engine_ep_size", "env_workers",
                            "slots_per_worker", "image_max")
                or fraction(self, "rollout", "gpu_memory_utilization")
                or when(self.env_call_timeout_s <= 0 or self.env_cpus_per_worker < 0,
                        f"rollout.env_call_timeout_s must be > 0 and env_cpus_per_worker >= 0, got "
                        f"{self.env_call_timeout_s} and {self.env_cpus_per_worker}")
                or at_least(self, "rollout", 0, "env_failure_retries"))


@dataclass(frozen=True)
class GSPOConfig:
    eps_low: float = cfg(3e-4, "lower clip of the importance ratio (1 - eps_low): the sequence ratio for gspo and "
                         "gspo_token, each token's ratio for grpo (which wants a wider band, e.g. 0.2)")
    eps_high: float = cfg(4e-4, "upper clip of the importance ratio (1 + eps_high)")
    loss_form: Literal["gspo", "gspo_token", "grpo"] = cfg(
        "gspo_token", "gspo: GSPO, one clipped ratio per sequence, gradient through it; gspo_token: the same ratio as "
        "sg[s_i] * pi/sg[pi] per token (equal gradient for per-sequence advantages, exact with TIS); grpo: "
        "token-level ratio clipping (PPO/GRPO)")
    ratio_unit: Literal["trajectory", "turn"] = cfg("trajectory", "one ratio per trajectory, or per model turn")
    tis_cap: Optional[float] = cfg(None, "truncated importance sampling cap against rollout log-probs (null = off)")
    adv_eps: float = cfg(1e-6, "added to the group std when normalising advantages")
    drop_zero_variance_groups: bool = cfg(True, "skip groups whose rewards are all equal (no learning signal)")

    def check(self) -> str | None:
        if self.eps_low <= 0 or self.eps_high <= 0:
            return f"gspo.eps_low and gspo.eps_high must be > 0, got {self.eps_low}, {self.eps_high}"
        if self.tis_cap is not None and self.tis_cap < 1:
            return f"gspo.tis_cap must be >= 1 or null, got {self.tis_cap}"
        if self.tis_cap is not None and self.loss_form == "gspo":
            return ("gspo.tis_cap with gspo.loss_form=gspo: the sequence form spreads each slice's mean TIS weight, "
                    "so a sliced trajectory would not get its unsliced gradient; use loss_form=gspo_token with TIS")
        return None


@dataclass(frozen=True)
class LearnerConfig:
    zero_stage: Literal[0, 1, 2, 3] = cfg(2, "DeepSpeed ZeRO stage")
    offload_optimizer: bool = cfg(False, "keep optimizer states in CPU memory (ZeRO-Offload)")
    num_ranks: int = cfg(1, "data-parallel learner processes (GPUs, or CPU processes over gloo)")
    lr: float = cfg(1e-6, "peak learning rate")
    lr_schedule: Literal["constant", "cosine", "linear"] = cfg("constant", "learning-rate schedule after warm-up")
    warmup_steps: int = cfg(0, "optimizer steps of linear warm-up")
    weight_decay: float = cfg(0.0, "AdamW weight decay")
    betas: tuple[float, float] = cfg((0.9, 0.999), "AdamW betas")
    grad_clip: float = cfg(1.0, "global gradient-norm clip")
    minibatches_per_rollout: int = cfg(4, "optimizer steps per rollout batch (the paper uses 4)")
    shuffle_minibatches: bool = cfg(False, "deal the batch's trajectories to the minibatches in a random order seeded "
                                    "by train.seed and the update (the same on every learner rank and after a resume); "
                                    "false: rollout order, which puts whole groups in one minibatch")
    micro_batch_tokens: int = cfg(16384, "token budget of one micro-batch (slices are packed up to it)")
    logprob_chunk_tokens: int = cfg(1024, "vocabulary projection only at policy tokens, this many rows at a "
                                    "time, recomputed in backward (0 = full logits at every position)")
    weight_sync_chunk_mb: int = cfg(512, "size of each chunk of named tensors sent to the engines")

    def check(self) -> str | None:
        return (at_least(self, "learner", 0, "logprob_chunk_tokens")
                or when(self.num_ranks < 1 or self.minibatches_per_rollout < 1 or self.micro_batch_tokens < 1,
                        "learner.num_ranks, minibatches_per_rollout and micro_batch_tokens must be >= 1")
                or above(self, "learner", 0, "lr"))


@dataclass(frozen=True)
class TrainConfig:
    tuples: str = cfg("data/tuples", "training tuples: a dataset folder")
    eval_tuples: str = cfg("", "held-out tuples for evaluation: a dataset folder (empty = none)")
    task_filter: list[str] = cfg([], "only tuples whose id or family is one of these or lies under one (dotted: notes.pin; empty = all)")
    eval_task_filter: list[str] = cfg([], "prefix filter applied to eval_tuples (empty = all of them)")
    steps: int = cfg(100, "training steps (rollout + update each)")
    mode: Literal["sync", "async"] = cfg("sync", "sync, or one-step off-policy: rollout n+1 overlaps update n")
    seed: int = cfg(0, "seed for sampling tuples, rollouts and initialisation")
    run_dir: str = cfg("runs/default", "where the run writes trajectories, checkpoints, metrics and plots")
    init_from: str = cfg("", "policy to start from instead of model.path (e.g. the SFT output; empty = model.path)")
    save_every: int = cfg(10, "checkpoint every N steps (0 = only at the end)")
    eval_every: int = cfg(0, "evaluate on eval_tuples every N steps (0 = never)")
    eval_group_size: int = cfg(4, "rollouts per held-out tuple in an evaluation")
    eval_temperature: float = cfg(-1.0, "sampling temperature of evaluations (< 0 = rollout.temperature)")
    keep_checkpoints: int = cfg(2, "checkpoints kept on disk (oldest are deleted)")
    sample_table_every: int = cfg(10, "log a table of sample trajectories with screenshots every N steps (0 = never)")
    progress_bar: bool = cfg(True, "show a progress bar of the steps on rank 0")
    max_logprob_gap: float = cfg(0.0, "stop the run when the learner's log-prob of a sampled token differs from "
                                 "the engine's by more than this on the same weights (0 = report only; CPU fp32 "
                                 "agrees to ~1e-6, bf16 GPU engines to ~1e-2)")

    def check(self) -> str | None:
        return (at_least(self, "train", 1, "steps")
                or at_least(self, "train", 0, "save_every", "eval_every", "sample_table_every", note=" (0 = off)")
                or when(self.max_logprob_gap < 0, f"train.max_logprob_gap must be >= 0 (0 = report only), "
                        f"got {self.max_logprob_gap}")
                or when(self.eval_group_size < 1 or self.keep_checkpoints < 1,
                        f"train.eval_group_size and train.keep_checkpoints must be >= 1, got "
                        f"{self.eval_group_size} and {self.keep_checkpoints}"))


@dataclass(frozen=True)
class SFTConfig:
    out_dir: str = cfg("runs/sft_policy", "where the warm-started policy is saved (a Hugging Face folder)")
    tuples: str = cfg("", "tuples whose golden UI trajectories are the targets (empty = train.tuples)")
    task_filter: list[str] = cfg([], "prefix filter on those tuples (empty = train.task_filter)")
    steps: int = cfg(60, "optimizer steps; few steps leave the warm start partial on purpose")
    lr: float = cfg(1e-3, "AdamW learning rate")
    weight_decay: float = cfg(0.0, "AdamW weight decay")
    batch_size: int = cfg(4, "training samples (trajectory slices) per optimizer step")
    grad_clip: float = cfg(1.0, "global gradient-norm clip")
    seed: int = cfg(0, "seed of the sample order")

    def check(self) -> str | None:
        if self.steps < 1 or self.batch_size < 1:
            return f"sft.steps and sft.batch_size must be >= 1, got {self.steps} and {self.batch_size}"
        if self.lr <= 0 or self.grad_clip <= 0:
            return f"sft.lr and sft.grad_clip must be > 0, got {self.lr} and {self.grad_clip}"
        return None


@dataclass(frozen=True)
class WandbConfig:
    project: str = cfg("cuagym", "W&B project")
    entity: str = cfg("", "W&B entity (team); empty = your default")
    mode: Literal["auto", "offline", "online", "disabled"] = cfg(
        "auto", "auto = online when logged in, offline otherwise")
    name: str = cfg("", "run name (empty = derived from the config file and time)")
    table_rows: int = cfg(4, "sample trajectories per W&B table")


@dataclass(frozen=True)
class ClusterConfig:
    nodes: int = cfg(1, "machines in the Ray cluster")
    gpus_per_node: int = cfg(0, "GPUs per machine (0 = CPU run)")
    gpu_memory_gb: float = cfg(80.0, "memory of one GPU in GiB (an '80 GB' A100/H100 has 80 GiB), for the memory estimate")
    usable_memory_fraction: float = cfg(
        0.95, "share of each GPU allocations may fill; the rest is CUDA context, NCCL buffers and fragmentation")
    learner_gpus: int = cfg(0, "GPUs given to the DeepSpeed learner (0 = learner.num_ranks; the rest go to engines)")
    colocate: bool = cfg(False, "learner and engines share GPUs (in sync mode engines sleep during the update)")
    runtime: Literal["local", "ray"] = cfg(
        "local", "local = learner and engine in this process (one rank, one HF engine); ray = learner ranks and "
                 "engines as Ray actors placed by the plan, weights synced over a collective group")
    cpus_per_node: int = cfg(0, "CPU cores per machine, to check the env-worker CPU budget (0 = not checked)")
    cpu_memory_gb: float = cfg(0.0, "host RAM per machine in GiB, to check offloaded optimizer states (0 = not checked)")
    model_arch: str = cfg(
        "auto", "architecture for the memory estimate: auto (model.path's config.json or a known hub id) "
                "or a name from cuagym.train.placement.ARCHITECTURES")
    max_context_tokens: int = cfg(
        0, "longest context a policy engine holds per sequence (0 = derived from the rollout settings)")
    join_timeout_s: float = cfg(600.0, "seconds the Ray head waits for all nodes to join before giving up")

    def check(self) -> str | None:
        return (when(self.nodes < 1 or self.gpus_per_node < 0 or self.learner_gpus < 0,
                     "cluster.nodes must be >= 1 and GPU counts >= 0")
                or when(self.learner_gpus > self.nodes * self.gpus_per_node,
                        f"cluster.learner_gpus ({self.learner_gpus}) exceeds the cluster's "
                        f"{self.nodes * self.gpus_per_node} GPUs")
                or above(self, "cluster", 0, "gpu_memory_gb")
                or fraction(self, "cluster", "usable_memory_fraction")
                or when(self.cpus_per_node < 0 or self.cpu_memory_gb < 0 or self.max_context_tokens < 0,
                        "cluster.cpus_per_node, cpu_memory_gb and max_context_tokens must be >= 0 (0 = not set)")
                or above(self, "cluster", 0, "join_timeout_s"))


@dataclass(frozen=True)
class Config:
    model: ModelConfig = field(default_factory=ModelConfig, metadata={"help": "the policy model"})
    hub: HubConfig = field(default_factory=HubConfig, metadata={"help": "environment apps"})
    rollout: RolloutConfig = field(default_factory=RolloutConfig, metadata={"help": "rollouts and engines"})
    gspo: GSPOConfig = field(default_factory=GSPOConfig, metadata={"help": "the GSPO objective"})
    learner: LearnerConfig = field(default_factory=LearnerConfig, metadata={"help": "the DeepSpeed learner"})
    train: TrainConfig = field(default_factory=TrainConfig, metadata={"help": "the training loop"})
    sft: SFTConfig = field(default_factory=SFTConfig, metadata={"help": "supervised warm start on golden UI trajectories"})
    wandb: WandbConfig = field(default_factory=WandbConfig, metadata={"help": "tracking"})
    cluster: ClusterConfig = field(default_factory=ClusterConfig, metadata={"help": "machines and GPUs"})

    # Sections that a command above the core adds by extending this class (``synth``:
    # ``cuagym.synth.config.SynthRunConfig``); named here only so that a config carrying one is
    # refused with the command that reads it.
    OTHER_SECTIONS: ClassVar[dict[str, str]] = {
        "synth": "read by `cuagym synth` only (cuagym.synth.config.load_synth_config)"}


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> Config:
    """Load a config file (or the defaults) and apply dotted overrides; raises ConfigError."""
    return load(Config, path, overrides)


__all__ = ["Config", "ConfigError", "load_config", "to_dict", "describe", "CONFIG_DIR"]
