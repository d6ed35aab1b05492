"""The mail app's reference screenshots, each from a state set through the State API.

    python -m cuagym.hub.mail.capture [OUT_DIR]      (default: hub/mail/screenshots)

inbox (a message open), compose (a reply being written), search_label_menu (search results with
two rows checked and the label menu open) and label_new_folder (a label view with the new-folder
dialog); see cuagym.hub.core.capture.
"""

from __future__ import annotations

import copy
from typing import Any

from cuagym.hub.core import capture
from cuagym.hub.mail.seed import seed_state


def view_states() -> dict[str, dict[str, Any]]:
    """File stem -> the state that shows it."""
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
    return capture.main("mail", view_states, argv)


if __name__ == "__main__":
    raise SystemExit(main())
