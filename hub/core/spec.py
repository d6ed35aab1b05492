"""What an app declares to be served by the hub: its state schema, seed state and UI."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel


@dataclass(frozen=True)
class AppSpec:
    """One mock web app.

    name:        short id used on the command line and in tuples (``mail``).
    title:       human name shown in the browser tab.
    state_model: pydantic model of the whole app state; every write is validated against it.
    seed:        returns the default state a fresh session starts from (a new dict every call).
    static_dir:  folder with ``index.html`` and the app's JS/CSS, served without a build step.
    transient_keys: top-level or dotted keys the diff ignores (toasts, hover, open menus).
    schema_doc:  path of the app's schema document (fields + observable state changes).
    """

    name: str
    title: str
    state_model: type[BaseModel]
    seed: Callable[[], dict[str, Any]]
    static_dir: Path
    transient_keys: tuple[str, ...] = ()
    schema_doc: Path | None = None
    viewport: tuple[int, int] = (1280, 800)
    extra: dict[str, Any] = field(default_factory=dict)

    def seed_state(self) -> dict[str, Any]:
        return self.validate(copy.deepcopy(self.seed()))

    def validate(self, state: Any) -> dict[str, Any]:
        """Validate and normalise a state; raises pydantic.ValidationError."""
        return self.state_model.model_validate(state).model_dump(mode="json")
