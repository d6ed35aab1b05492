"""``cuagym train``: the GSPO training loop (see ``cuagym.train.driver``).

    cuagym train --config configs/tiny.yaml [dotted.overrides ...] [--resume]

Writes RUN_DIR (``train.run_dir``): metrics.jsonl, the W&B run (offline unless logged in),
rollouts/ (every trajectory with its screenshots), checkpoints/, eval/, policy/ (the final
Hugging Face model) and summary.json. Ctrl-C or SIGTERM saves a checkpoint and exits 0;
``--resume`` continues from the newest checkpoint.
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cuagym train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="YAML config, e.g. configs/tiny.yaml")
    parser.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in RUN_DIR")
    parser.add_argument("overrides", nargs="*", help="dotted overrides such as train.steps=10")
    args = parser.parse_args(argv)
    from cuagym.config import ConfigError, load_config

    try:
        cfg = load_config(args.config, args.overrides)
    except ConfigError as err:
        print(f"cuagym train: {err}", file=sys.stderr)
        return 2
    from cuagym.train.driver import train

    try:
        summary = train(cfg, resume=args.resume)
    except (FileNotFoundError, ValueError) as err:
        print(f"cuagym train: {err}", file=sys.stderr)
        return 2
    print(json.dumps({k: summary[k] for k in ("stopped", "step") if k in summary}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
