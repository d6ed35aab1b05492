"""The default state of the notes app: one person's notebooks and about forty notes.

Fixed data (no randomness), so every fresh session starts from the same state and the same
pixels. Bodies use the editor's plain-text markers: ``# `` and ``## `` headings, ``- ``
bullets, ``**bold**`` and ``_italic_`` lines.
"""

from __future__ import annotations

from typing import Any

NOW = "2026-03-18T10:30:00"

# id, name, parent_id, color
NOTEBOOKS = [
    ("nb1", "Personal", None, "blue"),
    ("nb2", "Recipes", "nb1", "orange"),
    ("nb3", "Travel", "nb1", "teal"),
    ("nb4", "Work", None, "purple"),
    ("nb5", "Meetings", "nb4", "purple"),
    ("nb6", "Projects", "nb4", "green"),
    ("nb7", "Q2 Launch", "nb6", "red"),
    ("nb8", "Reading", None, "yellow"),
    ("nb9", "Journal", None, "pink"),
    ("nb10", "Learning", None, "teal"),
    ("nb11", "Archive", None, "gray"),
]

# id, notebook, title, tags, pinned, created_at, updated_at, trashed_at, body
NOTES = [
    ("n1", "nb5", "Weekly sync — platform team", ["meeting", "platform"], True,
     "2026-03-16T09:00:00", "2026-03-17T16:42:00", None,
     "# Weekly sync\nAttendees: Maya, Jonas, Priya, Leo\n\n## Decisions\n- Freeze the v2 API on **March 27**\n"
     "- Move the billing migration to sprint 14\n\n## Action items\n- Jonas: draft the deprecation notice\n"
     "- Priya: load test the new ingest path\n- Maya: update the roadmap doc\n\n_Next sync: Monday 9:00_"),
    ("n2", "nb2", "Sourdough starter schedule", ["baking", "routine"], True,
     "2026-02-02T08:15:00", "2026-03-15T08:05:00", None,
     "# Feeding schedule\n- Morning: discard all but 50 g\n- Feed 50 g flour + 50 g water\n"
     "- Evening: check rise (should double in 6-8 h)\n\n**Keep at 24-26 °C**\n\nBake day: levain at 9 pm, mix at 8 am."),
    ("n3", "nb7", "Launch checklist", ["launch", "todo"], True,
     "2026-03-02T10:00:00", "2026-03-18T09:12:00", None,
     "# Q2 launch checklist\n## Product\n- Final copy review\n- Pricing page live behind flag\n"
     "- In-app announcement\n## Engineering\n- Feature flags default off\n- Rollback runbook signed off\n"
     "- On-call rota for launch week\n## Marketing\n- Blog post scheduled\n- Newsletter segment ready"),
    ("n4", "nb3", "Lisbon trip — May", ["travel", "planning"], False,
     "2026-01-20T19:30:00", "2026-03-14T21:10:00", None,
     "# Lisbon, 12-18 May\n## Stay\nAlfama apartment, check-in after 15:00\n\n## Ideas\n- Tram 28 early morning\n"
     "- Pastéis in Belém\n- Day trip to Sintra (book Pena Palace tickets)\n- Time Out Market for dinner\n\n"
     "_Remember the travel adapter_"),
    ("n5", "nb8", "Thinking, Fast and Slow — notes", ["books", "psychology"], False,
     "2026-01-05T22:00:00", "2026-02-28T22:45:00", None,
     "# Thinking, Fast and Slow\n**System 1** is fast and intuitive; **System 2** is slow and deliberate.\n\n"
     "## Ideas worth keeping\n- Anchoring: the first number frames every estimate after it\n"
     "- The planning fallacy: use the outside view\n- Loss aversion is roughly 2:1\n\n"
     "_Re-read chapter 23 before the planning offsite._"),
    ("n6", "nb5", "1:1 with Jonas", ["meeting", "1on1"], False,
     "2026-03-11T14:00:00", "2026-03-11T14:35:00", None,
     "# 1:1 — Jonas\n- Wants to lead the API deprecation work\n- Feels stretched by on-call\n"
     "- Interested in the staff engineer track\n\n## Follow-ups\n- Share the promotion rubric\n"
     "- Swap his on-call week in April"),
    ("n7", "nb6", "Search relevance project", ["search", "platform"], False,
     "2026-02-10T11:00:00", "2026-03-13T17:20:00", None,
     "# Search relevance\nGoal: lift click-through on the first result from 41% to 50%.\n\n## Plan\n"
     "- Collect 2,000 labelled queries\n- Try BM25 + learned re-ranker\n- A/B test for two weeks\n\n"
     "**Owner:** Priya  \n**Status:** labelling in progress"),
    ("n8", "nb9", "March 17", ["daily"], False,
     "2026-03-17T22:10:00", "2026-03-17T22:31:00", None,
     "Long day. The launch review went better than expected — Leo's demo carried it.\n\n"
     "Ran 5 km along the river after work. Legs are still sore from Sunday.\n\n_Grateful for:_ quiet evening, good soup."),
    ("n9", "nb2", "Weeknight lentil soup", ["recipe", "vegetarian"], False,
     "2026-01-14T18:40:00", "2026-03-09T19:02:00", None,
     "# Lentil soup (4 servings)\n## Ingredients\n- 250 g red lentils\n- 1 onion, 2 carrots, 2 garlic cloves\n"
     "- 1 tsp cumin, 1 tsp smoked paprika\n- 1.2 l vegetable stock\n- Juice of half a lemon\n\n## Method\n"
     "Soften the vegetables, add spices, then lentils and stock. Simmer 20 min. Blend half.\n\n**Finish with lemon.**"),
    ("n10", "nb10", "Rust ownership cheat sheet", ["rust", "programming"], False,
     "2026-02-21T20:00:00", "2026-03-12T21:15:00", None,
     "# Ownership\n- Each value has exactly one owner\n- Moving transfers ownership\n- `&T` shared borrow, `&mut T` unique borrow\n\n"
     "## Lifetimes\nA reference must not outlive the value it points to.\n\n_Practice: rewrite the CLI parser without clones._"),
    ("n11", "nb1", "Gift ideas", ["family", "shopping"], False,
     "2025-12-01T12:00:00", "2026-03-10T12:30:00", None,
     "# Gift ideas\n## Mum (birthday 2 April)\n- Ceramics class voucher\n- The new Elena Ferrante\n\n## Erik\n"
     "- Bike light set\n- Climbing gym 10-pass\n\n## Grandpa\n- Photo book from the summer house"),
    ("n12", "nb7", "Pricing page copy", ["launch", "copy"], False,
     "2026-03-05T15:00:00", "2026-03-16T11:48:00", None,
     "# Pricing\n## Starter — free\nFor individuals getting started.\n\n## Team — €12 per seat\n"
     "Shared notebooks, version history, admin controls.\n\n## Enterprise — talk to us\nSSO, audit log, custom retention.\n\n"
     "_Legal still has to approve the retention wording._"),
    ("n13", "nb5", "Design review: onboarding", ["meeting", "design"], False,
     "2026-03-09T13:00:00", "2026-03-09T14:10:00", None,
     "# Onboarding design review\n- Cut the setup wizard from 5 steps to 3\n- Templates gallery moves to step 2\n"
     "- Empty states need illustrations\n\n**Open question:** do we ask for the team size at sign-up?"),
    ("n14", "nb8", "Books to read in 2026", ["books", "list"], False,
     "2026-01-01T10:00:00", "2026-03-08T09:00:00", None,
     "# Reading list 2026\n- **The Overstory** — Richard Powers\n- Project Hail Mary — Andy Weir\n"
     "- The Design of Everyday Things\n- Braiding Sweetgrass\n- A Psalm for the Wild-Built\n- Four Thousand Weeks\n\n_Finished: 3 of 12_"),
    ("n15", "nb4", "OKRs — Q2 draft", ["planning", "okr"], False,
     "2026-03-03T09:30:00", "2026-03-07T16:00:00", None,
     "# Q2 objectives\n## O1: Ship the v2 API\n- KR: 80% of traffic on v2 by June 30\n- KR: p95 latency under 120 ms\n\n"
     "## O2: Make search great\n- KR: first-result CTR 50%\n\n## O3: Healthy on-call\n- KR: fewer than 4 pages per week"),
    ("n16", "nb9", "March 15", ["daily"], False,
     "2026-03-15T21:00:00", "2026-03-15T21:20:00", None,
     "Sunday. Hike to the lake with Erik, 14 km. Packed lunch, saw two herons.\n\nStarted the new sourdough loaf — "
     "crumb still too tight. _Try a longer bulk ferment._"),
    ("n17", "nb10", "Spanish vocabulary — week 10", ["spanish", "language"], False,
     "2026-03-06T07:30:00", "2026-03-06T08:00:00", None,
     "# Semana 10\n- el andén — platform\n- la madrugada — early morning\n- aprovechar — to make the most of\n"
     "- el alquiler — rent\n- quedarse — to stay\n\n_Review on Friday with the flashcards._"),
    ("n18", "nb6", "Billing migration", ["billing", "platform"], False,
     "2026-02-16T10:00:00", "2026-03-05T18:30:00", None,
     "# Billing migration\nMove invoices from the legacy Postgres schema to the ledger service.\n\n## Risks\n"
     "- Double charging during cut-over\n- Tax rounding differences\n\n## Steps\n- Dual-write for 2 weeks\n"
     "- Reconcile nightly\n- Switch reads, then stop old writes"),
    ("n19", "nb1", "Apartment to-do", ["home", "todo"], False,
     "2026-02-08T11:00:00", "2026-03-04T20:15:00", None,
     "# Apartment\n- Fix the dripping kitchen tap\n- Book the chimney sweep\n- Return the drill to Sofia\n"
     "- **Renew home insurance (due 31 March)**\n- Hang the shelves in the hallway"),
    ("n20", "nb3", "Packing list — weekend", ["travel", "list"], False,
     "2025-11-20T18:00:00", "2026-03-03T19:45:00", None,
     "# Weekend packing\n- Rain jacket\n- Charger + power bank\n- Toiletries\n- Two books (one is too many)\n- Running shoes"),
    ("n21", "nb5", "All-hands notes — March", ["meeting", "company"], False,
     "2026-03-02T16:00:00", "2026-03-02T17:05:00", None,
     "# All-hands, 2 March\n- Revenue up 18% quarter over quarter\n- Two new hires in Platform\n"
     "- Office move pushed to September\n\n_Slides are in the shared drive._"),
    ("n22", "nb8", "The Pragmatic Programmer — quotes", ["books", "programming"], False,
     "2026-02-12T21:30:00", "2026-02-27T22:10:00", None,
     "# Quotes\n- \"Don't live with broken windows.\"\n- \"Crash early.\"\n- \"Use tracer bullets to find the target.\"\n\n"
     "**Tip 17:** Eliminate effects between unrelated things."),
    ("n23", "nb2", "Shakshuka", ["recipe", "breakfast"], False,
     "2026-02-01T10:30:00", "2026-02-25T10:50:00", None,
     "# Shakshuka\n## Ingredients\n- 6 eggs\n- 2 tins tomatoes\n- 1 red pepper, 1 onion\n- Cumin, paprika, chili flakes\n- Feta and coriander\n\n"
     "Cook the sauce 15 min, make wells, crack the eggs, lid on for 6-8 min."),
    ("n24", "nb7", "Launch risks", ["launch", "risk"], False,
     "2026-02-20T09:00:00", "2026-02-24T09:00:00", None,
     "# Risks\n- Load spike from the newsletter\n- Payment provider rate limits\n- Support team capacity on day one\n\n"
     "_Mitigation plan due Friday._"),
    ("n25", "nb10", "Statistics refresher", ["math", "learning"], False,
     "2026-01-28T19:00:00", "2026-02-22T20:30:00", None,
     "# Statistics\n- **Mean** is sensitive to outliers, **median** is not\n- Standard error = sd / sqrt(n)\n"
     "- A 95% interval is about mean ± 1.96 SE\n\n## A/B tests\nDecide the sample size before the test starts."),
    ("n26", "nb9", "February review", ["monthly", "reflection"], False,
     "2026-02-28T20:00:00", "2026-02-28T20:40:00", None,
     "# February\n## Went well\n- Ran 62 km in total\n- Shipped the ingest rewrite\n\n## To improve\n"
     "- Too many late evenings\n- Call grandpa more often"),
    ("n27", "nb4", "Hiring plan", ["hiring", "planning"], False,
     "2026-02-05T10:00:00", "2026-02-20T15:00:00", None,
     "# Hiring 2026\n- 2 backend engineers (Platform)\n- 1 product designer\n- 1 data engineer (H2)\n\n"
     "**Interview loop:** screen, system design, pairing, values."),
    ("n28", "nb1", "Passwords & accounts cleanup", ["admin", "todo"], False,
     "2026-01-10T20:00:00", "2026-02-18T20:20:00", None,
     "# Accounts cleanup\n- Turn on 2FA for the bank\n- Close the old streaming account\n- Move recovery codes to the safe"),
    ("n29", "nb3", "Japan 2025 — memories", ["travel", "memories"], False,
     "2025-10-30T21:00:00", "2026-02-15T21:30:00", None,
     "# Japan, October 2025\n- Kyoto at 6 am, Fushimi Inari with nobody else there\n- The tiny ramen bar in Shinjuku\n"
     "- Onsen in Hakone in the rain\n\n_Print the photos for the hallway._"),
    ("n30", "nb6", "Ingest pipeline rewrite — retro", ["retro", "platform"], False,
     "2026-02-13T15:00:00", "2026-02-13T16:00:00", None,
     "# Retro\n## Keep\n- Small PRs behind flags\n- Daily load tests\n## Change\n- Start the docs earlier\n"
     "- Fewer parallel branches"),
    ("n31", "nb10", "Touch typing progress", ["habits"], False,
     "2026-01-03T08:00:00", "2026-02-10T08:10:00", None,
     "- Week 1: 42 wpm\n- Week 3: 51 wpm\n- Week 6: 63 wpm\n\n**Goal:** 75 wpm by June."),
    ("n32", "nb2", "Cardamom buns", ["baking", "recipe"], False,
     "2025-12-12T14:00:00", "2026-02-07T15:30:00", None,
     "# Cardamom buns\n- 500 g flour, 75 g sugar, 1 tbsp ground cardamom\n- 25 g fresh yeast, 250 ml milk, 75 g butter\n\n"
     "Knot, rest 45 min, bake 10 min at 225 °C. _Brush with syrup while warm._"),
    ("n33", "nb8", "Article: the case for boring technology", ["articles", "programming"], False,
     "2026-01-25T22:00:00", "2026-01-25T22:20:00", None,
     "Every team gets about three innovation tokens. Spend them on what sets the product apart.\n\n"
     "**Takeaway:** pick Postgres until it hurts."),
    ("n34", "nb9", "New year intentions", ["reflection"], False,
     "2026-01-01T11:00:00", "2026-01-02T09:00:00", None,
     "# 2026\n- Read 12 books\n- Run a half marathon\n- Learn enough Spanish for a conversation\n- Fewer screens after 10 pm"),
    ("n35", "nb4", "Conference talk ideas", ["speaking", "ideas"], False,
     "2025-12-20T17:00:00", "2026-01-15T18:00:00", None,
     "- What we learned running two APIs at once\n- Search relevance on a small team\n- On-call without burnout"),
    ("n36", "nb1", "Car service", ["car"], False,
     "2025-11-05T09:00:00", "2025-11-05T09:15:00", None,
     "Service booked at Nordby Motors. Winter tyres in the storage unit, slot B12."),
    # In the trash.
    ("n37", "nb5", "Old standup notes", ["meeting"], False,
     "2025-12-01T09:30:00", "2025-12-01T09:45:00", "2026-03-12T10:00:00",
     "- Blocked on staging deploys\n- Waiting for the security review"),
    ("n38", "nb2", "Failed bread experiment", ["baking"], False,
     "2026-02-20T17:00:00", "2026-02-20T17:10:00", "2026-03-01T09:20:00",
     "Too much rye, loaf did not rise. Do not repeat."),
    ("n39", "nb1", "Untitled draft", [], False,
     "2026-03-10T23:00:00", "2026-03-10T23:01:00", "2026-03-16T08:00:00",
     "asdf"),
    ("n40", "nb7", "Launch date options (superseded)", ["launch"], False,
     "2026-02-25T12:00:00", "2026-02-26T12:00:00", "2026-03-05T14:30:00",
     "- 14 April\n- 21 April\n- 5 May\n\nSuperseded by the checklist."),
]


def seed_state() -> dict[str, Any]:
    notebooks = [{"id": i, "name": name, "parent_id": parent, "color": color, "expanded": True}
                 for i, name, parent, color in NOTEBOOKS]
    notes = [{"id": i, "notebook_id": nb, "title": title, "body": body, "tags": list(tags), "pinned": pinned,
              "trashed": trashed_at is not None, "created_at": created, "updated_at": updated,
              "trashed_at": trashed_at}
             for i, nb, title, tags, pinned, created, updated, trashed_at, body in NOTES]
    return {
        "now": NOW,
        "user": {"name": "Maya Lindqvist", "email": "maya@lindqvist.me"},
        "last_ids": {"note": len(NOTES), "notebook": len(NOTEBOOKS)},
        "notebooks": notebooks,
        "notes": notes,
        "ui": {"view": "all", "notebook_id": None, "tag": None, "selected_note": "n3", "search": "",
               "sort": "updated", "page": 1, "tag_draft": "", "dialog": None, "dialog_name": "",
               "dialog_parent": None, "dialog_target": None, "menu": None,
               "selection": {"start": 0, "end": 0}, "toast": None},
    }
