"""``cuagym synth``: synthesise new tuples with an LLM (Generator / Discriminator / Orchestrator,
then the majority vote and teacher rollouts).

    cuagym synth --apps mail,calendar --n 50 --out data/synth1 \\
        --llm-url http://127.0.0.1:8000/v1 --model Qwen/Qwen3-32B \\
        [--teacher http://127.0.0.1:8001/v1] [--config configs/synth.yaml] [synth.max_rounds=5 ...]

Starts the hub apps on loopback (or uses ``hub.urls``), proposes ``--n`` tasks spread over the
apps, runs every task's rounds in the sandbox (``synth.llm.concurrency`` at once), assembles and
validates the agreed ones, filters them, and prints a summary: proposed, agreed, filtered, kept,
rounds per task and tokens spent. Kept tuples are in OUT and pass ``cuagym data validate OUT``;
everything else is kept under OUT/_dropped and OUT/_rejected with the reason.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from cuagym.commands.common import UsageError, check_overrides, command, parse_or_exit, usage_errors


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cuagym synth", description=__doc__.split("\n\n")[0],
                                epilog="Extra KEY=VALUE arguments override the config (e.g. synth.max_rounds=5); "
                                       "'cuagym config keys' lists them.")
    p.add_argument("--apps", required=True, help="comma-separated hub apps to write tasks for (or 'all')")
    p.add_argument("--n", type=int, required=True, help="tasks to propose, spread over the apps")
    p.add_argument("--cross", action="store_true", help="cross-app tasks: each task uses every app of --apps")
    p.add_argument("--out", required=True, help="output folder for the tuples")
    p.add_argument("--config", default=None, help="YAML config (default: built-in defaults; see configs/synth.yaml)")
    p.add_argument("--llm-url", default=None, help="OpenAI-compatible endpoint (default: synth.llm.base_url)")
    p.add_argument("--model", default=None, help="model name at the endpoint (default: synth.llm.model, or the "
                   "first one the server lists)")
    p.add_argument("--teacher", default=None, help="teacher policy for rollout verification: server URL or "
                   "checkpoint folder (default: synth.teacher.policy; empty = no rollout filter)")
    p.add_argument("--judges", type=int, default=None, help="LLM judges per tuple (default: synth.vote.judges)")
    p.add_argument("--max-rounds", type=int, default=None, help="rounds before a task is dropped "
                   "(default: synth.max_rounds)")
    p.add_argument("--jobs", type=int, default=None, help="tasks worked on at once (default: synth.llm.concurrency)")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    return p


def _config(args: argparse.Namespace):
    from cuagym.config import ConfigError
    from cuagym.synth.config import load_synth_config

    check_overrides(args.overrides, "synth.max_rounds=5")
    if args.n < 1:
        raise UsageError(f"--n must be >= 1, got {args.n}")
    if args.config and not Path(args.config).is_file():
        raise UsageError(f"--config {args.config}: no such file")
    over = list(args.overrides)
    flags = {"synth.llm.base_url": args.llm_url, "synth.llm.model": args.model, "synth.teacher.policy": args.teacher,
             "synth.vote.judges": args.judges, "synth.max_rounds": args.max_rounds,
             "synth.llm.concurrency": args.jobs}
    # Flags are applied as quoted YAML strings or plain numbers, after the file and overrides.
    over += [f"{k}={json.dumps(v)}" for k, v in flags.items() if v is not None]
    with usage_errors(ConfigError):
        return load_synth_config(args.config, over)


class _Bar:
    """A progress bar per phase (tasks, then teacher rollouts); log lines print above it."""

    def __init__(self) -> None:
        self.bar = None
        self.phase = ""

    def write(self, msg: str) -> None:
        from tqdm import tqdm

        tqdm.write(msg, file=sys.stderr)

    def update(self, phase: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if phase != self.phase:
            self.close()
            self.phase = phase
            self.bar = tqdm(total=total, desc=phase, file=sys.stderr, unit="task")
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def run(args: argparse.Namespace) -> int:
    from cuagym.data.sandbox import sandbox_available
    from cuagym.data.validate import HubEndpoints
    from cuagym.hub.core.registry import app_names, parse_app_list
    from cuagym.synth.llm import LLMClient, LLMError
    from cuagym.synth.pipeline import SynthPipeline

    cfg = _config(args)
    try:
        apps = parse_app_list(args.apps)
    except ValueError as e:
        raise UsageError(f"--apps: {e}") from None
    unknown = [a for a in apps if a not in app_names()]
    if unknown:
        raise UsageError(f"--apps: unknown app(s) {', '.join(unknown)}; hub apps: {', '.join(app_names())}")
    if args.cross and len(apps) < 2:
        raise UsageError(f"--cross needs at least two apps in --apps, got {', '.join(apps)}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory")
    for root in cfg.synth.existing:
        if not Path(root).exists():
            print(f"cuagym synth: synth.existing names {root}, which does not exist here; new tasks are not "
                  "checked against it (paths are relative to the current directory)", file=sys.stderr)
    problem = sandbox_available()
    if problem:
        print(f"cuagym synth: tuple scripts run only in the sandbox: {problem}", file=sys.stderr)
        return 2
    try:
        llm = LLMClient(cfg.synth.llm)
    except (ValueError, LLMError) as e:
        print(f"cuagym synth: the LLM endpoint cannot be used: {e}", file=sys.stderr)
        return 2
    import contextlib

    from cuagym.rollout.setup import SetupError, hub_endpoints

    with contextlib.ExitStack() as stack:
        try:
            urls, token = stack.enter_context(hub_endpoints(cfg, apps))
        except SetupError as e:
            raise UsageError(str(e)) from None
        teacher = None
        if cfg.synth.teacher.policy:
            from cuagym.synth.teacher import teacher_runner

            try:
                teacher = stack.enter_context(teacher_runner(cfg, urls, token, out / "_work" / "teacher"))
            except ValueError as e:
                raise UsageError(str(e)) from None
        else:
            print("cuagym synth: no teacher (--teacher / synth.teacher.policy): the rollout filter is skipped",
                  file=sys.stderr)
        bar = _Bar()
        pipe = SynthPipeline(cfg.synth, out, HubEndpoints(urls, token), llm, teacher=teacher, log=bar.write,
                             progress=bar.update)
        what = f"cross-app task(s) using {' + '.join(apps)}" if args.cross else f"task(s) for {', '.join(apps)}"
        print(f"cuagym synth: {args.n} {what} with {llm.model} at {llm.base}", file=sys.stderr)
        try:
            summary = pipe.run(apps, args.n, cross=args.cross)
        except LLMError as e:
            print(f"cuagym synth: the LLM endpoint failed: {e}", file=sys.stderr)
            return 1
        finally:
            bar.close()
    print(summary.table())
    print(f"tuples: {out} (check with: cuagym data validate {out}); summary: {out / 'synth_summary.json'}")
    return 0 if summary.kept else 1


@command("cuagym synth")
def main(argv: list[str] | None = None) -> int:
    return run(parse_or_exit(parser(), argv, intermixed=True))


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
