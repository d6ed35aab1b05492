"""In-memory session store: initial and current state plus uploaded files per sid."""

from __future__ import annotations

import copy
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

SID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class SidError(ValueError):
    pass


def check_sid(sid: str | None) -> str:
    if sid is None or sid == "":
        raise SidError("missing session id: pass ?sid=<id> (letters, digits, '-' or '_', at most 64)")
    if not SID_PATTERN.match(sid):
        raise SidError(f"invalid session id {sid[:80]!r}: expected letters, digits, '-' or '_', at most 64 characters")
    return sid


@dataclass
class StoredFile:
    name: str
    content_type: str
    data: bytes

    def record(self, base: str) -> dict[str, Any]:
        return {"name": self.name, "size": len(self.data), "content_type": self.content_type,
                "url": f"{base}/{self.name}"}


@dataclass
class Session:
    initial: dict[str, Any]
    current: dict[str, Any]
    files: dict[str, StoredFile] = field(default_factory=dict)
    version: int = 0
    # (state, its encode_top) for the last initial and current state /go encoded. States are
    # never changed in place (every write assigns a new object), so identity tells a hit.
    encoded: dict[str, tuple[Any, dict[str, str]]] = field(default_factory=dict, repr=False)

    def encoded_state(self, which: str, state: dict[str, Any]) -> dict[str, str]:
        """``encode_top(state)``, reused while ``state`` is the same object."""
        from cuagym.hub.core.diff import encode_top

        hit = self.encoded.get(which)
        if hit is not None and hit[0] is state:
            return hit[1]
        enc = encode_top(state)
        self.encoded[which] = (state, enc)
        return enc


class SessionStore:
    """Sessions keyed by sid; a fresh sid starts from the app's seed state.

    The store keeps at most ``max_sessions``; the least recently used session is dropped
    first, so a long training run does not grow without bound.
    """

    def __init__(self, seed: Callable[[], dict[str, Any]], max_sessions: int = 4096) -> None:
        self._seed = seed
        self._max = max_sessions
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self.lock = threading.RLock()

    def get(self, sid: str) -> Session:
        with self.lock:
            s = self._sessions.get(sid)
            if s is None:
                seed = self._seed()
                s = Session(initial=seed, current=copy.deepcopy(seed))
                self._sessions[sid] = s
                while len(self._sessions) > self._max:
                    self._sessions.popitem(last=False)
            else:
                self._sessions.move_to_end(sid)
            return s

    def __contains__(self, sid: str) -> bool:
        return sid in self._sessions

    def __len__(self) -> int:
        return len(self._sessions)
