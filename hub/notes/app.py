"""Hub registration of the notes app."""

from __future__ import annotations

from pathlib import Path

from cuagym.hub.core.spec import AppSpec
from cuagym.hub.notes.schema import NotesState
from cuagym.hub.notes.seed import seed_state

HERE = Path(__file__).parent

# Open menus, the caret in the note body and confirmation toasts are saved so a reload shows
# the same page, but they are not outcomes a task is graded on.
TRANSIENT_KEYS = ("ui.menu", "ui.selection", "ui.toast")

SPEC = AppSpec(
    name="notes",
    title="Notes",
    state_model=NotesState,
    seed=seed_state,
    static_dir=HERE / "static",
    transient_keys=TRANSIENT_KEYS,
    schema_doc=HERE / "SCHEMA.md",
)
