"""A small synchronous client of the State API, for env workers, validators and tests.

Hub URL maps (app -> base URL) carry each app's protocol: a plain ``http://HOST:PORT`` speaks
this hub's hardened State API (admin token, launch URLs, ``data-cua-ready``); a URL written
``legacy+http://HOST:PORT`` names an app that speaks CUA-Gym-Hub's legacy protocol (no token,
the page opened as ``BASE/?sid=SID``, no ready marker, ``reset`` deletes the session's state,
``/go`` diffs by top-level key). The prefix lets the map travel unchanged through pools and
Ray actors; :func:`split_url` takes it apart wherever a URL is used.
"""

from __future__ import annotations

from typing import Any

import requests

HARDENED, LEGACY = "hardened", "legacy"
PROTOCOLS = (HARDENED, LEGACY)
_LEGACY_PREFIX = "legacy+"


def split_url(url: str) -> tuple[str, str]:
    """(protocol, plain base URL) of a hub URL from a URL map."""
    if url.startswith(_LEGACY_PREFIX):
        return LEGACY, url[len(_LEGACY_PREFIX):].rstrip("/")
    return HARDENED, url.rstrip("/")


def plain_url(url: str) -> str:
    return split_url(url)[1]


def protocol_of(url: str) -> str:
    return split_url(url)[0]


def with_protocols(urls: dict[str, str], protocols: dict[str, str] | None) -> dict[str, str]:
    """The URL map with each app's protocol (``hub.protocol``: app -> hardened|legacy) written into it."""
    out = {}
    for app, url in urls.items():
        proto = (protocols or {}).get(app, protocol_of(url))
        if proto not in PROTOCOLS:
            raise ValueError(f"hub.protocol.{app} must be one of {', '.join(PROTOCOLS)}, got {proto!r}")
        base = plain_url(url)
        out[app] = _LEGACY_PREFIX + base if proto == LEGACY else base
    return out


def top_level_changes(diff: dict) -> list[str]:
    """The top-level state keys a ``/go`` diff touches, for either protocol's diff: this hub's flat
    map of dotted paths (``notes[3].title``) or the legacy ``{key: {added|modified: value}}``."""
    keys = set()
    for path in diff or {}:
        keys.add(str(path).split(".", 1)[0].split("[", 1)[0])
    return sorted(keys)


class HubError(RuntimeError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class HubClient:
    """Talks to one app's State API as the admin (hardened mode) or as a legacy client."""

    def __init__(self, base_url: str, admin_token: str | None = None, timeout: float = 30.0) -> None:
        self.protocol, self.base_url = split_url(base_url)
        self.timeout = timeout
        self._http = requests.Session()
        if admin_token and self.protocol == HARDENED:  # a legacy server needs none and never gets it
            self._http.headers["X-CUA-Admin-Token"] = admin_token

    def _check(self, r: requests.Response) -> Any:
        if r.status_code >= 400:
            try:
                msg = r.json().get("error", r.text)
            except ValueError:
                msg = r.text
            raise HubError(r.status_code, msg)
        return r.json()

    def post(self, sid: str, payload: dict) -> dict:
        return self._check(self._http.post(f"{self.base_url}/post", params={"sid": sid}, json=payload,
                                           timeout=self.timeout))

    def set(self, sid: str, state: dict, merge: bool = False) -> dict:
        """Set initial and current state; returns ``{"ok", "version", "launch_url"}``."""
        return self.post(sid, {"action": "set", "state": state, "merge": merge})

    def set_current(self, sid: str, state: dict, merge: bool = False) -> dict:
        return self.post(sid, {"action": "set_current", "state": state, "merge": merge})

    def reset(self, sid: str) -> dict:
        """This hub: current state back to the initial one. A legacy server deletes the session's
        state instead (its page falls back to built-in defaults): re-run the setup there."""
        return self.post(sid, {"action": "reset"})

    def go(self, sid: str) -> dict:
        return self._check(self._http.get(f"{self.base_url}/go", params={"sid": sid}, timeout=self.timeout))

    def state(self, sid: str) -> dict:
        return self._check(self._http.get(f"{self.base_url}/state", params={"sid": sid}, timeout=self.timeout))

    def seed(self, sid: str = "seed-probe") -> dict:
        """The app's default seed state (a fresh sid starts from it)."""
        return self.go(sid)["initial_state"]

    def close(self) -> None:
        self._http.close()
