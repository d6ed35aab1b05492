"""Who may touch a session: the admin token, one-time launch tokens and cookie sessions.

Hardened mode keeps the agent from grading itself: the browser never holds the admin token
nor the real session id. ``set`` mints a one-time launch token; opening the launch URL trades
it for an HttpOnly cookie bound to that session, and the page addresses its session only as
``__cua_session__``.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
from pathlib import Path

COOKIE_ALIAS = "__cua_session__"
TOKEN_ENV = "CUA_GYM_ADMIN_TOKEN"


def token_file() -> Path:
    base = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    return base / "cuagym" / "admin_token"


def load_admin_token() -> str:
    """The admin token from ``CUA_GYM_ADMIN_TOKEN``, else a generated one kept in a 0600 file."""
    env = os.environ.get(TOKEN_ENV, "").strip()
    if env:
        return env
    path = token_file()
    if path.exists():
        value = path.read_text().strip()
        if value:
            return value
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    os.chmod(path, 0o600)
    return value


def token_matches(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


class LaunchRegistry:
    """One-time launch tokens and the cookie secrets they turn into."""

    def __init__(self) -> None:
        self._launch: dict[str, str] = {}  # launch token -> sid
        self._cookies: dict[str, str] = {}  # cookie secret -> sid
        self._lock = threading.Lock()

    def mint(self, sid: str) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._launch[token] = sid
        return token

    def redeem(self, token: str) -> tuple[str, str] | None:
        """Consume a launch token; return (sid, cookie secret) or None if unknown or used."""
        with self._lock:
            sid = self._launch.pop(token, None)
            if sid is None:
                return None
            secret = secrets.token_urlsafe(32)
            self._cookies[secret] = sid
            return sid, secret

    def sid_for_cookie(self, secret: str | None) -> str | None:
        if not secret:
            return None
        with self._lock:
            return self._cookies.get(secret)

    def forget(self, sid: str) -> None:
        with self._lock:
            self._launch = {t: s for t, s in self._launch.items() if s != sid}
            self._cookies = {c: s for c, s in self._cookies.items() if s != sid}
