"""Render the kanban app's main views to PNG through a real hub and Chromium.

    python -m cuagym.hub.kanban.make_screenshots [OUT_DIR]

Each view is a state injected through the State API (the seed plus a ``ui`` patch), so the
pictures show exactly what an agent sees for that state. Default OUT_DIR: hub/kanban/screenshots.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from cuagym.browser import launch_kwargs
from cuagym.hub.client import HubClient
from cuagym.hub.launcher import HubProcess

VIEWS: dict[str, dict] = {
    "board": {},
    "issue_dialog": {"ui": {"dialog": "issue", "selected_issue": "WEB-101"}},
    "create_dialog": {"ui": {"dialog": "create", "menu": "create-labels",
                             "create": {"title": "Show a banner when the API is degraded", "status": "in_progress",
                                        "priority": "high", "assignee": "marco", "labels": ["feature", "frontend"],
                                        "description": "Read the status page feed and show a dismissible banner."}}},
    "list_filtered": {"ui": {"view": "list", "filter_label": "bug", "menu": "filter-assignee"}},
}


def capture(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with HubProcess(["kanban"]) as hub, sync_playwright() as p:
        client = HubClient(hub.urls["kanban"], hub.admin_token)
        browser = p.chromium.launch(**launch_kwargs())
        try:
            for name, patch in VIEWS.items():
                sid = f"shot-{name.replace('_', '-')}"
                # A fresh sid starts from the seed, so a merged "set" is seed + patch.
                launch = client.set(sid, patch, merge=True)["launch_url"]
                ctx = browser.new_context(viewport={"width": 1280, "height": 800})
                page = ctx.new_page()
                page.goto(launch)
                page.wait_for_selector("body[data-cua-ready='1']")
                path = out_dir / f"{name}.png"
                page.screenshot(path=str(path))
                written.append(path)
                ctx.close()
        finally:
            browser.close()
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "screenshots"
    for f in capture(target):
        print(f, f.stat().st_size, "bytes")
