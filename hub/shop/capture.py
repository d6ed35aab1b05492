"""The shop's reference screenshots, each from a state set through the State API.

    python -m cuagym.hub.shop.capture [OUT_DIR]      (default: hub/shop/screenshots)

catalog, product, cart, checkout, orders and wishlist: the seed with a different view open; see
cuagym.hub.core.capture.
"""

from __future__ import annotations

import copy

from cuagym.hub.core import capture
from cuagym.hub.shop.seed import seed_state


def view_states() -> dict[str, dict]:
    """File stem -> the state that shows it: the seed with a different view open."""
    def with_ui(**ui) -> dict:
        s = copy.deepcopy(seed_state())
        s["ui"].update(ui)
        return s

    return {
        "catalog": with_ui(),
        "product": with_ui(view="product", product_id="p01", quantity=2),
        "cart": with_ui(view="cart"),
        "checkout": with_ui(view="checkout"),
        "orders": with_ui(view="orders"),
        "wishlist": with_ui(view="wishlist"),
    }


def main(argv: list[str] | None = None) -> int:
    return capture.main("shop", view_states, argv)


if __name__ == "__main__":
    raise SystemExit(main())
