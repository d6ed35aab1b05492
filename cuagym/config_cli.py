"""``cuagym config``: show, check or document configs.

    cuagym config show --config configs/tiny.yaml [key.path=value ...]
    cuagym config check --config configs/a3b.yaml
    cuagym config show --config configs/synth.yaml       # a synthesis config (the synth section)
    cuagym config keys [--for train|synth]

A command-line module (the commands layer, not the core): it knows every command's config
class. A file, or overrides, with a ``synth`` section are loaded as ``cuagym synth`` loads them
(:class:`cuagym.synth.config.SynthRunConfig`); anything else as a training config
(:class:`cuagym.config.Config`), so ``check`` refuses what the command that reads it would refuse.
"""

from __future__ import annotations

import argparse
import sys

import yaml

from cuagym.config import Config, ConfigError, describe, to_dict
from cuagym.configbase import load, read_yaml
from cuagym.synth.config import SynthRunConfig

# Config class of each command family: train, sft, eval, rollout and plan load the core one.
CONFIG_CLASSES: dict[str, type] = {"train": Config, "synth": SynthRunConfig}


def config_class(path: str | None, overrides: list[str]) -> type:
    """The config class of the command that reads this file and these overrides."""
    sections = set(read_yaml(path)) if path else set()
    sections |= {o.split("=", 1)[0].strip().split(".")[0] for o in overrides}
    return SynthRunConfig if "synth" in sections else Config


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="cuagym config", description="Show, check or document configs.")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="{show,check,keys}")
    for name, help_ in (("show", "print the resolved config as YAML"), ("check", "validate a config")):
        s = sub.add_parser(name, help=help_)
        s.add_argument("--config", default=None, help="YAML file under configs/ (default: built-in defaults)")
        s.add_argument("overrides", nargs="*", help="dotted overrides such as rollout.group_size=4")
    k = sub.add_parser("keys", help="list every key with type, default and help")
    k.add_argument("--for", dest="command", choices=sorted(CONFIG_CLASSES), default=None,
                   help="only the keys this command reads (default: all; synth.* is read by cuagym synth only)")
    args = p.parse_args(argv)
    if args.cmd == "keys":
        cls = CONFIG_CLASSES[args.command] if args.command else SynthRunConfig
        for key, tp, default, help_ in describe(cls):
            print(f"{key:<38} {tp:<28} {default!r:<24} {help_}")
        return 0
    try:
        cfg = load(config_class(args.config, args.overrides), args.config, args.overrides)
    except ConfigError as e:
        print(f"cuagym config: {e}", file=sys.stderr)
        return 2
    if args.cmd == "show":
        print(yaml.safe_dump(to_dict(cfg), sort_keys=False), end="")
    else:
        print(f"ok: {args.config or 'defaults'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
