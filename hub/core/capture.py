"""Reference screenshots of a hub app through a real hub and headless Chromium.

Each app's ``capture.py`` names its views (file stem -> the state that shows it) and hands
them to :func:`main`, so every app has the same command:

    python -m cuagym.hub.<app>.capture [OUT_DIR]      (default: hub/<app>/screenshots)

Each view is a state set through the State API on its own session and opened in a fresh
1280x800 browser context, so the pictures show exactly what an agent sees for that state and
are reproducible.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Callable

Views = dict[str, dict[str, Any]]
VIEWPORT = (1280, 800)
HUB_ROOT = Path(__file__).resolve().parents[1]


def default_out(app: str) -> Path:
    """Where an app's committed screenshots live: ``hub/<app>/screenshots``."""
    return HUB_ROOT / app / "screenshots"


def capture_views(browser, base_url: str, admin_token: str, views: Views, out_dir: Path, *,
                  park_mouse: tuple[int, int] | None = None) -> list[Path]:
    """Render each view in ``browser`` from the app at ``base_url``; write ``out_dir/<view>.png``.

    ``park_mouse`` moves the pointer there before each picture (to keep hover effects out).
    """
    from cuagym.hub.client import HubClient

    out_dir.mkdir(parents=True, exist_ok=True)
    client = HubClient(base_url, admin_token)
    written = []
    try:
        for name, state in views.items():
            launch = client.set(f"capture-{name.replace('_', '-')}", state)["launch_url"]
            ctx = browser.new_context(viewport={"width": VIEWPORT[0], "height": VIEWPORT[1]})
            try:
                page = ctx.new_page()
                page.goto(launch)
                page.wait_for_selector("body[data-cua-ready='1']")
                if park_mouse is not None:
                    page.mouse.move(*park_mouse)
                path = out_dir / f"{name}.png"
                page.screenshot(path=str(path))
                written.append(path)
            finally:
                ctx.close()
    finally:
        client.close()
    return written


def capture(app: str, views: Views, out_dir: Path, **kw) -> list[Path]:
    """Start a hub serving ``app`` and a headless Chromium, and write every view (see :func:`capture_views`)."""
    from playwright.sync_api import sync_playwright

    from cuagym.browser import launch_kwargs
    from cuagym.hub.launcher import HubProcess

    with HubProcess([app]) as hub, sync_playwright() as p:
        browser = p.chromium.launch(**launch_kwargs())
        try:
            return capture_views(browser, hub.urls[app], hub.admin_token, views, out_dir, **kw)
        finally:
            browser.close()


def main(app: str, views: Callable[[], Views], argv: list[str] | None = None, **kw) -> int:
    """The command line of ``python -m cuagym.hub.<app>.capture``."""
    states = views()
    parser = argparse.ArgumentParser(prog=f"python -m cuagym.hub.{app}.capture",
                                     description=f"Write the {app} app's reference screenshots (1280x800 PNG, "
                                                 f"one per view: {', '.join(states)}) through a real hub and "
                                                 f"headless Chromium.")
    parser.add_argument("out_dir", nargs="?", type=Path, default=default_out(app),
                        help=f"folder for the PNG files (default: hub/{app}/screenshots)")
    args = parser.parse_args(argv)
    for path in capture(app, states, args.out_dir, **kw):
        print(f"{path} {path.stat().st_size} bytes")
    return 0
