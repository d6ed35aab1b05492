"""Start ``cuagym hub serve`` as a child process and know its URLs: for tests, workers and tools."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from typing import IO


class HubProcess:
    """A running hub in a child process.

    >>> with HubProcess(["mail"]) as hub:
    ...     hub.urls["mail"], hub.admin_token
    """

    def __init__(self, apps: list[str] | str = "all", *, hardened: bool = True, host: str = "127.0.0.1",
                 port: int = 0, admin_token: str | None = None, start_timeout: float = 60.0) -> None:
        self.apps = apps if isinstance(apps, str) else ",".join(apps)
        self.hardened, self.host, self.port = hardened, host, port
        self.admin_token = admin_token or secrets.token_urlsafe(24)
        self.start_timeout = start_timeout
        self.urls: dict[str, str] = {}
        self.proc: subprocess.Popen | None = None
        self._stderr: list[str] = []

    def start(self) -> "HubProcess":
        env = dict(os.environ, CUA_GYM_ADMIN_TOKEN=self.admin_token, PYTHONUNBUFFERED="1")
        cmd = [sys.executable, "-m", "cuagym.hub", "serve", "--apps", self.apps,
               "--host", self.host, "--port", str(self.port)]
        if not self.hardened:
            cmd.append("--legacy")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        threading.Thread(target=self._drain, args=(self.proc.stderr,), daemon=True).start()
        deadline = time.monotonic() + self.start_timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                self.stop()
                raise RuntimeError("hub exited before it was ready:\n" + "".join(self._stderr[-40:]))
            line = line.strip()
            if line.startswith("READY"):
                return self
            name, _, url = line.partition(" ")
            if url.startswith("http"):
                self.urls[name] = url
        self.stop()
        raise TimeoutError(f"hub not ready after {self.start_timeout}s")

    def _drain(self, stream: IO[str]) -> None:
        for line in stream:
            self._stderr.append(line)
            del self._stderr[:-200]

    def stop(self, timeout: float = 10.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self) -> "HubProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
