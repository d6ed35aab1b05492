"""A small synchronous client of the State API, for env workers, validators and tests."""

from __future__ import annotations

from typing import Any

import requests


class HubError(RuntimeError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class HubClient:
    """Talks to one app's State API as the admin (hardened mode) or as a legacy client."""

    def __init__(self, base_url: str, admin_token: str | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._http = requests.Session()
        if admin_token:
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
