"""``cuagym plot``: PNG learning curves of a run, from RUN_DIR/metrics.jsonl.

    cuagym plot runs/tiny [--out curves.png] [--window 3]
"""

from __future__ import annotations

import sys

from cuagym.commands.common import command, command_parser, usage_errors


@command("cuagym plot")
def main(argv: list[str] | None = None) -> int:
    parser = command_parser("cuagym plot", __doc__)
    parser.add_argument("run_dir", help="a run directory written by `cuagym train`")
    parser.add_argument("--out", default=None, help="PNG path (default RUN_DIR/curves.png)")
    parser.add_argument("--window", type=int, default=3, help="moving-average window in steps (default 3)")
    args = parser.parse_args(argv)
    from cuagym.train.plot import plot_run

    with usage_errors(FileNotFoundError, ValueError):
        out = plot_run(args.run_dir, args.out, args.window)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
