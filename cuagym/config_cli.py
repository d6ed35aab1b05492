"""``cuagym config``: show a resolved config, check one, or list every key with its help.

    cuagym config show --config configs/tiny.yaml [key.path=value ...]
    cuagym config check --config configs/a3b.yaml
    cuagym config keys
"""

from __future__ import annotations

import argparse
import sys

import yaml

from cuagym.config import Config, ConfigError, describe, load_config, to_dict


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="cuagym config", description="Show, check or document configs.")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="{show,check,keys}")
    for name, help_ in (("show", "print the resolved config as YAML"), ("check", "validate a config")):
        s = sub.add_parser(name, help=help_)
        s.add_argument("--config", default=None, help="YAML file under configs/ (default: built-in defaults)")
        s.add_argument("overrides", nargs="*", help="dotted overrides such as rollout.group_size=4")
    sub.add_parser("keys", help="list every key with type, default and help")
    args = p.parse_args(argv)
    if args.cmd == "keys":
        for key, tp, default, help_ in describe(Config):
            print(f"{key:<38} {tp:<28} {default!r:<24} {help_}")
        return 0
    try:
        cfg = load_config(args.config, args.overrides)
    except ConfigError as e:
        print(f"cuagym config: {e}", file=sys.stderr)
        return 2
    if args.cmd == "show":
        print(yaml.safe_dump(to_dict(cfg), sort_keys=False), end="")
    else:
        print(f"ok: {args.config or 'defaults'}")
    return 0
