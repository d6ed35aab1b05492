"""The State API shared by every hub app: sessions, diffs, hardened mode, the ASGI app factory."""

from cuagym.hub.core.spec import AppSpec
from cuagym.hub.core.diff import state_diff
from cuagym.hub.core.server import create_app

__all__ = ["AppSpec", "state_diff", "create_app"]
