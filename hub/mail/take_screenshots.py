"""Render the mail app's main views to PNG files (1280x800) through a real hub and Chromium.

    python -m cuagym.hub.mail.take_screenshots [--out hub/mail/screenshots]

Each view is a state injected through the State API, so the pictures show exactly what an
agent sees for that state.
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any

from cuagym.browser import launch_kwargs
from cuagym.hub.client import HubClient
from cuagym.hub.launcher import HubProcess
from cuagym.hub.mail.seed import seed_state

OUT = Path(__file__).parent / "screenshots"


def views() -> dict[str, dict[str, Any]]:
    """File stem -> state of each view worth a picture."""
    base = seed_state()
    inbox = copy.deepcopy(base)
    inbox["ui"]["open_id"] = "m5"
    for m in inbox["messages"]:
        if m["id"] == "m5":
            m["read"] = True

    compose = copy.deepcopy(inbox)
    compose["ui"]["open_id"] = "m2"
    compose["ui"]["compose"] = {
        "mode": "reply", "to": "daniel.kim@acmerobotics.com", "cc": "", "subject": "Re: Integration timeline for Q2",
        "body": "Hi Daniel,\n\nApril 6 works for the sandbox, and yes: webhook retries use the same back-off "
                "schedule as the API (1, 5, 30 minutes, then hourly).\n\nBest,\nJordan\n\n"
                "On Wed, Mar 18, 2026 at 8:15 AM, Daniel Kim <daniel.kim@acmerobotics.com> wrote:\n> Hi Jordan,",
        "source_id": "m2", "draft_id": None,
    }

    search = copy.deepcopy(base)
    search["ui"].update({"search": "atlas", "search_text": "atlas", "checked": ["m1", "m40"], "menu": "label"})

    label = copy.deepcopy(base)
    label["ui"].update({"view": "label", "label_id": "l-personal", "open_id": "m13", "dialog": "new_folder",
                        "dialog_text": "Family"})
    return {"inbox": inbox, "compose": compose, "search_label_menu": search, "label_new_folder": label}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=OUT, help="folder for the PNG files")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with HubProcess(["mail"]) as hub, sync_playwright() as pw:
        client = HubClient(hub.urls["mail"], hub.admin_token)
        browser = pw.chromium.launch(**launch_kwargs())
        for stem, state in views().items():
            launch = client.set(f"shot-{stem}", state)["launch_url"]
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            page = ctx.new_page()
            page.goto(launch)
            page.wait_for_selector("body[data-cua-ready='1']")
            path = args.out / f"{stem}.png"
            page.screenshot(path=str(path))
            print(path)
            ctx.close()
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
