"""Serve hub apps on loopback: one HTTP server per app, all in one process and one event loop.

    cuagym hub serve --apps all|mail,calendar [--host 127.0.0.1] [--port 0] [--legacy]

Prints ``APP_NAME URL`` for each app once it answers ``/health``, then a line ``READY``.
``--port 0`` picks free ports; ``--port P`` gives the apps P, P+1, ... in the order listed.
SIGTERM or Ctrl-C stops every server cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import socket
import sys
import urllib.request

import uvicorn

from cuagym.hub.core.auth import load_admin_token, token_file, TOKEN_ENV
from cuagym.hub.core.registry import load_spec, parse_app_list
from cuagym.hub.core.server import create_app


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit TCP_NODELAY. asyncio sets it only on sockets created with
    # proto=IPPROTO_TCP, and uvicorn writes a response's head and body separately: without it,
    # Nagle holds the body until the client's delayed ACK (about 40 ms per request).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise SystemExit(f"cannot bind {host}:{port}: {e.strerror}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


async def serve(apps: list[str], host: str, port: int, hardened: bool, log_level: str = "warning") -> None:
    token = load_admin_token()
    servers, tasks = [], []
    for i, name in enumerate(apps):
        spec = load_spec(name)
        sock = _bind(host, 0 if port == 0 else port + i)
        config = uvicorn.Config(create_app(spec, admin_token=token, hardened=hardened),
                                log_level=log_level, access_log=False, lifespan="off",
                                timeout_graceful_shutdown=2)
        server = uvicorn.Server(config)
        server.install_signal_handlers = lambda: None  # one handler below stops them all
        servers.append((name, server, sock))
        tasks.append(asyncio.create_task(server.serve(sockets=[sock])))

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: [setattr(s, "should_exit", True) for _, s, _ in servers])

    for name, server, sock in servers:
        bound_host, bound_port = sock.getsockname()[:2]
        url = f"http://{host if host not in ('0.0.0.0', '::') else '127.0.0.1'}:{bound_port}"
        for _ in range(200):
            if await asyncio.to_thread(_answers, url):
                break
            if any(t.done() for t in tasks):
                break
            await asyncio.sleep(0.02)
        else:
            raise SystemExit(f"{name} did not answer on {url}")
        print(f"{name} {url}", flush=True)
    mode = "hardened" if hardened else "legacy (no admin token needed)"
    where = f"${TOKEN_ENV}" if TOKEN_ENV in __import__("os").environ else str(token_file())
    print(f"READY mode={mode} admin_token_from={where}", flush=True)
    await asyncio.gather(*tasks)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="cuagym hub serve", description="Serve hub apps on loopback.")
    p.add_argument("--apps", default="all", help="'all' or a comma-separated list of app names")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="first port; 0 picks free ports (default 0)")
    p.add_argument("--legacy", action="store_true",
                   help="turn hardened mode off: any caller holding a sid may read and write it")
    p.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    args = p.parse_args(argv)
    try:
        apps = parse_app_list(args.apps)
    except ValueError as e:
        p.error(str(e))
    if not apps:
        p.error("no hub apps are installed")
    if not 0 <= args.port <= 65535:
        p.error(f"--port must be within 0..65535, got {args.port}")
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(serve(apps, args.host, args.port, hardened=not args.legacy, log_level=args.log_level))
    return 0


if __name__ == "__main__":
    sys.exit(main())
