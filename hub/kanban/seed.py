"""Default state of the kanban app: the "Web Platform" team of a small company mid-sprint.

Everything is written out or derived by fixed arithmetic, so every call returns the same state.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cuagym.hub.kanban.schema import KanbanState

NOW = dt.datetime(2026, 3, 12, 10, 30, 0)

MEMBERS = [
    ("maya", "Maya Chen", "#5e6ad2"),
    ("daniel", "Daniel Okafor", "#26b5ce"),
    ("sofia", "Sofia Lindqvist", "#f2994a"),
    ("arjun", "Arjun Mehta", "#4cb782"),
    ("lena", "Lena Fischer", "#eb5757"),
    ("tom", "Tom Becker", "#9b51e0"),
    ("priya", "Priya Raman", "#d4a017"),
    ("marco", "Marco Rossi", "#2d9cdb"),
]

LABELS = [
    ("bug", "Bug", "#eb5757"),
    ("feature", "Feature", "#5e6ad2"),
    ("improvement", "Improvement", "#4cb782"),
    ("frontend", "Frontend", "#26b5ce"),
    ("backend", "Backend", "#9b51e0"),
    ("design", "Design", "#f2994a"),
    ("performance", "Performance", "#d4a017"),
    ("docs", "Docs", "#8a8f98"),
]

# (number, title, status, priority, assignee, reporter, labels, due in days from today or None,
#  created days ago, description)
ISSUES: list[tuple] = [
    (101, "Checkout button stays disabled after fixing a card error", "todo", "urgent", "daniel", "lena",
     ["bug", "frontend"], 1, 3,
     "When the card number is corrected after a validation error, the Pay button never re-enables. "
     "Reproduced in Chrome and Safari. Users have to reload the page and lose the cart."),
    (102, "Add SSO login with Okta", "todo", "high", "arjun", "maya", ["feature", "backend"], 14, 9,
     "Enterprise customers asked for SAML SSO. Start with Okta, keep the provider code generic."),
    (103, "Dark mode for the settings pages", "todo", "low", None, "sofia", ["feature", "design"], None, 20,
     "Settings still render light when the app is in dark mode. Needs tokens for form controls."),
    (104, "Rate limit the public search API", "todo", "high", "tom", "arjun", ["backend", "performance"], 6, 5,
     "A single client sent 40k requests in ten minutes last Tuesday. Limit per API key and per IP."),
    (105, "Write migration guide for API v3", "todo", "medium", "priya", "maya", ["docs"], 21, 7,
     "Cover renamed fields, pagination cursors and the new error format, with before/after examples."),
    (106, "Empty state for the projects list", "todo", "low", "sofia", "sofia", ["design", "frontend"], None, 12,
     "New workspaces see a blank table. Add an illustration, a short explanation and a Create button."),
    (107, "Avatar upload fails for HEIC images", "todo", "medium", None, "lena", ["bug", "backend"], None, 2,
     "Photos from iPhones are rejected with a 415. Convert HEIC to JPEG on upload."),
    (108, "Keyboard shortcuts cheat sheet", "todo", "none", "marco", "marco", ["feature", "frontend"], None, 30,
     "Pressing ? should open an overlay listing every shortcut, grouped by page."),
    (109, "Audit third-party scripts on marketing pages", "todo", "medium", "lena", "tom",
     ["performance"], 10, 8,
     "Tag manager loads seven scripts before first paint. List them, their owners and what can go."),
    (110, "Timezone picker shows duplicate cities", "todo", "low", "daniel", "priya", ["bug", "frontend"], None, 16,
     "Kolkata and Calcutta both appear. Deduplicate by IANA zone and show the canonical name."),
    (111, "Export invoices as CSV", "todo", "medium", "arjun", "maya", ["feature", "backend"], 18, 4,
     "Finance wants a monthly CSV with invoice number, customer, amount, tax and status."),
    (112, "Onboarding checklist copy review", "todo", "none", None, "sofia", ["docs", "design"], None, 11,
     "Marketing rewrote the checklist steps; apply the new copy and check it fits on mobile."),
    (113, "Migrate image thumbnails to the new CDN", "in_progress", "high", "tom", "arjun",
     ["backend", "performance"], 4, 15,
     "Move thumbnail generation to the edge workers and switch URLs behind a feature flag."),
    (114, "Redesign the notification settings", "in_progress", "medium", "sofia", "maya",
     ["design", "frontend"], 8, 13,
     "Group notifications by channel, add per-project overrides, follow the new Figma file."),
    (115, "Session expires while editing long documents", "in_progress", "urgent", "daniel", "lena",
     ["bug", "backend"], -1, 6,
     "Refresh tokens are not rotated when the editor only sends websocket traffic. Users lose edits."),
    (116, "Bulk edit for issue labels", "in_progress", "medium", "maya", "maya", ["feature", "frontend"], 12, 10,
     "Select several issues in the list and add or remove labels in one go."),
    (117, "Reduce bundle size of the dashboard", "in_progress", "high", "marco", "tom",
     ["performance", "frontend"], 5, 9,
     "The dashboard ships 1.8 MB of JavaScript. Split the charts library and lazy-load the editor."),
    (118, "Webhooks retry with exponential backoff", "in_progress", "medium", "arjun", "priya", ["backend"], 9, 14,
     "Failed deliveries retry immediately three times. Use 1m, 5m, 30m, 2h, 12h and show attempts in the UI."),
    (119, "Accessibility pass on the billing page", "in_progress", "medium", "priya", "sofia",
     ["improvement", "frontend"], 7, 12,
     "Missing labels on the card fields, low contrast on the secondary buttons, focus order is off."),
    (120, "Search results ignore accented characters", "in_progress", "low", "lena", "daniel",
     ["bug", "backend"], None, 18,
     "Searching for 'resume' does not find 'résumé'. Normalise to NFKD and strip marks in the index."),
    (121, "Document the webhook signature check", "in_progress", "low", "priya", "arjun", ["docs"], 15, 5,
     "Add code samples in Python, Node and Go for verifying the HMAC header."),
    (122, "Two-factor recovery codes", "in_review", "high", "arjun", "lena", ["feature", "backend"], 2, 22,
     "Generate ten single-use codes when 2FA is enabled, allow regenerating them, log every use."),
    (123, "Fix flaky end-to-end test for sign-up", "in_review", "medium", "marco", "marco", ["bug"], None, 7,
     "The test waits for a toast that sometimes disappears before the assertion runs."),
    (124, "New pricing page layout", "in_review", "high", "sofia", "maya", ["design", "frontend"], 3, 17,
     "Three plans side by side, annual toggle, FAQ accordion below. Copy is final."),
    (125, "Cache team permissions per request", "in_review", "medium", "tom", "tom",
     ["performance", "backend"], None, 8,
     "The permissions query runs 14 times on the board page. Memoise it for the request lifetime."),
    (126, "Drag handle hard to see on small cards", "in_review", "low", "daniel", "sofia",
     ["improvement", "design"], None, 10,
     "Increase contrast of the handle and show it on focus, not only on hover."),
    (127, "Changelog entry for March release", "in_review", "none", "priya", "maya", ["docs"], 5, 3,
     "Summarise SSO, recovery codes and the pricing page. Link the migration guide."),
    (128, "Password reset email lands in spam", "in_review", "urgent", "lena", "daniel", ["bug", "backend"], 0, 4,
     "SPF record is missing the new mail provider. Also set a proper List-Unsubscribe header."),
    (129, "Set up error tracking for the mobile web app", "done", "high", "marco", "tom",
     ["improvement", "frontend"], -6, 28,
     "Report unhandled promise rejections with release and route, and upload source maps on deploy."),
    (130, "Upgrade PostgreSQL to version 17", "done", "high", "tom", "arjun", ["backend"], -9, 35,
     "Run the upgrade on a replica first, measure query plans for the top 20 statements."),
    (131, "Invite teammates from the onboarding flow", "done", "medium", "maya", "sofia",
     ["feature", "frontend"], -3, 26,
     "Add an optional step with up to five email fields and a copyable invite link."),
    (132, "Broken link in the API reference sidebar", "done", "low", "priya", "priya", ["docs", "bug"], None, 19,
     "The 'Errors' entry pointed to the old v1 page."),
    (133, "Speed up the activity feed query", "done", "medium", "arjun", "tom",
     ["performance", "backend"], -2, 21,
     "Add a composite index on (workspace_id, created_at) and stop counting total rows."),
    (134, "Update brand colours in email templates", "done", "low", "sofia", "maya", ["design"], -12, 33,
     "Use the new primary purple and the rounded logo in all transactional emails."),
    (135, "Crash when a project name contains an emoji", "done", "urgent", "daniel", "lena",
     ["bug", "backend"], -5, 14,
     "The slug generator raised on non-BMP characters. Transliterate or drop them."),
    (136, "Add favicon badge for unread notifications", "done", "none", "marco", "marco",
     ["feature", "frontend"], None, 40,
     "Draw the unread count on the favicon, capped at 9+."),
    (137, "Clarify refund policy in the help center", "done", "low", "priya", "lena", ["docs"], -8, 24,
     "Support gets the same question daily; make the 14-day window explicit."),
    (138, "Tooltip overlaps the date picker", "done", "low", "lena", "sofia", ["bug", "frontend", "design"], None, 16,
     "On narrow screens the help tooltip covers the month switcher."),
]

COMMENTS: dict[int, list[tuple[str, str, float]]] = {
    # issue number -> (author, text, hours before now)
    101: [("lena", "Happens on about 3% of checkouts according to the funnel, mostly mobile.", 70),
          ("daniel", "Found it: the error state is cleared but the form validity flag is cached. Fix is small.", 20),
          ("maya", "Thanks! Please add a regression test for the card and the expiry fields.", 3)],
    102: [("arjun", "Okta sandbox is set up. I will use the SAML library we already ship for Azure.", 48)],
    104: [("tom", "Proposal: 60 requests per minute per key, 20 per IP for anonymous calls.", 30),
          ("arjun", "Sounds good. Return Retry-After so the SDKs can back off.", 26)],
    113: [("tom", "Flag is live for 10% of workspaces. Cache hit rate is 96%.", 28)],
    115: [("daniel", "Reproduced with a 45 minute editing session. Working on token rotation over the socket.", 50),
          ("lena", "Two more support tickets today, both from the legal team.", 6)],
    117: [("marco", "Charts are now a separate chunk: -420 KB. Editor is next.", 12)],
    122: [("lena", "Can we show the codes only once and force a download?", 40),
          ("arjun", "Done. The PR also adds an audit log event for each code used.", 18)],
    124: [("maya", "Looks great. The annual toggle should default to yearly.", 9),
          ("sofia", "Updated, and the FAQ now opens the first question by default.", 4)],
    128: [("daniel", "Mail-tester score went from 4.1 to 9.6 after the SPF change on staging.", 22)],
    135: [("daniel", "Fixed and deployed. Added a property test with random unicode names.", 120)],
}


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def seed_state() -> dict[str, Any]:
    today = NOW.date()
    comment_no = 0
    issues = []
    for (num, title, status, priority, assignee, reporter, labels, due, created_days, desc) in ISSUES:
        comments = []
        for author, text, hours in COMMENTS.get(num, []):
            comment_no += 1
            comments.append({"id": f"C{comment_no}", "author": author, "body": text,
                             "created_at": _iso(NOW - dt.timedelta(hours=hours))})
        # Stagger creation times over the working day so the list is not all the same minute.
        created = NOW - dt.timedelta(days=created_days, hours=(num * 7) % 9, minutes=(num * 13) % 60)
        issues.append({
            "id": f"WEB-{num}", "title": title, "description": desc, "status": status,
            "priority": priority, "assignee": assignee, "reporter": reporter, "labels": list(labels),
            "due_date": None if due is None else (today + dt.timedelta(days=due)).isoformat(),
            "created_at": _iso(created), "comments": comments,
        })
    state = {
        "now": _iso(NOW),
        "workspace": "Northwind",
        "project": {"key": "WEB", "name": "Web Platform"},
        "current_user": "maya",
        "members": [{"id": i, "name": n, "email": f"{i}@northwind.dev", "color": c} for i, n, c in MEMBERS],
        "labels": [{"id": i, "name": n, "color": c} for i, n, c in LABELS],
        "issues": issues,
        "ui": {},
    }
    # Validation fills every ui default, so the seed spells out the whole state.
    return KanbanState.model_validate(state).model_dump(mode="json")
