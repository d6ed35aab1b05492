"""The chat app's reference screenshots, each from a state set through the State API.

    python -m cuagym.hub.chat.capture [OUT_DIR]      (default: hub/chat/screenshots)

main (channel view), thread (thread panel open), status_dialog (set-status dialog over a DM) and
search (search results); see cuagym.hub.core.capture.
"""

from __future__ import annotations

import copy

from cuagym.hub.chat.seed import seed_state
from cuagym.hub.core import capture


def view_states() -> dict[str, dict]:
    """File stem -> the state that shows it."""
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


def main(argv: list[str] | None = None) -> int:
    # The pointer is parked in the bottom-left corner to keep hover effects out of the pictures.
    return capture.main("chat", view_states, argv, park_mouse=(0, 799))


if __name__ == "__main__":
    raise SystemExit(main())
