"""The action space of the rollout fleet.

The action schema itself lives in :mod:`cuagym.actions` because tuples (``data/``) store
golden UI trajectories in it and must not import the rollout fleet; this module re-exports
it for the fleet's code.
"""

from cuagym.actions import (  # noqa: F401
    ACTION_TYPES, FRAMES, Action, ActionError, ActionResult, Geometry, convert, key_combo, normalize_key,
    to_screen,
)
