"""The kanban app as the hub serves it."""

from __future__ import annotations

from pathlib import Path

from cuagym.hub.core.spec import AppSpec
from cuagym.hub.kanban.schema import KanbanState
from cuagym.hub.kanban.seed import seed_state

HERE = Path(__file__).parent

SPEC = AppSpec(
    name="kanban",
    title="Web Platform · Board",
    state_model=KanbanState,
    seed=seed_state,
    static_dir=HERE / "static",
    # An open dropdown and a notification are momentary; rewards never grade them.
    transient_keys=("ui.menu", "ui.toast"),
    schema_doc=HERE / "SCHEMA.md",
)
