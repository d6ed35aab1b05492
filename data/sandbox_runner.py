"""Runs inside the sandbox: relay the hub ports to the host, then run the tuple script.

The sandbox has its own network namespace with only a loopback interface. For each hub
address the script may reach, this runner listens on the same 127.0.0.1:PORT inside the
namespace and pipes every connection to a Unix socket that the host side relays to the
real hub. Nothing else is reachable. Usage (by the sandbox only):

    python -I sandbox_runner.py SCRIPT PORT:SOCKET [PORT:SOCKET ...]
"""

import os
import runpy
import socket
import sys
import threading


def _pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _serve(port, path):
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", port))
    lst.listen(64)

    def loop():
        while True:
            conn, _ = lst.accept()
            up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                up.connect(path)
            except OSError:
                conn.close()
                continue
            threading.Thread(target=_pipe, args=(conn, up), daemon=True).start()
            threading.Thread(target=_pipe, args=(up, conn), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()


def main():
    script, relays = sys.argv[1], sys.argv[2:]
    # A script that starts a browser with an environment of its own (no PATH) still finds the
    # sandbox's browser shims: the default search path starts with them too.
    os.defpath = "/cua/bin:" + os.defpath
    for spec in relays:
        port, path = spec.split(":", 1)
        _serve(int(port), path)
    sys.argv = [script]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
