"""``cuagym rollout``: roll a policy out on tuples and write scored trajectories.

    cuagym rollout --config configs/tiny.yaml --tuples data/tuples/notes --policy runs/tiny_policy \\
        --group-size 4 --out runs/rollout1 [--limit 3] [rollout.max_turns=6 ...]
    cuagym rollout --tuples data/tuples/notes --policy golden --out runs/golden     # replay golden actions
    cuagym rollout --tuples data/tuples --policy http://127.0.0.1:8000/v1 --out runs/eval  # a served model

``--policy`` is a checkpoint directory (engine from ``rollout.engine``: hf or vllm), ``golden``
(each tuple's golden UI trajectory, replayed through the same agent loop), or the URL of an
OpenAI-compatible server. The hub apps the tuples need start on loopback; each tuple is rolled
out ``--group-size`` times in lockstep (one GSPO group) in Chromium; trajectories are written as
they happen under ``OUT/trajectories``. At the end a per-app table and a JSON summary are printed
and the summary is written to ``OUT/summary.json``. View the run with ``cuagym view OUT``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Sequence

# A group runner rolls one tuple out G times and returns its scored trajectories. The in-process
# runner below drives EpisodeSlots in one Chromium; a Ray pool of env workers plugs in here.
GroupRunner = Callable[[Any, str], list]


class UsageError(Exception):
    """Bad flags, paths or inputs: printed with what was expected, exit code 2."""


# ---- inputs ---------------------------------------------------------------------------------

def load_tuples(root: str, only: str = "", limit: int = 0) -> list:
    from cuagym.data.format import TupleError, load_tuple
    from cuagym.data.validate import iter_tuple_dirs

    path = Path(root)
    if not path.exists():
        raise UsageError(f"--tuples {root}: no such directory (expected a tuple folder or a folder of tuples)")
    dirs = list(iter_tuple_dirs(path))
    if only:
        prefixes = [p for p in only.split(",") if p]
        dirs = [d for d in dirs if any(d.name.startswith(p) for p in prefixes)]
    if limit:
        dirs = dirs[:limit]
    if not dirs:
        raise UsageError(f"--tuples {root}: no tuples (folders with task_config.json)"
                         + (f" matching --only {only}" if only else ""))
    tuples = []
    for d in dirs:
        try:
            tuples.append(load_tuple(d))
        except TupleError as e:
            raise UsageError(f"tuple {d} is invalid: {e}") from None
    return tuples


def policy_kind(policy: str) -> str:
    from cuagym.rollout.engines import is_url

    return "golden" if policy == "golden" else ("url" if is_url(policy) else "path")


def load_local_tokenizer(path: str) -> Any:
    if not path:
        from cuagym.modeling.tokenizer import build_tokenizer

        return build_tokenizer()
    from transformers import AutoTokenizer

    if not Path(path).is_dir():
        raise UsageError(f"--tokenizer {path}: no such directory (expected a checkpoint with tokenizer files)")
    return AutoTokenizer.from_pretrained(path, local_files_only=True)


def build_policy_side(cfg: Any, args: argparse.Namespace, tuples: list) -> tuple[Any, Any, Any, Any]:
    """(engine, tokenizer, image processor, chat builder needed?) for --policy."""
    from cuagym.modeling.processor import build_image_processor
    from cuagym.rollout.engines import loop_frame, make_engine

    r = cfg.rollout
    kind = policy_kind(args.policy)
    if kind == "golden":
        from cuagym.rollout.scripted import GoldenEngine

        tok = load_local_tokenizer(args.tokenizer)
        missing = [t.id for t in tuples if t.golden_actions() is None]
        if missing:
            print(f"cuagym rollout: {len(missing)} tuple(s) have no golden_actions.json and will fail: "
                  f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}", file=sys.stderr)
        engine = GoldenEngine(tuples, tok, loop_frame(r.coordinate_frame))
        return engine, tok, build_image_processor(max_pixels=r.image_width * r.image_height), False
    if kind == "url":
        tok = load_local_tokenizer(args.tokenizer)
        api_key = os.environ.get(args.api_key_env, "") if args.api_key_env else ""
        engine = make_engine(cfg, tokenizer=tok, base_url=args.policy, model_name=args.served_model, api_key=api_key)
        return engine, tok, build_image_processor(max_pixels=r.image_width * r.image_height), True
    from cuagym.modeling import load_policy
    from cuagym.modeling.tiny import build_tiny_policy

    path = Path(args.policy)
    if not path.exists():
        if not cfg.model.build_tiny_if_missing:
            raise UsageError(f"--policy {args.policy}: no such checkpoint directory; build the tiny policy with "
                             f"'cuagym model build-tiny {args.policy}', or pass 'golden' or a server URL")
        print(f"cuagym rollout: building the tiny random-weight policy at {path} (model.build_tiny_if_missing)",
              file=sys.stderr)
        build_tiny_policy(path, seed=cfg.train.seed, image_size=(r.image_width, r.image_height))
    try:
        policy = load_policy(path, dtype=cfg.model.dtype, attn_implementation=cfg.model.attn_implementation)
    except (FileNotFoundError, ValueError, OSError) as e:
        raise UsageError(f"--policy {args.policy}: {e}") from None
    engine = make_engine(cfg, policy=policy)
    return engine, policy.tokenizer, policy.processor.image_processor, r.engine == "vllm"


def loop_parts(r: Any, tok: Any, improc: Any, wants_chat: bool) -> tuple[Any, Any]:
    """The scaffold's context builder (chat-carrying for chat engines) and the agent loop's settings."""
    from cuagym.rollout.agent_loop import LoopConfig
    from cuagym.rollout.engines import loop_frame
    from cuagym.rollout.engines.base import SamplingParams
    from cuagym.rollout.engines.openai_compat import ChatContextBuilder
    from cuagym.scaffold.context import ContextBuilder
    from cuagym.scaffold.prompt import system_prompt

    builder_cls = ChatContextBuilder if wants_chat else ContextBuilder
    builder = builder_cls(tok, improc, system=system_prompt(r.coordinate_frame, (r.image_width, r.image_height),
                                                            r.max_actions_per_turn),
                          image_max=r.image_max, fold_size=r.fold_size)
    loop_cfg = LoopConfig(max_turns=r.max_turns, max_actions_per_turn=r.max_actions_per_turn,
                          frame=loop_frame(r.coordinate_frame), episode_timeout_s=r.episode_timeout_s,
                          sampling=SamplingParams(r.temperature, r.top_p, r.max_new_tokens))
    return builder, loop_cfg


# ---- running --------------------------------------------------------------------------------

class InProcessEnvs:
    """G episode slots in one Chromium of this process, against a running hub."""

    def __init__(self, hub_urls: dict[str, str], admin_token: str, group_size: int, viewport: tuple[int, int]) -> None:
        self.hub_urls, self.admin_token = hub_urls, admin_token
        self.group_size, self.viewport = group_size, viewport
        self._pw: Any = None
        self.browser: Any = None
        self.slots: list = []

    def __enter__(self) -> "InProcessEnvs":
        from playwright.sync_api import sync_playwright

        from cuagym.browser import launch_kwargs
        from cuagym.rollout.slot import EpisodeSlot

        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(**launch_kwargs())
        self.slots = [EpisodeSlot(self.browser, self.hub_urls, self.admin_token, viewport=self.viewport)
                      for _ in range(self.group_size)]
        return self

    def __exit__(self, *exc: Any) -> None:
        for s in self.slots:
            s.close_context()
        if self.browser is not None:
            self.browser.close()
        if self._pw is not None:
            self._pw.stop()

    def runner(self, engine: Any, builder: Any, tokenizer: Any, loop_cfg: Any, run_dir: Path) -> GroupRunner:
        from cuagym.rollout.agent_loop import rollout_group

        def run(t: Any, group_id: str) -> list:
            return rollout_group(t, self.slots, engine, builder, tokenizer, loop_cfg, run_dir=run_dir,
                                 group_id=group_id)
        return run


def run_rollouts(tuples: Sequence, run_group: GroupRunner,
                 on_group: Callable[[int, Any, list], None] | None = None) -> list:
    """Roll every tuple out as one group, in order; ``on_group(k, tuple, trajectories)`` after each."""
    out: list = []
    for k, t in enumerate(tuples):
        trajs = run_group(t, f"{t.id}-g{k}")
        out.extend(trajs)
        if on_group:
            on_group(k, t, trajs)
    return out


# ---- reporting ------------------------------------------------------------------------------

def _metrics(trajs: Sequence) -> dict[str, float]:
    from cuagym.rollout.agent_loop import group_metrics

    m = {k.split("/", 1)[1]: v for k, v in group_metrics(trajs).items()}
    ok = [t for t in trajs if t.termination != "env_failure"]
    m["invalid_calls"] = float(sum(t.num_invalid for t in ok))
    m["env_steps"] = float(sum(len(t.steps) for t in trajs))
    return m


def summarize(trajs: Sequence, seconds: float, policy: str) -> dict[str, Any]:
    """Totals and per-app metrics (a multi-app tuple counts under each of its apps)."""
    apps = sorted({a for t in trajs for a in t.apps})
    total = _metrics(trajs)
    total["env_steps_per_s"] = total["env_steps"] / seconds if seconds > 0 else 0.0
    return {"policy": policy, "seconds": round(seconds, 2), "groups": len({t.group_id for t in trajs}),
            **total, "per_app": {a: _metrics([t for t in trajs if a in t.apps]) for a in apps}}


def format_table(summary: dict[str, Any]) -> str:
    cols = [("trajectories", "trajs", "{:.0f}"), ("success_rate", "success", "{:.2f}"),
            ("reward_mean", "reward", "{:.2f}"), ("steps_per_trajectory", "steps", "{:.2f}"),
            ("actions_per_step", "act/step", "{:.2f}"), ("invalid_calls", "invalid", "{:.0f}"),
            ("env_failures", "env_fail", "{:.0f}")]
    lines = [f"{'app':<12}" + "".join(f"{h:>10}" for _, h, _ in cols)]
    rows = list(summary["per_app"].items()) + [("all", summary)]
    for name, m in rows:
        cells = [(fmt.format(m[k]) if k in m else "-") for k, _, fmt in cols]
        lines.append(f"{name:<12}" + "".join(f"{c:>10}" for c in cells))
    return "\n".join(lines)


# ---- command --------------------------------------------------------------------------------

def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cuagym rollout", description="Roll a policy out on tuples in Chromium and "
                                "write scored trajectories.", epilog="Extra KEY=VALUE arguments override the config "
                                "(e.g. rollout.max_turns=6); 'cuagym config keys' lists them.")
    p.add_argument("--config", default=None, help="YAML config (default: built-in defaults)")
    p.add_argument("--tuples", default=None, help="a tuple folder or a folder of tuples (default: train.tuples)")
    p.add_argument("--policy", default=None, help="checkpoint directory, 'golden', or an OpenAI-compatible server "
                   "URL (default: model.path)")
    p.add_argument("--group-size", type=int, default=None, help="rollouts per tuple (default: rollout.group_size)")
    p.add_argument("--out", required=True, help="run directory to write trajectories and summary.json into")
    p.add_argument("--limit", type=int, default=0, help="roll out only the first N tuples")
    p.add_argument("--only", default="", help="comma-separated tuple id prefixes to keep")
    p.add_argument("--served-model", default="", help="model name for a server URL (default: the first it lists)")
    p.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the server's API key")
    p.add_argument("--tokenizer", default="", help="tokenizer directory for golden/URL policies (default: the "
                   "built-in Qwen-style tokenizer)")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    return p


def _check_args(args: argparse.Namespace) -> None:
    bad = [o for o in args.overrides if "=" not in o]
    if bad:
        raise UsageError(f"unexpected argument(s) {', '.join(bad)}: config overrides look like rollout.max_turns=6")
    if args.group_size is not None and args.group_size < 1:
        raise UsageError(f"--group-size must be >= 1, got {args.group_size}")
    if args.limit < 0:
        raise UsageError(f"--limit must be >= 0, got {args.limit}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory")
    if (out / "trajectories").is_dir() and any((out / "trajectories").iterdir()):
        raise UsageError(f"--out {out} already holds trajectories; choose a new run directory")


def _load_config(args: argparse.Namespace) -> Any:
    from cuagym.config import ConfigError, load_config

    overrides = list(args.overrides)
    if args.group_size is not None:
        overrides.append(f"rollout.group_size={args.group_size}")
    if args.policy and policy_kind(args.policy) == "url":
        overrides.append("rollout.engine=openai")
    if args.config and not Path(args.config).is_file():
        raise UsageError(f"--config {args.config}: no such file")
    try:
        cfg = load_config(args.config, overrides)
    except ConfigError as e:
        raise UsageError(str(e)) from None
    return cfg


def run(args: argparse.Namespace) -> int:
    from cuagym.config import to_dict
    from cuagym.data.sandbox import sandbox_available
    from cuagym.hub.core.registry import app_names
    from cuagym.rollout.engines.openai_compat import OpenAIEngineError
    from cuagym.rollout.engines.vllm_engine import VLLMUnavailable

    _check_args(args)
    cfg = _load_config(args)
    args.policy = args.policy or cfg.model.path
    tuples = load_tuples(args.tuples or cfg.train.tuples, args.only, args.limit)
    needed = sorted({a for t in tuples for a in t.apps})
    unknown = [a for a in needed if a not in app_names()]
    if unknown:
        raise UsageError(f"tuples need app(s) the hub does not have: {', '.join(unknown)}; "
                         f"hub apps: {', '.join(app_names())}")
    problem = sandbox_available()
    if problem:
        print(f"cuagym rollout: tuple scripts need the sandbox: {problem}", file=sys.stderr)
        return 2
    r = cfg.rollout
    if policy_kind(args.policy) == "path":
        cfg = replace(cfg, model=replace(cfg.model, path=args.policy))
    try:
        engine, tok, improc, wants_chat = build_policy_side(cfg, args, tuples)
    except VLLMUnavailable as e:
        raise UsageError(str(e)) from None
    builder, loop_cfg = loop_parts(r, tok, improc, wants_chat)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps({"policy": args.policy, "tuples": [t.id for t in tuples],
                                                 "config": to_dict(cfg)}, indent=1, default=str))
    import torch

    torch.manual_seed(cfg.train.seed)
    t0 = time.monotonic()
    done: list = []
    tty = sys.stderr.isatty()

    def progress(k: int, t: Any, trajs: list) -> None:
        done.extend(trajs)
        scored = [x for x in done if x.termination != "env_failure"]
        rate = sum(x.reward == 1.0 for x in scored) / max(len(scored), 1)
        steps = sum(len(x.steps) for x in done)
        rewards = ",".join("env" if x.reward is None else f"{x.reward:g}" for x in trajs)
        line = (f"[{k + 1}/{len(tuples)} groups] {t.id}: rewards {rewards} | success so far {rate:.2f} | "
                f"env steps/s {steps / max(time.monotonic() - t0, 1e-9):.2f}")
        print(("\r" + line) if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True)

    failure = ""
    hub_ctx = _hub(cfg, needed)
    with hub_ctx as (urls, token):
        with InProcessEnvs(urls, token, r.group_size, (r.screen_width, r.screen_height)) as envs:
            try:
                run_rollouts(tuples, envs.runner(engine, builder, tok, loop_cfg, out), progress)
            except OpenAIEngineError as e:
                failure = f"policy server failed: {e}"
    if tty:
        print(file=sys.stderr)
    summary = summarize(done, time.monotonic() - t0, args.policy)
    if failure:
        summary["error"] = failure
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(format_table(summary))
    print(json.dumps(summary, indent=2))
    if failure:
        print(f"cuagym rollout: {failure}; trajectories of finished groups are in {out}", file=sys.stderr)
        return 1
    return 1 if done and all(t.termination == "env_failure" for t in done) else 0


class _hub:
    """The hub to roll out against: the one ``hub.urls`` names, else one started for these apps."""

    def __init__(self, cfg: Any, apps: list[str]) -> None:
        self.cfg, self.apps = cfg, apps
        self.proc: Any = None

    def __enter__(self) -> tuple[dict[str, str], str]:
        if self.cfg.hub.urls:
            token = os.environ.get("CUA_GYM_ADMIN_TOKEN", "")
            missing = [a for a in self.apps if a not in self.cfg.hub.urls]
            if missing or not token:
                raise UsageError("hub.urls must name every app the tuples need (missing: "
                                 f"{', '.join(missing) or 'none'}) and CUA_GYM_ADMIN_TOKEN must hold its admin token")
            return dict(self.cfg.hub.urls), token
        from cuagym.hub.launcher import HubProcess

        self.proc = HubProcess(self.apps, hardened=self.cfg.hub.hardened, host=self.cfg.hub.host).start()
        return self.proc.urls, self.proc.admin_token

    def __exit__(self, *exc: Any) -> None:
        if self.proc is not None:
            self.proc.stop()


def main(argv: list[str] | None = None) -> int:
    p = parser()
    try:
        args = p.parse_intermixed_args(argv)
    except SystemExit as e:  # argparse already printed the usage and the problem
        return int(e.code or 0)
    try:
        return run(args)
    except UsageError as e:
        print(f"cuagym rollout: {e}", file=sys.stderr)
        return 2
    except ImportError as e:
        print(f"cuagym rollout: {e}", file=sys.stderr)
        return 2
    except ValueError as e:  # engine construction refused the config (e.g. vllm without vllm)
        print(f"cuagym rollout: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        print(f"cuagym rollout: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
