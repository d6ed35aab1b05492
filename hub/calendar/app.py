"""Hub registration of the calendar app."""

from pathlib import Path

from cuagym.hub.calendar.schema import CalendarState
from cuagym.hub.calendar.seed import seed_state
from cuagym.hub.core.spec import AppSpec

HERE = Path(__file__).parent

SPEC = AppSpec(
    name="calendar",
    title="Calendar",
    state_model=CalendarState,
    seed=seed_state,
    static_dir=HERE / "static",
    # The snackbar (and the deleted event it can restore) is feedback, not an outcome.
    transient_keys=("toast",),
    schema_doc=HERE / "SCHEMA.md",
)
