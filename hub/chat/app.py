"""The chat app's declaration for the hub registry."""

from __future__ import annotations

from pathlib import Path

from cuagym.hub.chat.schema import ChatState
from cuagym.hub.chat.seed import seed_state
from cuagym.hub.core.spec import AppSpec

HERE = Path(__file__).parent

SPEC = AppSpec(
    name="chat",
    title="Northwind Labs - Chat",
    state_model=ChatState,
    seed=seed_state,
    static_dir=HERE / "static",
    transient_keys=("toast",),
    schema_doc=HERE / "SCHEMA.md",
)
