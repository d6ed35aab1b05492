"""The ``cuagym`` command line.

    cuagym hub serve --apps all          serve the mock web apps on loopback
    cuagym config show --config configs/tiny.yaml rollout.group_size=4
    cuagym config keys                   every config key with its type, default and help
    cuagym model build-tiny runs/tiny_policy

Each subcommand parses its own flags; an unknown subcommand or flag is an error that
names the valid ones.
"""

from __future__ import annotations

import difflib
import importlib
import sys

import cuagym

# name -> (module with main(argv) -> int, one-line help). Only commands that exist are listed.
COMMANDS: dict[str, tuple[str, str]] = {
    "hub": ("cuagym.hub.cli", "serve or list the mock web apps"),
    "config": ("cuagym.config_cli", "show, check or document configs"),
    "model": ("cuagym.commands.model_cli", "build the tiny policy or inspect a checkpoint"),
    "data": ("cuagym.commands.data_cli", "validate tuples, import CUA-Gym tuples, write manifests"),
    "export": ("cuagym.commands.export_cli", "export a training checkpoint as a Hugging Face model"),
    "train": ("cuagym.commands.train_cli", "train a policy with GSPO (sync or one-step async)"),
    "sft": ("cuagym.commands.sft_cli", "supervised warm-start on golden trajectories"),
    "eval": ("cuagym.commands.eval_cli", "evaluate a policy on tuples: per-app success table and JSON"),
    "rollout": ("cuagym.commands.rollout_cli", "roll a policy out on tuples and write scored trajectories"),
    "view": ("cuagym.commands.view_cli", "write (and serve) an HTML report of a run's trajectories"),
    "plot": ("cuagym.commands.plot_cli", "write PNG curves of a run's metrics"),
    "plan": ("cuagym.commands.plan_cli", "print the placement plan and per-GPU memory estimate of a config"),
    "synth": ("cuagym.commands.synth_cli", "synthesise new tuples with an LLM (generate, discriminate, filter)"),
}
# Planned subcommands that this version does not have yet: say so instead of pretending.
PLANNED: dict[str, str] = {}


def usage() -> str:
    lines = [f"cuagym {cuagym.__version__}: RL from verifiable rewards for computer-use agents",
             "", "usage: cuagym <command> [options]", "", "commands:"]
    lines += [f"  {name:<8} {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "run 'cuagym <command> --help' for a command's options"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    if argv[0] in ("-V", "--version"):
        print(cuagym.__version__)
        return 0
    name, rest = argv[0], argv[1:]
    if name.startswith("-"):
        print(f"cuagym: unknown option {name!r}; options: --help, --version\n\n{usage()}", file=sys.stderr)
        return 2
    if name in COMMANDS:
        module = importlib.import_module(COMMANDS[name][0])
        return int(module.main(rest) or 0)
    if name in PLANNED:
        print(f"cuagym {name}: {PLANNED[name]} is not part of this version yet; "
              f"available commands: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    near = difflib.get_close_matches(name, list(COMMANDS), n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    print(f"cuagym: unknown command {name!r}{hint}; valid commands: {', '.join(COMMANDS)}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
