"""``cuagym view``: a static HTML report of a run's trajectories.

    cuagym view runs/rollout1                  # writes runs/rollout1/view/index.html
    cuagym view runs/rollout1 --out /tmp/rv    # somewhere else
    cuagym view runs/rollout1 --serve 8765     # and serve it on http://127.0.0.1:8765/

The report shows, per trajectory, the instruction, every screenshot with the actions drawn on
it, the model's raw output, parsed actions, errors and feedback, and the reward with the reward
script's output; the index has a summary table per app. See :mod:`cuagym.rollout.viewer`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cuagym.commands.common import UsageError, command, parse_or_exit, usage_errors


@command("cuagym view")
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="cuagym view", description="Write (and optionally serve) an HTML report of a "
                                "run's trajectories.")
    p.add_argument("run_dir", help="a run directory holding trajectories/ (from 'cuagym rollout' or training)")
    p.add_argument("--out", default=None, help="where to write the report (default: RUN_DIR/view)")
    p.add_argument("--serve", type=int, default=None, metavar="PORT", help="serve the report over HTTP on PORT")
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    args = parse_or_exit(p, argv)
    from cuagym.rollout.viewer import build_report, make_server

    run = Path(args.run_dir)
    if not run.is_dir():
        raise UsageError(f"{run}: no such directory (expected a run directory holding trajectories/)")
    if args.serve is not None and not 0 <= args.serve <= 65535:
        raise UsageError(f"--serve must be a port number 0..65535, got {args.serve}")
    with usage_errors(FileNotFoundError):
        index = build_report(run, args.out)
    n = len(list((index.parent / "t").glob("*.html")))
    print(f"wrote {index} ({n} trajectories)")
    if args.serve is None:
        return 0
    # Serve the folder that holds both the report and the screenshots it links to.
    root = Path(os.path.commonpath([index.parent.resolve(), run.resolve()]))
    try:
        server = make_server(root, args.serve, args.host)
    except OSError as e:
        raise UsageError(f"cannot serve on {args.host}:{args.serve}: {e}") from e
    rel = index.resolve().relative_to(root).as_posix()
    print(f"serving http://{args.host}:{server.server_address[1]}/{rel} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
