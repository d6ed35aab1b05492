"""Hub registration of the mail app."""

from __future__ import annotations

from pathlib import Path

from cuagym.hub.core.spec import AppSpec
from cuagym.hub.mail.schema import MailState
from cuagym.hub.mail.seed import seed_state

HERE = Path(__file__).parent

# The confirmation toast and an open drop-down menu are saved so a reload shows the same page,
# but they are not outcomes a task is graded on.
TRANSIENT_KEYS = ("toast", "ui.menu")

SPEC = AppSpec(
    name="mail",
    title="Mail",
    state_model=MailState,
    seed=seed_state,
    static_dir=HERE / "static",
    transient_keys=TRANSIENT_KEYS,
    schema_doc=HERE / "SCHEMA.md",
)
