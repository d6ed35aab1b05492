"""``cuagym train``: the GSPO training loop (see ``cuagym.train.driver``).

    cuagym train --config configs/tiny.yaml [dotted.overrides ...] [--resume]

Writes RUN_DIR (``train.run_dir``): metrics.jsonl, the W&B run (offline unless logged in),
rollouts/ (every trajectory with its screenshots), checkpoints/, eval/, policy/ (the final
Hugging Face model) and summary.json. Ctrl-C or SIGTERM saves a checkpoint and exits 0;
``--resume`` continues from the newest checkpoint.
"""

from __future__ import annotations

import json
import sys

from cuagym.commands.common import command, config_parser, load_run_config, usage_errors


@command("cuagym train")
def main(argv: list[str] | None = None) -> int:
    parser = config_parser("cuagym train", __doc__, "train.steps=10")
    parser.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in RUN_DIR")
    args = parser.parse_args(argv)
    cfg = load_run_config(args)
    from cuagym.train.driver import train

    with usage_errors(FileNotFoundError, ValueError):
        summary = train(cfg, resume=args.resume)
    print(json.dumps({k: summary[k] for k in ("stopped", "step") if k in summary}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
