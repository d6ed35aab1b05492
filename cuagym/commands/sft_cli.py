"""``cuagym sft``: supervised warm start on the golden UI trajectories of the training tuples.

    cuagym sft --config configs/tiny.yaml [dotted.overrides ...]

Replays each tuple's golden trajectory through the real agent loop (hub, Chromium, the same
prompt as RL), trains the policy at ``model.path`` on its own turns with cross-entropy for
``sft.steps`` steps, and saves a Hugging Face folder at ``sft.out_dir`` that ``cuagym train``
can start from (``train.init_from``).
"""

from __future__ import annotations

import sys

from cuagym.commands.common import command, config_parser, load_run_config, usage_errors


@command("cuagym sft")
def main(argv: list[str] | None = None) -> int:
    cfg = load_run_config(config_parser("cuagym sft", __doc__, "sft.steps=40").parse_args(argv))
    from cuagym.train.sft import run_sft

    with usage_errors(FileNotFoundError, ValueError):
        run_sft(cfg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
