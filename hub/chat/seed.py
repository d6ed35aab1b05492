"""Deterministic seed state of the chat app: a 14-person product company's workspace.

The week runs Monday 2026-03-09 to Friday 2026-03-13; the app's clock stands at Friday
16:20. Every conversation below is written out by hand, so the seed is identical on every
call and reads like a real team's channels.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

NOW = "2026-03-13T16:20:00"
ME = "u_alex"
MONDAY = date(2026, 3, 9)

# id, display name, title, presence, status emoji, status text, avatar color
USERS = [
    ("u_alex", "Alex Morgan", "Product Manager", "active", None, "", "#2f6f9f"),
    ("u_priya", "Priya Natarajan", "Engineering Manager", "active", "coffee", "Back-to-back 1:1s", "#8e44ad"),
    ("u_marcus", "Marcus Chen", "Senior Backend Engineer", "active", None, "", "#16a085"),
    ("u_sofia", "Sofia Alvarez", "Product Designer", "active", "star", "Design review prep", "#d35400"),
    ("u_jamal", "Jamal Wright", "Frontend Engineer", "away", None, "", "#2c3e50"),
    ("u_hannah", "Hannah Becker", "Data Scientist", "active", None, "", "#c0392b"),
    ("u_liam", "Liam O'Connor", "DevOps Engineer", "active", "zap", "On call this week", "#27ae60"),
    ("u_emma", "Emma Johansson", "Marketing Lead", "away", "plane", "Travelling to Berlin", "#b7950b"),
    ("u_kenji", "Kenji Watanabe", "QA Engineer", "active", None, "", "#5d6d7e"),
    ("u_olivia", "Olivia Brooks", "Customer Support Lead", "active", "sun", "Working remotely", "#a04000"),
    ("u_daniel", "Daniel Kim", "Head of Sales", "away", None, "", "#1f618d"),
    ("u_fatima", "Fatima Rahman", "Recruiter", "active", None, "", "#7d3c98"),
    ("u_noah", "Noah Fischer", "Mobile Engineer", "active", "music", "Heads down", "#117864"),
    ("u_grace", "Grace Liu", "CEO", "active", None, "", "#922b21"),
]
EVERYONE = [u[0] for u in USERS]

# id, name, topic, description, private, members (None = everyone), starred, unread
CHANNELS = [
    ("c_general", "general", "Company-wide announcements and work-based matters",
     "This is the one channel that includes everyone.", False, None, True, 0),
    ("c_announcements", "announcements", "Important news from the leadership team",
     "Read-mostly. Please reply in threads.", False, None, False, 1),
    ("c_engineering", "engineering", "Backend, frontend and infra discussion | On call: @Liam",
     "Day-to-day engineering talk.", False,
     ["u_alex", "u_priya", "u_marcus", "u_jamal", "u_liam", "u_kenji", "u_noah", "u_hannah"], True, 4),
    ("c_design", "design", "Design crits every Thursday 11:00",
     "Work in progress, feedback and design system updates.", False,
     ["u_alex", "u_sofia", "u_jamal", "u_noah", "u_emma"], False, 2),
    ("c_product", "product", "Roadmap Q2 planning doc is pinned",
     "Product discussions, specs and roadmap.", False,
     ["u_alex", "u_priya", "u_sofia", "u_grace", "u_daniel", "u_olivia", "u_hannah"], False, 0),
    ("c_random", "random", "Non-work banter and water cooler conversation",
     "A place for non-work chatter.", False, None, False, 5),
    ("c_support", "support", "Escalations from the help desk. Tag @Olivia for P1s",
     "Customer issues that need engineering help.", False,
     ["u_alex", "u_olivia", "u_marcus", "u_kenji", "u_priya", "u_daniel"], False, 0),
    ("c_releases", "releases", "Release notes and deploy log",
     "Automated and manual release announcements.", False,
     ["u_alex", "u_priya", "u_marcus", "u_jamal", "u_liam", "u_kenji", "u_noah", "u_olivia"], False, 0),
    ("c_marketing", "marketing", "Launch plan for v4.2 | Webinar on Mar 26",
     "Campaigns, content and events.", False,
     ["u_alex", "u_emma", "u_daniel", "u_sofia", "u_grace"], False, 0),
    ("c_data-science", "data-science", "Churn model v3 experiments",
     "Analytics, experiments and dashboards.", True,
     ["u_alex", "u_hannah", "u_marcus", "u_priya"], False, 0),
    ("c_hiring", "hiring", "Open roles: Senior Frontend, Data Engineer",
     "Candidate pipeline and interview loops.", True,
     ["u_alex", "u_fatima", "u_priya", "u_grace", "u_jamal"], False, 0),
    ("c_incidents", "incidents", "Active incident: none",
     "Incident coordination. Start a thread per incident.", False,
     ["u_alex", "u_liam", "u_marcus", "u_priya", "u_olivia", "u_kenji"], False, 0),
]

# dm id, other member, unread
DMS = [
    ("d_priya", "u_priya", 2),
    ("d_sofia", "u_sofia", 0),
    ("d_marcus", "u_marcus", 1),
    ("d_emma", "u_emma", 0),
    ("d_jamal", "u_jamal", 0),
    ("d_grace", "u_grace", 0),
]

# Conversations: channel -> [(weekday 0=Mon..4=Fri, "HH:MM", author, text, reactions, replies, pinned, saved)]
# reactions: {emoji: [user ids]}; replies: [("HH:MM", author, text)], same day as the parent.
R = dict
CONVERSATIONS: dict[str, list[tuple]] = {
    "c_general": [
        (0, "09:02", "u_grace", "Good morning everyone! Quick reminder that the all-hands moves to Thursday 15:00 this week.",
         R(check=["u_priya", "u_sofia", "u_marcus", "u_emma"]), [], True, False),
        (0, "09:15", "u_olivia", "Support queue is down to 14 open tickets after the weekend. Thanks to everyone who jumped in!",
         R(heart=["u_grace", "u_alex"]), [], False, False),
        (1, "10:40", "u_fatima", "Please welcome Noah Fischer who joins the mobile team today. Say hi!",
         R(smile=["u_alex", "u_priya", "u_jamal", "u_sofia", "u_kenji"], heart=["u_grace"]),
         [("10:44", "u_noah", "Thanks all, happy to be here!"), ("10:52", "u_jamal", "Welcome Noah! Ping me for the RN setup.")],
         False, False),
        (2, "08:55", "u_liam", "The office Wi-Fi will be down for maintenance between 12:00 and 12:30 today.", R(), [], False, False),
        (2, "13:10", "u_emma", "We are hosting a customer webinar on March 26. Registration link is in #marketing.",
         R(star=["u_daniel"]), [], False, False),
        (3, "15:00", "u_grace", "All-hands is starting now, link in the calendar invite.", R(), [], False, False),
        (3, "16:05", "u_grace", "Thanks for joining the all-hands. Slides and recording are in the shared drive under Company/All-hands/2026-03.",
         R(check=["u_alex", "u_hannah"], heart=["u_olivia", "u_sofia"]),
         [("16:12", "u_daniel", "Great quarter recap, thanks Grace."), ("16:20", "u_alex", "The roadmap section is linked from #product too.")],
         True, False),
        (4, "09:30", "u_priya", "Friendly reminder: performance self-reviews are due next Wednesday.", R(check=["u_marcus"]), [], False, False),
        (4, "12:01", "u_kenji", "Lunch order for the office is going in at 12:30, add yourself to the sheet.", R(joy=["u_jamal"]), [], False, False),
        (4, "14:48", "u_olivia", "Shout-out to Marcus for fixing the export bug that three enterprise customers hit this week.",
         R(heart=["u_priya", "u_alex", "u_kenji"], star=["u_grace"]), [], False, False),
    ],
    "c_announcements": [
        (0, "08:30", "u_grace", "Q1 company goals are final. 1) Launch v4.2 2) Reduce churn below 3% 3) Hire 6 people.",
         R(check=["u_priya", "u_daniel", "u_emma"]), [], True, False),
        (2, "17:00", "u_fatima", "Benefits enrollment closes on March 31. Check your inbox for the portal link.", R(), [], False, False),
        (4, "11:15", "u_grace", "We closed the partnership with Lumen Health. Huge thanks to Daniel and the sales team!",
         R(star=["u_daniel", "u_emma"], heart=["u_olivia"]), [], False, False),
    ],
    "c_engineering": [
        (0, "10:05", "u_marcus", "Heads up: I am migrating the billing service to the new Postgres cluster tonight. Expect a 5 minute read-only window.",
         R(check=["u_liam", "u_priya"]),
         [("10:12", "u_liam", "I will be around to watch the dashboards."), ("10:20", "u_priya", "Please post in #incidents if anything looks off.")],
         False, False),
        (0, "14:22", "u_jamal", "Anyone else seeing flaky tests in the checkout e2e suite? Failing about 1 in 5 runs.", R(wow=["u_kenji"]),
         [("14:30", "u_kenji", "Yes, it is the payment iframe timeout. I have a fix in review."),
          ("14:41", "u_jamal", "Amazing, thanks Kenji.")], False, False),
        (1, "09:48", "u_liam", "CI runners were upgraded to 8 cores. Build times should drop by about 40%.",
         R(zap=["u_marcus", "u_jamal", "u_noah"], heart=["u_priya"]), [], False, False),
        (1, "11:30", "u_hannah", "Could someone review the events schema change for the churn model? PR #2281.", R(),
         [("11:55", "u_marcus", "Looking now."), ("12:10", "u_marcus", "Left two comments, otherwise looks good.")], False, False),
        (2, "10:02", "u_priya", "Architecture review for the notification service is moved to Thursday 14:00.", R(check=["u_marcus", "u_liam"]), [], True, False),
        (2, "15:35", "u_noah", "The iOS build is green again after the Xcode update.", R(check=["u_jamal"]), [], False, False),
        (3, "09:12", "u_marcus", "Billing migration is done. p95 latency went from 210 ms to 140 ms.",
         R(zap=["u_liam", "u_priya", "u_alex"], star=["u_hannah"]), [], False, True),
        (3, "13:50", "u_kenji", "Regression pass for v4.2 starts Monday. Please merge anything for the release by Friday 17:00.", R(), [], False, False),
        (4, "10:20", "u_jamal", "Dark mode PR is up: #2307. Screenshots in the description.", R(heart=["u_sofia"]),
         [("10:34", "u_sofia", "Looks great, small note on the sidebar contrast.")], False, False),
        (4, "13:05", "u_liam", "Rotating the staging database credentials at 15:00. Restart your local tunnels afterwards.", R(), [], False, False),
        (4, "15:40", "u_marcus", "Export endpoint now streams CSV instead of buffering it. Memory usage on the workers dropped by half.", R(), [], False, False),
        (4, "15:58", "u_priya", "Can someone pick up the flaky search indexing alert? It paged twice today.", R(), [], False, False),
        (4, "16:04", "u_noah", "I can take it after standup tomorrow.", R(), [], False, False),
        (4, "16:11", "u_liam", "The alert threshold is too tight, I will bump it to 5 minutes for now.", R(), [], False, False),
    ],
    "c_design": [
        (0, "11:00", "u_sofia", "New onboarding flow mockups are ready for feedback. Figma file: Onboarding v3.", R(heart=["u_alex", "u_emma"]),
         [("11:20", "u_alex", "Love the progress indicator. Can we cut step 3?"), ("11:34", "u_sofia", "Yes, I will merge it into step 2.")],
         True, False),
        (1, "15:15", "u_jamal", "The new button styles are in the component library. Please use variant=\"primary\" instead of the old class names.",
         R(check=["u_sofia", "u_noah"]), [], False, False),
        (2, "11:00", "u_sofia", "Design crit notes: empty states need illustrations, table density toggle approved.", R(), [], False, False),
        (3, "11:05", "u_emma", "Could we get a hero image for the v4.2 launch page by next Tuesday?", R(),
         [("11:30", "u_sofia", "Yes, I will share two options on Monday.")], False, False),
        (4, "15:50", "u_sofia", "Icon set v2 is published. 48 new icons, all on the 20px grid.", R(), [], False, False),
        (4, "16:02", "u_noah", "The mobile tab bar icons look much sharper now, thank you!", R(), [], False, False),
    ],
    "c_product": [
        (0, "13:00", "u_alex", "Q2 roadmap draft is in the product folder. Please comment by Wednesday.", R(check=["u_priya", "u_sofia", "u_grace"]),
         [("13:25", "u_priya", "Engineering capacity estimate added in the second tab."),
          ("14:02", "u_grace", "Looks good. Let's make SSO for teams the headline item.")], True, False),
        (1, "10:10", "u_olivia", "Top 3 feature requests from support this month: bulk edit, CSV import mapping, and audit log export.",
         R(check=["u_alex"]), [], False, True),
        (2, "09:40", "u_daniel", "Two enterprise prospects asked about SCIM provisioning. Is it on the Q2 list?", R(),
         [("09:52", "u_alex", "It is scoped for Q3, but we can share the beta plan with them.")], False, False),
        (3, "14:15", "u_hannah", "Churn analysis: accounts that use shared dashboards churn 40% less.", R(wow=["u_alex", "u_grace"], star=["u_sofia"]), [], False, False),
        (4, "10:45", "u_sofia", "Spec for bulk edit is ready for review.", R(), [], False, False),
    ],
    "c_random": [
        (0, "12:30", "u_kenji", "Who wants to join the Friday board game night? We have 6 so far.", R(smile=["u_jamal", "u_noah"]), [], False, False),
        (1, "08:45", "u_noah", "Found a great coffee place two blocks from the office: Kaffebar on Elm Street.", R(coffee=["u_priya", "u_liam", "u_kenji"]), [], False, False),
        (2, "12:15", "u_emma", "Photos from the team offsite are in the shared album.", R(heart=["u_sofia", "u_olivia", "u_grace"]), [], False, False),
        (3, "17:20", "u_jamal", "My cat just walked across the keyboard and pushed a commit. Reviewing it now.", R(joy=["u_marcus", "u_kenji", "u_hannah", "u_alex"]), [], False, False),
        (4, "12:40", "u_liam", "Spring is here, the terrace is open for lunch.", R(sun=["u_emma", "u_olivia"]), [], False, False),
        (4, "13:30", "u_hannah", "Book club pick for April: The Soul of a New Machine.", R(), [], False, False),
        (4, "14:10", "u_daniel", "Anyone up for a 5k run on Sunday morning?", R(), [], False, False),
        (4, "15:02", "u_olivia", "The kitchen fridge gets cleaned out at 17:00 today. Label your food!", R(), [], False, False),
        (4, "16:00", "u_kenji", "Board game night is on. 18:30 in the big meeting room.", R(), [], False, False),
    ],
    "c_support": [
        (0, "09:40", "u_olivia", "P2: Acme Corp cannot export reports larger than 10k rows. Ticket #8841.", R(),
         [("10:15", "u_marcus", "Reproduced. The export job times out after 60 s."),
          ("16:30", "u_marcus", "Fix deployed, the export now streams.")], False, False),
        (1, "14:05", "u_olivia", "Customer asked if we support SAML with Okta. Is that documented anywhere?", R(),
         [("14:20", "u_alex", "Yes, the guide is in the help center under Security > SSO.")], False, False),
        (3, "10:30", "u_kenji", "Verified the fix for #8841 on production with a 50k row export.", R(check=["u_olivia", "u_marcus"]), [], False, False),
        (4, "11:50", "u_daniel", "Lumen Health wants a walkthrough of audit logs next week. Who can join?", R(),
         [("12:05", "u_olivia", "I can take it, Tuesday works.")], False, False),
    ],
    "c_releases": [
        (1, "16:00", "u_kenji", "v4.1.3 released: fixes for the date picker and a memory leak in the editor.", R(check=["u_priya"]), [], False, False),
        (3, "16:30", "u_kenji", "v4.1.4 released: streaming CSV export, faster search indexing.", R(star=["u_olivia"]), [], False, False),
        (4, "09:00", "u_priya", "Code freeze for v4.2 is Friday 17:00. Release candidate on Monday.", R(), [], True, False),
    ],
    "c_marketing": [
        (0, "15:00", "u_emma", "Launch plan for v4.2 is in the marketing folder. Blog post, email and two webinars.", R(check=["u_daniel"]), [], True, False),
        (2, "10:20", "u_daniel", "Sales deck needs the new pricing slide before the webinar.", R(),
         [("10:35", "u_emma", "On it, will share a draft tomorrow.")], False, False),
        (3, "16:45", "u_emma", "Webinar registrations: 212 so far, target is 300.", R(star=["u_grace"]), [], False, False),
    ],
    "c_data-science": [
        (1, "09:30", "u_hannah", "Churn model v3 AUC is 0.87 on the holdout set, up from 0.81.", R(star=["u_alex", "u_priya"]), [], False, False),
        (3, "11:40", "u_marcus", "The events pipeline now backfills within 15 minutes.", R(), [], False, False),
    ],
    "c_hiring": [
        (0, "16:00", "u_fatima", "Senior Frontend loop for Maya Patel is Thursday. Panel: Jamal, Priya, Alex.", R(check=["u_jamal"]), [], False, False),
        (3, "18:10", "u_jamal", "Strong hire from me for Maya. Great system design answers.", R(), [], False, False),
        (4, "10:00", "u_fatima", "Offer for Maya goes out today.", R(heart=["u_priya", "u_grace"]), [], False, False),
    ],
    "c_incidents": [
        (1, "03:12", "u_liam", "SEV2: elevated 5xx on the API gateway. Investigating.", R(),
         [("03:25", "u_liam", "Root cause: a bad config push. Rolled back."), ("03:40", "u_liam", "Resolved. Postmortem on Wednesday.")],
         False, False),
        (2, "15:00", "u_priya", "Postmortem for Tuesday's SEV2 is published. Action items are assigned in the tracker.", R(check=["u_liam", "u_marcus"]), [], True, False),
    ],
    "d_priya": [
        (3, "09:05", "u_priya", "Do you have 15 minutes today to go through the Q2 capacity plan?", R(), [], False, False),
        (3, "09:07", "u_alex", "Sure, 14:30 works for me.", R(check=["u_priya"]), [], False, False),
        (4, "15:30", "u_priya", "Thanks for the notes. I updated the staffing tab.", R(), [], False, False),
        (4, "16:15", "u_priya", "Also, can you send me the final list of v4.2 features before Monday?", R(), [], False, False),
    ],
    "d_sofia": [
        (2, "14:00", "u_sofia", "Can I borrow you for a quick usability test on Thursday?", R(), [], False, False),
        (2, "14:06", "u_alex", "Absolutely, send me the invite.", R(heart=["u_sofia"]), [], False, False),
    ],
    "d_marcus": [
        (4, "16:08", "u_marcus", "The export fix is live. Let me know if support reports anything else.", R(), [], False, False),
    ],
    "d_emma": [
        (1, "13:20", "u_emma", "Could you review the v4.2 launch blog post draft?", R(), [], False, False),
        (1, "15:45", "u_alex", "Done, left comments in the doc. Looks great overall!", R(smile=["u_emma"]), [], False, False),
    ],
    "d_jamal": [
        (0, "17:30", "u_jamal", "I will be out Friday afternoon for a dentist appointment.", R(), [], False, False),
        (0, "17:34", "u_alex", "No problem, thanks for letting me know.", R(), [], False, False),
    ],
    "d_grace": [
        (2, "18:00", "u_grace", "Great job on the roadmap review today.", R(heart=["u_alex"]), [], False, False),
    ],
}


def _ts(weekday: int, hhmm: str) -> str:
    return f"{(MONDAY + timedelta(days=weekday)).isoformat()}T{hhmm}:00"


def _messages() -> list[dict[str, Any]]:
    rows: list[tuple[str, dict[str, Any]]] = []
    for channel_id, script in CONVERSATIONS.items():
        for day, hhmm, user, text, reactions, replies, pinned, saved in script:
            parent = {"channel_id": channel_id, "user_id": user, "ts": _ts(day, hhmm), "text": text,
                      "parent_id": None, "reactions": [{"id": k, "users": list(v)} for k, v in reactions.items()],
                      "pinned": pinned, "saved": saved, "edited": False}
            rows.append((parent["ts"], parent))
            for rh, ru, rt in replies:
                rows.append((_ts(day, rh), {"channel_id": channel_id, "user_id": ru, "ts": _ts(day, rh), "text": rt,
                                            "parent": parent, "reactions": [], "pinned": False, "saved": False,
                                            "edited": False}))
    # Ids follow send time across the workspace, the way a server would hand them out.
    rows.sort(key=lambda r: (r[0], r[1]["channel_id"]))
    for i, (_, m) in enumerate(rows, start=1):
        m["id"] = f"m{i}"
    out = []
    for _, m in rows:
        parent = m.pop("parent", None)
        m["parent_id"] = parent["id"] if parent is not None else m.get("parent_id")
        out.append(m)
    return out


def seed_state() -> dict[str, Any]:
    """A fresh copy of the default workspace, viewed by Alex Morgan in #general."""
    users = [{"id": i, "name": n, "title": t, "presence": p, "status_emoji": e, "status_text": s, "color": c}
             for i, n, t, p, e, s, c in USERS]
    channels = [{"id": cid, "kind": "channel", "name": name, "topic": topic, "description": desc,
                 "is_private": private, "members": list(members or EVERYONE), "starred": starred,
                 "unread_count": unread, "created": "2024-05-02T10:00:00"}
                for cid, name, topic, desc, private, members, starred, unread in CHANNELS]
    channels += [{"id": did, "kind": "dm", "name": "", "topic": "", "description": "", "is_private": True,
                  "members": [ME, other], "starred": False, "unread_count": unread, "created": "2024-06-10T09:00:00"}
                 for did, other, unread in DMS]
    return {
        "now": NOW,
        "workspace": "Northwind Labs",
        "current_user_id": ME,
        "users": users,
        "channels": channels,
        "messages": _messages(),
        "ui": {"view": "channel", "channel_id": "c_general", "panel": None, "thread_id": None, "menu": None,
               "emoji_picker_for": None, "dialog": None,
               "new_channel": {"name": "", "description": "", "is_private": False}, "topic_text": "",
               "status_form": {"emoji": None, "text": ""}, "search_text": "", "search_query": "",
               "drafts": {}, "thread_draft": "", "editing_id": None, "edit_text": "", "member_query": "",
               "starred_collapsed": False, "channels_collapsed": False, "dms_collapsed": False},
        "toast": None,
    }
