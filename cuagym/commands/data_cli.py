"""``cuagym data``: validate tuples, import CUA-Gym tuples, write a dataset manifest.

    cuagym data validate data/tuples [--jobs 2] [--no-ui] [--json report.json] [--legacy-hub APP=URL ...]
    cuagym data import-cuagym SRC DST [--any-app]
    cuagym data manifest data/tuples

``validate`` starts the hub apps the tuples need on loopback (hardened mode), runs every
check of :mod:`cuagym.data.validate` in the sandbox, replays golden UI trajectories in
Chromium, prints a table per tuple and a summary, and exits 1 if any tuple fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from cuagym.commands.common import subcommand_parsers


def _validate(args: argparse.Namespace) -> int:
    from cuagym.data.format import TupleError, load_tuple
    from cuagym.data.sandbox import Limits, sandbox_available
    from cuagym.data.validate import HubEndpoints, iter_tuple_dirs, validate_all
    from cuagym.hub.core.registry import app_names
    from cuagym.hub.launcher import HubProcess

    problem = sandbox_available()
    if problem:
        print(f"cuagym data validate: {problem}", file=sys.stderr)
        return 2
    from cuagym.hub.client import LEGACY, with_protocols

    legacy: dict[str, str] = {}
    for spec in args.legacy_hub:
        app, _, url = spec.partition("=")
        if not app or not url.startswith("http://"):
            print(f"cuagym data validate: --legacy-hub expects APP=http://HOST:PORT, got {spec!r}", file=sys.stderr)
            return 2
        legacy[app] = url
    root = Path(args.path)
    if not root.exists():
        print(f"cuagym data validate: {root} does not exist", file=sys.stderr)
        return 2
    dirs = list(iter_tuple_dirs(root))
    if args.only:
        dirs = [d for d in dirs if any(d.name.startswith(p) for p in args.only.split(","))]
    if not dirs:
        print(f"cuagym data validate: no tuples (folders with task_config.json) under {root}", file=sys.stderr)
        return 2
    needed: set[str] = set()
    for d in dirs:
        try:
            needed |= set(load_tuple(d).apps)
        except TupleError:
            pass
    apps = sorted((needed - set(legacy)) & set(app_names())) or app_names()[:1]
    replayer = None
    if not args.no_ui:
        from cuagym.rollout.replay import GoldenReplayer
        replayer = GoldenReplayer()
    t0 = time.monotonic()
    done = [0]

    def show(rep) -> None:
        done[0] += 1
        mark = "PASS" if rep.ok else "FAIL"
        print(f"[{done[0]}/{len(dirs)}] {mark} {rep.id}")
        for c in rep.checks:
            if args.verbose or not c.ok:
                print(f"      {'ok  ' if c.ok else 'FAIL'} {c.name:<28} {c.seconds:6.2f}s  {c.detail}")
        sys.stdout.flush()

    with HubProcess(apps) as hub:
        urls = {**hub.urls, **with_protocols(legacy, {a: LEGACY for a in legacy})}
        reports = validate_all(dirs, HubEndpoints(urls, hub.admin_token), jobs=args.jobs, ui_replay=replayer,
                               limits=Limits(timeout_s=args.timeout), on_report=show)
    if replayer:
        replayer.close()
    elapsed = time.monotonic() - t0
    failed = [r for r in reports if not r.ok]
    counts: dict[str, list[int]] = {}
    for r in reports:
        for c in r.checks:
            counts.setdefault(c.name.split(":")[0], [0, 0])[0 if c.ok else 1] += 1
    print("\ncheck                          passed  failed")
    for name, (ok, bad) in sorted(counts.items()):
        print(f"{name:<30} {ok:>6}  {bad:>6}")
    print(f"\n{len(reports) - len(failed)}/{len(reports)} tuples passed in {elapsed:.1f} s "
          f"({args.jobs} jobs){'; UI replay skipped' if args.no_ui else ''}")
    if args.json:
        Path(args.json).write_text(json.dumps([{"id": r.id, "path": r.path, "ok": r.ok,
                                                "checks": [c.__dict__ for c in r.checks]} for r in reports],
                                              indent=2))
    return 1 if failed else 0


def _import(args: argparse.Namespace) -> int:
    from cuagym.data.import_cuagym import ImportError_, import_dir
    from cuagym.hub.core.registry import app_names

    try:
        rep = import_dir(args.src, args.dst, None if args.any_app else set(app_names()))
    except ImportError_ as e:
        print(f"cuagym data import-cuagym: {e}", file=sys.stderr)
        return 2
    for p in rep.converted:
        print(f"converted {p}")
        for change in rep.changes.get(p, []):
            print(f"    {change}")
    for src, why in rep.skipped.items():
        print(f"skipped   {src}: {why}", file=sys.stderr)
    print(f"{len(rep.converted)} converted, {len(rep.skipped)} skipped "
          f"(what changed and why: DST/<id>/import_report.json; sources kept under DST/<id>/original/)")
    return 0 if rep.converted and not rep.skipped else (1 if rep.skipped else 2)


def _manifest(args: argparse.Namespace) -> int:
    from cuagym.data.dataset import write_manifest

    n = write_manifest(args.path)
    print(f"wrote {Path(args.path) / 'manifest.jsonl'} ({n} tuples)")
    return 0


def main(argv: list[str] | None = None) -> int:
    p, sub = subcommand_parsers("cuagym data", "Validate, import and index tuples.", {
        "validate": "check every tuple under PATH",
        "import-cuagym": "convert CUA-Gym-layout tuples from SRC into DST",
        "manifest": "write PATH/manifest.jsonl for a folder of tuples"})
    v = sub["validate"]
    v.add_argument("path")
    v.add_argument("--jobs", type=int, default=2, help="tuples checked in parallel (default 2)")
    v.add_argument("--no-ui", action="store_true", help="skip the golden UI replay in Chromium")
    v.add_argument("--only", default="", help="comma-separated id prefixes to check")
    v.add_argument("--timeout", type=float, default=30.0, help="seconds per script run (default 30)")
    v.add_argument("--json", default="", help="also write the reports to this JSON file")
    v.add_argument("-v", "--verbose", action="store_true", help="print passing checks too")
    v.add_argument("--legacy-hub", action="append", default=[], metavar="APP=URL",
                   help="an app served by a CUA-Gym-Hub server in legacy mode (repeatable); other apps run here")
    i = sub["import-cuagym"]
    i.add_argument("src")
    i.add_argument("dst")
    i.add_argument("--any-app", action="store_true", help="keep tuples for apps this hub does not have")
    sub["manifest"].add_argument("path")
    args = p.parse_args(argv)
    if getattr(args, "jobs", 1) < 1:
        p.error("--jobs must be >= 1")
    return {"validate": _validate, "import-cuagym": _import, "manifest": _manifest}[args.cmd](args)
