"""The kanban app's reference screenshots, each from a state set through the State API.

    python -m cuagym.hub.kanban.capture [OUT_DIR]      (default: hub/kanban/screenshots)

board, issue_dialog, create_dialog (with the label menu open) and list_filtered (list view
filtered by a label, assignee menu open): the seed plus a ``ui`` patch each; see
cuagym.hub.core.capture.
"""

from __future__ import annotations

from cuagym.hub.core import capture
from cuagym.hub.core.server import deep_merge
from cuagym.hub.kanban.seed import seed_state

UI_PATCHES: dict[str, dict] = {
    "board": {},
    "issue_dialog": {"ui": {"dialog": "issue", "selected_issue": "WEB-101"}},
    "create_dialog": {"ui": {"dialog": "create", "menu": "create-labels",
                             "create": {"title": "Show a banner when the API is degraded", "status": "in_progress",
                                        "priority": "high", "assignee": "marco", "labels": ["feature", "frontend"],
                                        "description": "Read the status page feed and show a dismissible banner."}}},
    "list_filtered": {"ui": {"view": "list", "filter_label": "bug", "menu": "filter-assignee"}},
}


def view_states() -> dict[str, dict]:
    """File stem -> the state that shows it: the seed with the view's patch merged in."""
    seed = seed_state()
    return {name: deep_merge(seed, patch) for name, patch in UI_PATCHES.items()}


def main(argv: list[str] | None = None) -> int:
    return capture.main("kanban", view_states, argv)


if __name__ == "__main__":
    raise SystemExit(main())
