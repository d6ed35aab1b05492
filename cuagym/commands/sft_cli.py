"""``cuagym sft``: supervised warm start on the golden UI trajectories of the training tuples.

    cuagym sft --config configs/tiny.yaml [dotted.overrides ...]

Replays each tuple's golden trajectory through the real agent loop (hub, Chromium, the same
prompt as RL), trains the policy at ``model.path`` on its own turns with cross-entropy for
``sft.steps`` steps, and saves a Hugging Face folder at ``sft.out_dir`` that ``cuagym train``
can start from (``train.init_from``).
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cuagym sft", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="YAML config, e.g. configs/tiny.yaml")
    parser.add_argument("overrides", nargs="*", help="dotted overrides such as sft.steps=40")
    args = parser.parse_args(argv)
    from cuagym.config import ConfigError, load_config

    try:
        cfg = load_config(args.config, args.overrides)
    except ConfigError as err:
        print(f"cuagym sft: {err}", file=sys.stderr)
        return 2
    from cuagym.train.sft import run_sft

    try:
        run_sft(cfg)
    except (FileNotFoundError, ValueError) as err:
        print(f"cuagym sft: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
