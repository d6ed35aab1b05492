"""Take the shop's reference screenshots through a real hub and headless Chromium.

    python -m cuagym.hub.shop.capture [OUT_DIR]

Writes catalog.png, product.png, cart.png, checkout.png, orders.png and wishlist.png (1280x800)
into OUT_DIR (default: this package's ``screenshots/`` folder). Each view is set through the
State API, so the pictures show exactly what a state renders to.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

from cuagym.browser import launch_kwargs
from cuagym.hub.client import HubClient
from cuagym.hub.launcher import HubProcess
from cuagym.hub.shop.seed import seed_state

DEFAULT_OUT = Path(__file__).parent / "screenshots"


def view_states() -> dict[str, dict]:
    """One state per screenshot: the seed with a different view open."""
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


def capture(out_dir: Path = DEFAULT_OUT) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with HubProcess(["shop"]) as hub, sync_playwright() as pw:
        client = HubClient(hub.urls["shop"], hub.admin_token)
        browser = pw.chromium.launch(**launch_kwargs())
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        page = ctx.new_page()
        for name, state in view_states().items():
            page.goto(client.set(f"capture-{name}", state)["launch_url"])
            page.wait_for_selector("body[data-cua-ready='1']")
            path = out_dir / f"{name}.png"
            page.screenshot(path=str(path))
            written.append(path)
        browser.close()
    return written


if __name__ == "__main__":
    for p in capture(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT):
        print(p, p.stat().st_size)
