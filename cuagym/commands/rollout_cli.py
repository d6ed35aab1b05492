"""``cuagym rollout``: roll a policy out on tuples and write scored trajectories.

    cuagym rollout --config configs/tiny.yaml --tuples data/tuples/notes --policy runs/tiny_policy \\
        --group-size 4 --out runs/rollout1 [--limit 3] [rollout.max_turns=6 ...]
    cuagym rollout --tuples data/tuples/notes --policy golden --out runs/golden     # replay golden actions
    cuagym rollout --tuples data/tuples --policy http://127.0.0.1:8000/v1 --out runs/eval  # a served model

``--policy`` is a checkpoint directory (engine from ``rollout.engine``: hf or vllm), ``golden``
(each tuple's golden UI trajectory, replayed through the same agent loop), or the URL of an
OpenAI-compatible server. The hub apps the tuples need start on loopback (or ``hub.urls`` names a
running hub); each tuple is rolled out ``--group-size`` times (one GSPO group) on the browser pool
that ``rollout.env_*`` describes, exactly as in training (:mod:`cuagym.rollout.setup`);
trajectories are written as they happen under ``OUT/trajectories``. At the end a per-app table and a JSON summary are printed
and the summary is written to ``OUT/summary.json``. View the run with ``cuagym view OUT``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from cuagym.commands.common import UsageError, check_overrides, command, load_run_config, parse_or_exit


# ---- reporting ------------------------------------------------------------------------------

def summarize(trajs: Sequence, seconds: float, policy: str) -> dict[str, Any]:
    """Totals and per-app metrics (apps of a multi-app tuple joined with '+', as in training)."""
    from cuagym.rollout.batch import by_app, summary_metrics

    total = summary_metrics(trajs)
    total["env_steps_per_s"] = total["env_steps"] / seconds if seconds > 0 else 0.0
    return {"policy": policy, "seconds": round(seconds, 2), "groups": len({t.group_id for t in trajs}),
            **total, "per_app": {a: summary_metrics(ts) for a, ts in by_app(trajs, failures=True).items()}}


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
    p.add_argument("--only", default="", help="comma-separated tuple ids or dotted families to keep (notes.pin keeps notes.pin.*)")
    p.add_argument("--served-model", default="", help="model name for a server URL (default: the first it lists)")
    p.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the server's API key")
    p.add_argument("--tokenizer", default="", help="tokenizer directory for golden/URL policies (default: the "
                   "built-in Qwen-style tokenizer)")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    return p


def _check_args(args: argparse.Namespace) -> None:
    check_overrides(args.overrides, "rollout.max_turns=6")
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
    overrides = list(args.overrides)
    if args.group_size is not None:
        overrides.append(f"rollout.group_size={args.group_size}")
    from cuagym.rollout.setup import policy_kind

    if args.policy and policy_kind(args.policy) == "url":
        overrides.append("rollout.engine=openai")
    if args.config and not Path(args.config).is_file():
        raise UsageError(f"--config {args.config}: no such file")
    return load_run_config(args, overrides)


def run(args: argparse.Namespace) -> int:
    from cuagym.config import to_dict
    from cuagym.data.sandbox import sandbox_available
    from cuagym.hub.core.registry import app_names
    from cuagym.rollout.batch import rollout_batch
    from cuagym.rollout.engines.openai_compat import OpenAIEngineError
    from cuagym.rollout.engines.vllm_engine import VLLMUnavailable
    from cuagym.rollout.setup import SetupError, apps_of, environment, load_tuples, loop_config, policy_side

    _check_args(args)
    cfg = _load_config(args)
    args.policy = args.policy or cfg.model.path
    prefixes = [p for p in args.only.split(",") if p]
    try:
        tuples = load_tuples(args.tuples or cfg.train.tuples, prefixes, limit=args.limit)
    except SetupError as e:
        raise UsageError(f"--tuples: {e}" + (f" (--only {args.only})" if args.only else "")) from None
    needed = apps_of(tuples)
    unknown = [a for a in needed if a not in app_names() and a not in cfg.hub.urls]  # hub.urls may serve others
    if unknown:
        raise UsageError(f"tuples need app(s) the hub does not have: {', '.join(unknown)}; "
                         f"hub apps: {', '.join(app_names())}")
    problem = sandbox_available()
    if problem:
        print(f"cuagym rollout: tuple scripts need the sandbox: {problem}", file=sys.stderr)
        return 2
    if args.policy == "golden":
        missing = [t.id for t in tuples if t.golden_actions() is None]
        if missing:
            print(f"cuagym rollout: {len(missing)} tuple(s) have no golden_actions.json and will fail: "
                  f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}", file=sys.stderr)
    try:
        side = policy_side(cfg, args.policy, tuples, tokenizer_dir=args.tokenizer, served_model=args.served_model,
                           api_key=os.environ.get(args.api_key_env, "") if args.api_key_env else "")
    except (SetupError, VLLMUnavailable) as e:
        raise UsageError(str(e)) from None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps({"policy": args.policy, "tuples": [t.id for t in tuples],
                                                 "config": to_dict(cfg)}, indent=1, default=str))
    import torch

    torch.manual_seed(cfg.train.seed)
    t0 = time.monotonic()
    done: list = []
    tty = sys.stderr.isatty()

    def progress(k: int, trajs: list) -> None:
        done.extend(trajs)
        scored = [x for x in done if x.termination != "env_failure"]
        rate = sum(x.reward == 1.0 for x in scored) / max(len(scored), 1)
        steps = sum(len(x.steps) for x in done)
        rewards = ",".join("env" if x.reward is None else f"{x.reward:g}" for x in trajs)
        line = (f"[{len(done) // cfg.rollout.group_size}/{len(tuples)} groups] {tuples[k].id}: rewards {rewards} | "
                f"success so far {rate:.2f} | env steps/s {steps / max(time.monotonic() - t0, 1e-9):.2f}")
        print(("\r" + line) if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True)

    failure = ""
    with environment(cfg, needed) as pool:
        try:
            rollout_batch(tuples, cfg.rollout.group_size, pool, side.engine, side.builder, side.tokenizer,
                          loop_config(cfg.rollout), out, on_group=progress)
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


@command("cuagym rollout")
def main(argv: list[str] | None = None) -> int:
    args = parse_or_exit(parser(), argv, intermixed=True)
    try:
        return run(args)
    except (ImportError, ValueError) as e:  # ValueError: engine construction refused the config (e.g. no vllm)
        raise UsageError(str(e)) from e
    except RuntimeError as e:
        raise UsageError(f"{type(e).__name__}: {e}", status=1) from e


if __name__ == "__main__":
    sys.exit(main())
