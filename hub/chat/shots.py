"""Take the chat app's reference screenshots through a real hub and Chromium.

    python -m cuagym.hub.chat.shots [OUT_DIR]

Writes main.png (channel view), thread.png (thread panel open), status_dialog.png (set
status dialog over a DM) and search.png (search results) at 1280x800, each from a state
injected through the State API, so the pictures are reproducible.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

from cuagym.browser import launch_kwargs
from cuagym.hub.chat.seed import seed_state
from cuagym.hub.client import HubClient
from cuagym.hub.launcher import HubProcess

OUT = Path(__file__).parent / "screenshots"


def views() -> dict[str, dict]:
    """Name -> state for each screenshot."""
    base = seed_state()
    out = {"main": copy.deepcopy(base)}

    thread = copy.deepcopy(base)
    thread["ui"].update(channel_id="c_engineering", panel="thread", thread_id=_thread_parent(thread, "c_engineering"))
    next(c for c in thread["channels"] if c["id"] == "c_engineering")["unread_count"] = 0
    thread["ui"]["drafts"] = {"c_engineering": "Thanks Marcus, I will update the release notes"}
    out["thread"] = thread

    status = copy.deepcopy(base)
    status["ui"].update(channel_id="d_priya", dialog="set_status",
                        status_form={"emoji": "coffee", "text": "In a meeting"})
    next(c for c in status["channels"] if c["id"] == "d_priya")["unread_count"] = 0
    out["status_dialog"] = status

    search = copy.deepcopy(base)
    search["ui"].update(view="search", search_text="export", search_query="export", panel="members")
    out["search"] = search
    return out


def _thread_parent(state: dict, channel_id: str) -> str:
    """The top-level message of ``channel_id`` with the most replies."""
    counts: dict[str, int] = {}
    for m in state["messages"]:
        if m["parent_id"] and m["channel_id"] == channel_id:
            counts[m["parent_id"]] = counts.get(m["parent_id"], 0) + 1
    return max(sorted(counts), key=lambda k: counts[k])


def take(out_dir: Path = OUT) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with HubProcess(["chat"]) as hub, sync_playwright() as p:
        client = HubClient(hub.urls["chat"], hub.admin_token)
        browser = p.chromium.launch(**launch_kwargs())
        try:
            for name, state in views().items():
                launch = client.set(f"shot-{name}", state)["launch_url"]
                ctx = browser.new_context(viewport={"width": 1280, "height": 800})
                page = ctx.new_page()
                page.goto(launch)
                page.wait_for_selector("body[data-cua-ready='1']")
                page.mouse.move(0, 799)  # keep hover effects out of the picture
                path = out_dir / f"{name}.png"
                page.screenshot(path=str(path))
                written.append(path)
                ctx.close()
        finally:
            browser.close()
    return written


if __name__ == "__main__":
    for p in take(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(p, p.stat().st_size)
