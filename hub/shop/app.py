"""The shop's AppSpec: what the hub needs to serve it (schema, seed state, static UI, docs)."""

from pathlib import Path

from cuagym.hub.core.spec import AppSpec
from cuagym.hub.shop.schema import ShopState
from cuagym.hub.shop.seed import seed_state

HERE = Path(__file__).parent

SPEC = AppSpec(
    name="shop",
    title="ShopLane",
    state_model=ShopState,
    seed=seed_state,
    static_dir=HERE / "static",
    # An open dropdown and a notification are momentary; rewards must not depend on them.
    transient_keys=("ui.menu", "ui.toast"),
    schema_doc=HERE / "SCHEMA.md",
)
