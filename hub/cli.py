"""``cuagym hub`` subcommands: ``serve`` (run apps) and ``list`` (installed apps)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    usage = "usage: cuagym hub {serve,list} [options]"
    if not argv or argv[0] in ("-h", "--help"):
        print(usage + "\n  serve  serve apps on loopback (see 'cuagym hub serve --help')\n  list   list installed apps")
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "serve":
        from cuagym.hub.serve import main as serve_main
        return serve_main(rest)
    if cmd == "list":
        from cuagym.hub.core.registry import app_names, load_spec
        for name in app_names():
            print(f"{name}\t{load_spec(name).title}")
        return 0
    print(f"cuagym hub: unknown subcommand {cmd!r}; valid: serve, list", file=sys.stderr)
    return 2
