"""From a :class:`~cuagym.config.Config` to a rollout: tuples, hub, browser pool, engine, scaffold, loop.

Training, evaluation, the supervised warm start, ``cuagym rollout`` and the synthesis teacher
all build their rollouts here, so they see the same prompts, screenshots, coordinate frames
and tuple filters::

    tuples = load_tuples("data/tuples", ["notes.pin"])
    side = policy_side(cfg, "runs/tiny_policy", tuples)        # engine + tokenizer + builder
    with environment(cfg, apps_of(tuples)) as pool:
        groups = rollout_batch(tuples, G, pool, side.engine, side.builder, side.tokenizer, loop_config(cfg.rollout))
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from cuagym.config import Config, RolloutConfig
from cuagym.data.format import TaskTuple
from cuagym.rollout.agent_loop import LoopConfig
from cuagym.rollout.engines.base import PolicyEngine, SamplingParams
from cuagym.scaffold.context import IMAGE_PAD, VISION_END, VISION_START, ContextBuilder
from cuagym.scaffold.prompt import system_prompt

ENGINES = ("hf", "vllm", "openai")


class SetupError(ValueError):
    """The config, a path or a flag cannot be turned into a rollout; the message says what to change."""


# ------------------------------------------------------------------------------ tuples
def load_tuples(root: str | Path, prefixes: Sequence[str] = (), *, limit: int = 0) -> list[TaskTuple]:
    """Tuples under ``root`` (a tuple folder or a dataset folder) whose id or family is one of the
    dotted ``prefixes`` or lies under one (all when empty); the first ``limit`` when > 0."""
    from cuagym.data.dataset import Dataset
    from cuagym.data.format import TupleError

    if not Path(root).is_dir():
        raise SetupError(f"tuples {root}: no such directory (expected a tuple folder or a folder of tuples)")
    ds = Dataset(root, prefixes=list(prefixes))
    try:
        tuples = []
        for t in ds:
            tuples.append(t)
            if limit and len(tuples) >= limit:
                break
    except TupleError as e:
        raise SetupError(f"tuples {root}: {e}") from None
    if not tuples:
        raise SetupError(f"no tuples under {root} match the filter {list(prefixes) or '(none)'}; "
                         "expected at least one tuple folder with task_config.json")
    return tuples


def apps_of(tuples: Sequence[TaskTuple]) -> list[str]:
    return sorted({a for t in tuples for a in t.apps})


# ---------------------------------------------------------------------- scaffold, loop
def loop_frame(coordinate_frame: str) -> str:
    """``rollout.coordinate_frame`` -> the action frame the parser uses ("absolute" means screenshot pixels)."""
    return "image" if coordinate_frame == "absolute" else coordinate_frame


def make_builder(tokenizer: Any, image_processor: Any, rc: RolloutConfig, *, chat: bool = False) -> ContextBuilder:
    """The scaffold's context builder under the rollout config's prompt and fold rule; ``chat``
    also carries each prompt as a conversation (for engines that take chats: OpenAI, vLLM)."""
    from cuagym.rollout.engines.openai_compat import ChatContextBuilder

    cls = ChatContextBuilder if chat else ContextBuilder
    return cls(tokenizer, image_processor,
               system=system_prompt(rc.coordinate_frame, (rc.image_width, rc.image_height), rc.max_actions_per_turn),
               image_max=rc.image_max, fold_size=rc.fold_size)


def loop_config(rc: RolloutConfig, temperature: float | None = None, *, seed: int = 0) -> LoopConfig:
    """The agent loop's settings (``temperature`` >= 0 overrides the rollout temperature; ``seed`` seeds
    every request when ``rollout.seed_requests``)."""
    t = rc.temperature if temperature is None or temperature < 0 else temperature
    return LoopConfig(max_turns=rc.max_turns, max_actions_per_turn=rc.max_actions_per_turn,
                      frame=loop_frame(rc.coordinate_frame), episode_timeout_s=rc.episode_timeout_s,
                      sampling=SamplingParams(temperature=t, top_p=rc.top_p, max_new_tokens=rc.max_new_tokens),
                      image_size=(rc.image_width, rc.image_height), seed=seed if rc.seed_requests else None)


# ------------------------------------------------------------------------------ engines
def is_url(text: str) -> bool:
    return bool(re.match(r"^https?://", str(text)))


def end_of_turn_ids(tokenizer: Any) -> list[int]:
    ids = tokenizer.encode("<|im_end|>", add_special_tokens=False)
    if len(ids) != 1:
        raise SetupError(f"the tokenizer must encode <|im_end|> as one token, got {ids}")
    return ids


# The scaffold's image markers, and the video placeholder of the same vocabulary.
VISION_TOKENS = (VISION_START, VISION_END, IMAGE_PAD, "<|video_pad|>")


def vision_token_ids(tokenizer: Any) -> list[int]:
    """Ids of the tokens that mark image positions: a policy must never generate them (the model
    matches image features to ``<|image_pad|>`` positions, so a sampled one breaks every later
    turn's forward)."""
    ids = []
    for t in VISION_TOKENS:
        enc = tokenizer.encode(t, add_special_tokens=False)
        if len(enc) == 1:
            ids.append(int(enc[0]))
    return ids


def make_engine(cfg: Config, *, policy: Any = None, tokenizer: Any = None, base_url: str | None = None,
                model_name: str = "", **options: Any) -> PolicyEngine:
    """The policy engine ``cfg.rollout.engine`` names, in this process.

    hf:     needs ``policy`` (a loaded :class:`cuagym.modeling.Policy`).
    vllm:   loads ``cfg.model.path`` in vLLM (GPU extra); needs ``tokenizer`` or ``policy``.
    openai: talks to ``base_url`` (default: ``cfg.model.path`` when it is a URL); needs ``tokenizer``
            (the local one that turns replies into token ids); ``model_name`` empty = ask the server.
    ``options`` go to the engine's constructor (vLLM) or its config (OpenAI).
    """
    kind = cfg.rollout.engine
    if kind not in ENGINES:
        raise SetupError(f"unknown rollout.engine {kind!r}; expected one of {', '.join(ENGINES)}")
    tok = tokenizer if tokenizer is not None else getattr(policy, "tokenizer", None)
    if kind == "hf":
        if policy is None:
            raise SetupError("rollout.engine=hf needs a loaded policy (model + tokenizer): pass policy=load_policy(...)")
        from cuagym.rollout.engines.hf import HFEngine

        return HFEngine(policy.model, eos_token_ids=end_of_turn_ids(policy.tokenizer),
                        pad_token_id=policy.tokenizer.pad_token_id, never_generate=vision_token_ids(policy.tokenizer))
    if kind == "vllm":
        from cuagym.rollout.engines.vllm_engine import VLLMEngine, VLLMUnavailable, vllm_missing_reason

        reason = vllm_missing_reason()
        if reason:
            raise VLLMUnavailable(reason)
        if tok is None:
            raise SetupError("rollout.engine=vllm needs the policy's tokenizer (for the end-of-turn token id)")
        r = cfg.rollout
        return VLLMEngine(cfg.model.path, eos_token_ids=end_of_turn_ids(tok), tensor_parallel_size=r.engine_tp_size,
                          enable_expert_parallel=r.engine_ep_size > 1, gpu_memory_utilization=r.gpu_memory_utilization,
                          dtype=cfg.model.dtype, enable_sleep_mode=cfg.cluster.colocate, seed=cfg.train.seed,
                          max_images=r.image_max, never_generate=vision_token_ids(tok), **options)
    from cuagym.rollout.engines.openai_compat import OpenAIEngine, OpenAIEngineConfig

    url = base_url or (cfg.model.path if is_url(cfg.model.path) else "")
    if not url:
        raise SetupError(f"rollout.engine=openai needs the server's URL (e.g. http://127.0.0.1:8000/v1) as base_url "
                         f"or model.path; model.path is {cfg.model.path!r}")
    if tok is None:
        raise SetupError("rollout.engine=openai needs a local tokenizer to record replies as token ids")
    return OpenAIEngine(OpenAIEngineConfig(base_url=url, model=model_name,
                                           frame=loop_frame(cfg.rollout.coordinate_frame), **options), tok)


@dataclass
class PolicySide:
    """What the agent loop needs from a policy: the engine, its tokenizer and the context builder."""

    engine: Any
    tokenizer: Any
    builder: ContextBuilder
    kind: str               # "golden", "url" or "path"
    policy: Any = None      # the loaded policy (path kind with the hf engine)


def policy_kind(spec: str) -> str:
    return "golden" if spec == "golden" else ("url" if is_url(spec) else "path")


def local_tokenizer(path: str = "") -> Any:
    """The tokenizer saved in ``path``, or the built-in Qwen-style one when empty."""
    if not path:
        from cuagym.modeling.tokenizer import build_tokenizer

        return build_tokenizer()
    from transformers import AutoTokenizer

    if not Path(path).is_dir():
        raise SetupError(f"tokenizer {path}: no such directory (expected a checkpoint with tokenizer files)")
    return AutoTokenizer.from_pretrained(path, local_files_only=True)


def policy_side(cfg: Config, spec: str, tuples: Sequence[TaskTuple] = (), *, tokenizer_dir: str = "",
                served_model: str = "", api_key: str = "") -> PolicySide:
    """The engine for a policy spec: ``golden`` (each tuple's golden UI trajectory, replayed), the URL
    of an OpenAI-compatible server, or a checkpoint folder (engine from ``rollout.engine``)."""
    from cuagym.modeling.processor import build_image_processor

    rc = cfg.rollout
    kind = policy_kind(spec)
    if kind == "golden":
        from cuagym.rollout.scripted import GoldenEngine

        tok = local_tokenizer(tokenizer_dir)
        improc = build_image_processor(max_pixels=rc.image_width * rc.image_height)
        engine = GoldenEngine(list(tuples), tok, loop_frame(rc.coordinate_frame), image_size=(rc.image_width,
                                                                                                 rc.image_height))
        return PolicySide(engine, tok,
                          make_builder(tok, improc, rc), kind)
    if kind == "url":
        import dataclasses

        tok = local_tokenizer(tokenizer_dir)
        improc = build_image_processor(max_pixels=rc.image_width * rc.image_height)
        cfg = dataclasses.replace(cfg, rollout=dataclasses.replace(rc, engine="openai"))
        engine = make_engine(cfg, tokenizer=tok, base_url=spec, model_name=served_model, api_key=api_key)
        return PolicySide(engine, tok, make_builder(tok, improc, rc, chat=True), kind)
    from cuagym.modeling import load_policy
    from cuagym.modeling.tiny import build_tiny_policy

    path = Path(spec)
    if not path.exists():
        if not cfg.model.build_tiny_if_missing:
            raise SetupError(f"policy {spec}: no such checkpoint directory; build the tiny policy with "
                             f"'cuagym model build-tiny {spec}', or pass 'golden' or a server URL")
        build_tiny_policy(path, seed=cfg.train.seed, image_size=(rc.image_width, rc.image_height))
    try:
        policy = load_policy(path, dtype=cfg.model.dtype, attn_implementation=cfg.model.attn_implementation)
    except (FileNotFoundError, ValueError, OSError) as e:
        raise SetupError(f"policy {spec}: {e}") from None
    import dataclasses

    cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, path=str(path)))
    engine = make_engine(cfg, policy=policy)
    return PolicySide(engine, policy.tokenizer, make_builder(policy.tokenizer, policy.processor.image_processor, rc,
                                                             chat=rc.engine == "vllm"), kind, policy)


# -------------------------------------------------------------------------- environment
@contextlib.contextmanager
def hub_endpoints(cfg: Config, apps: Sequence[str]) -> Iterator[tuple[dict[str, str], str]]:
    """(app -> URL, admin token) of the hub serving ``apps``: the running one ``hub.urls`` names
    (its token in ``CUA_GYM_ADMIN_TOKEN``), else one started here for the duration."""
    apps = sorted(set(apps))
    if cfg.hub.urls:
        missing = [a for a in apps if a not in cfg.hub.urls]
        if missing:
            raise SetupError(f"hub.urls has no URL for {missing}; the tuples need apps {apps}")
        from cuagym.hub.client import HARDENED, protocol_of, with_protocols

        urls = with_protocols(dict(cfg.hub.urls), cfg.hub.protocol)  # legacy apps: legacy+http://...
        token = os.environ.get("CUA_GYM_ADMIN_TOKEN", "")
        hardened = [a for a in apps if protocol_of(urls[a]) == HARDENED]
        if cfg.hub.hardened and hardened and not token:
            raise SetupError(f"hub.urls points at a running hardened hub ({', '.join(hardened)}): set "
                             "CUA_GYM_ADMIN_TOKEN to its admin token, or hub.protocol.APP=legacy for a legacy hub")
        yield urls, token
        return
    from cuagym.hub.launcher import HubProcess

    with HubProcess(apps, hardened=cfg.hub.hardened, host=cfg.hub.host) as hub:
        yield hub.urls, hub.admin_token


def ensure_ray(num_cpus: float | None = None) -> contextlib.AbstractContextManager:
    """Connect to the cluster ``RAY_ADDRESS`` names (it refuses resource options), or start a local
    Ray instance unless one is connected; a local one declares at least ``num_cpus`` CPUs (a bundle
    reserves CPUs, it does not pin cores, so a plan larger than this machine's core count still
    runs). The returned context shuts down only what it started."""
    import ray

    stack = contextlib.ExitStack()
    if not ray.is_initialized():
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        if os.environ.get("RAY_ADDRESS"):
            ray.init(address=os.environ["RAY_ADDRESS"], log_to_driver=False)
        else:
            cpus = max(float(os.cpu_count() or 1), float(num_cpus or 0))
            # address="local": a new instance, never another user's cluster running on this machine.
            ray.init(address="local", num_cpus=int(-(-cpus // 1)), include_dashboard=False,
                     object_store_memory=1 << 30, log_to_driver=False)
        stack.callback(ray.shutdown)
    return stack


@contextlib.contextmanager
def environment(cfg: Config, apps: Sequence[str], *, slots: int | None = None,
                endpoints: tuple[dict[str, str], str] | None = None, **pool_options: Any) -> Iterator[Any]:
    """A browser pool (:class:`~cuagym.rollout.pool.EnvPool`, as ``rollout.env_*`` describes it) on the hub
    serving ``apps``; ``endpoints`` = (urls, admin token) of a hub the caller already runs.
    ``slots`` overrides ``rollout.slots_per_worker``; ``pool_options`` go to the pool."""
    from cuagym.rollout.pool import EnvPool

    with contextlib.ExitStack() as stack:
        urls, token = endpoints if endpoints is not None else stack.enter_context(hub_endpoints(cfg, apps))
        if cfg.rollout.env_mode == "ray":
            stack.enter_context(ensure_ray())
        if slots:
            pool_options["slots_per_worker"] = slots
        yield stack.enter_context(EnvPool.from_config(cfg.rollout, urls, token, **pool_options))
