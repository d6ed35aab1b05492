"""The default mailbox a fresh mail session starts from.

One work account with a few weeks of realistic mail: colleagues, a client, family,
receipts, travel bookings, newsletters and some spam, spread over the system folders and
two custom folders, with labels, stars, attachments, drafts and sent replies. Fully
deterministic: the same dict every call.
"""

from __future__ import annotations

import re
from typing import Any

NOW = "2026-03-18T10:30:00"
ME = ("Jordan Lee", "jordan.lee@northwind.io")

# Short keys for the people and services that write to this mailbox.
PEOPLE: dict[str, tuple[str, str]] = {
    "priya": ("Priya Raman", "priya.raman@northwind.io"),
    "marcus": ("Marcus Webb", "marcus.webb@northwind.io"),
    "elena": ("Elena Sokolova", "elena.sokolova@northwind.io"),
    "lucas": ("Lucas Moreau", "lucas.moreau@northwind.io"),
    "hr": ("Northwind People Team", "people@northwind.io"),
    "it": ("IT Helpdesk", "helpdesk@northwind.io"),
    "daniel": ("Daniel Kim", "daniel.kim@acmerobotics.com"),
    "rachel": ("Rachel Ortiz", "rachel.ortiz@acmerobotics.com"),
    "sarah": ("Sarah Lee", "sarah.lee@homemail.net"),
    "linda": ("Linda Lee", "linda.lee@homemail.net"),
    "grace": ("Grace Oduya", "grace.oduya@homemail.net"),
    "nina": ("Nina Alvarez", "nina@alvarezphoto.com"),
    "dental": ("Bright Smile Dental", "appointments@brightsmiledental.com"),
    "skyline": ("Skyline Airways", "bookings@skylineair.com"),
    "harbor": ("Harbor Hotels", "reservations@harborhotels.com"),
    "parcelly": ("Parcelly", "updates@parcelly.com"),
    "cedar": ("Cedar Bank", "alerts@cedarbank.com"),
    "flowdesk": ("Flowdesk", "billing@flowdesk.app"),
    "gym": ("Harbor Fitness", "hello@harborfitness.com"),
    "weekly": ("Data Engineering Weekly", "newsletter@dataengweekly.com"),
    "meetly": ("Meetly", "no-reply@meetly.com"),
    "prize": ("Rewards Center", "winner@claim-prize-now.biz"),
    "crypto": ("Alex from CoinBoost", "alex@coinboost-profits.xyz"),
    "pharma": ("Online Pharmacy", "deals@cheap-meds-online.info"),
    "books": ("Pageturn Books", "orders@pageturnbooks.com"),
}

FOLDERS = [
    {"id": "f-receipts", "name": "Receipts"},
    {"id": "f-travel", "name": "Travel"},
]

LABELS = [
    {"id": "l-work", "name": "Work", "color": "blue"},
    {"id": "l-atlas", "name": "Project Atlas", "color": "purple"},
    {"id": "l-finance", "name": "Finance", "color": "orange"},
    {"id": "l-personal", "name": "Personal", "color": "green"},
    {"id": "l-urgent", "name": "Urgent", "color": "red"},
]


_LIST_ITEM = re.compile(r"^(\s|-|\d+\.|>)")


def _unwrap(text: str) -> str:
    """Join the soft-wrapped lines of prose paragraphs (written here at ~100 columns) so the
    reading pane wraps them to its own width; short lines, list items and tables stay as typed."""
    lines = text.split("\n")
    out: list[str] = []
    for line in lines:
        if out and len(out[-1]) >= 70 and line and not _LIST_ITEM.match(line) and not _LIST_ITEM.match(out[-1]):
            out[-1] += " " + line
        else:
            out.append(line)
    return "\n".join(out)


def _msg(mid: str, folder: str, sender: str, subject: str, date: str, body: str, *, read: bool = True,
         starred: bool = False, labels: tuple[str, ...] = (), to: tuple[str, ...] = ("me",),
         cc: tuple[str, ...] = (), attachments: tuple[tuple[str, int], ...] = (),
         in_reply_to: str | None = None) -> dict[str, Any]:
    name, email = ME if sender == "me" else PEOPLE[sender]

    def addr(key: str) -> str:
        return ME[1] if key == "me" else PEOPLE[key][1]

    return {
        "id": mid, "folder": folder, "from_name": name, "from_email": email,
        "to": [addr(k) for k in to], "cc": [addr(k) for k in cc],
        "subject": subject, "body": _unwrap(body.strip("\n")), "date": date, "read": read, "starred": starred,
        "labels": list(labels),
        "attachments": [{"id": f"a{i + 1}", "name": n, "size_kb": kb} for i, (n, kb) in enumerate(attachments)],
        "in_reply_to": in_reply_to,
    }


def _messages() -> list[dict[str, Any]]:
    return [
        # ---- Inbox, newest first -------------------------------------------------------------
        _msg("m1", "inbox", "priya", "Atlas launch review moved to Thursday", "2026-03-18T09:42:00", """
Hi Jordan,

Quick heads-up: the Atlas launch review is moving from Wednesday to Thursday at 2:00 PM, since
Rachel's team can't make it today. Same room (Harbor 4B), same agenda.

Could you bring the updated rollout checklist and the latency numbers from last week's load test?
If the p95 is still above 300 ms we should talk about whether to gate the launch on the cache fix.

Thanks,
Priya
""", read=False, starred=True, labels=("l-work", "l-atlas", "l-urgent"), cc=("marcus",)),
        _msg("m2", "inbox", "daniel", "Re: Integration timeline for Q2", "2026-03-18T08:15:00", """
Hi Jordan,

Thanks for the detailed plan. Our engineering team reviewed it yesterday and we are aligned on the
three-phase rollout. Two questions before we sign off:

1. Can the sandbox environment be ready by April 6 rather than April 13?
2. Will the webhook retries follow the same back-off schedule as the current API?

If both work for you, I will send the signed SOW by end of week.

Best regards,
Daniel Kim
Director of Platform, Acme Robotics
""", read=False, labels=("l-work",), cc=("rachel",)),
        _msg("m3", "inbox", "it", "Scheduled maintenance: VPN on Saturday", "2026-03-18T07:30:00", """
Hello everyone,

The corporate VPN will be unavailable on Saturday, March 21, from 06:00 to 09:00 while we upgrade the
gateways. Office Wi-Fi and cloud apps are not affected.

No action is needed. If you plan to work remotely during that window, please use the web versions
of our tools.

IT Helpdesk
""", read=False),
        _msg("m4", "inbox", "sarah", "Dinner on Sunday?", "2026-03-17T21:04:00", """
Hey!

Mom's birthday is on Sunday and I was thinking we could all do dinner at that Lebanese place on
Fifth Street. 7 pm? I can book a table for six if you're in.

Also, can you pick up the cake from Rosie's on the way? I'll pay you back.

xx Sarah
""", read=False, labels=("l-personal",)),
        _msg("m5", "inbox", "marcus", "Load test results (cache fix branch)", "2026-03-17T18:22:00", """
Jordan,

Ran the load test again on the cache-fix branch with 2,000 concurrent clients:

  p50  84 ms   (was 97 ms)
  p95 241 ms   (was 338 ms)
  p99 612 ms   (was 905 ms)
  errors 0.02% (was 0.11%)

Full report attached. I think this is good enough to merge before the review. Let me know if you
want me to run the soak test overnight as well.

Marcus
""", labels=("l-work", "l-atlas"), attachments=(("loadtest-2026-03-17.pdf", 842), ("latency.csv", 36))),
        _msg("m6", "inbox", "cedar", "Your March statement is ready", "2026-03-17T16:00:00", """
Dear Jordan Lee,

Your statement for the period ending March 15, 2026 is now available in online banking.

Account ending in 4821
Statement balance: $2,418.63
Minimum payment due: $35.00
Payment due date: April 10, 2026

This is an automated message. Please do not reply.

Cedar Bank
""", labels=("l-finance",)),
        _msg("m7", "inbox", "elena", "New onboarding screens for review", "2026-03-17T15:41:00", """
Hi Jordan,

I've put the revised onboarding flow in the design file: the welcome screen now has a single call
to action, and the workspace setup is down from five steps to three.

Could you check the copy on the permissions step? I'm not sure "Connect your data sources" is clear
enough for non-technical users.

Thanks!
Elena
""", labels=("l-work",), attachments=(("onboarding-v3.png", 1240),)),
        _msg("m8", "inbox", "parcelly", "Your package is out for delivery", "2026-03-17T09:12:00", """
Good news! Your package from Pageturn Books is out for delivery today.

Tracking number: PC 8837 2210 5543
Estimated delivery: by 8:00 PM

You can change delivery options in the Parcelly app.
"""),
        _msg("m9", "inbox", "hr", "Reminder: submit your Q1 self-review", "2026-03-16T14:00:00", """
Hi Jordan,

A friendly reminder that Q1 self-reviews are due on Friday, March 27. It takes about 20 minutes:
open the People portal, choose "Reviews", then "Q1 2026 self-review".

Your manager, Priya Raman, will schedule a 1:1 to go over it in early April.

Northwind People Team
""", read=False),
        _msg("m10", "inbox", "grace", "Book club: April pick", "2026-03-16T11:37:00", """
Hi all,

Thanks for a lovely evening last week! For April, the votes are in and we're reading
"The Remains of the Day". We'll meet on April 14 at my place, 7:30 pm.

Please bring a snack to share. Let me know if you can't make it.

Grace
""", to=("me", "sarah"), labels=("l-personal",)),
        _msg("m11", "inbox", "lucas", "Can you review my PR for the export service?", "2026-03-16T10:05:00", """
Hey Jordan,

When you have a moment, could you review my pull request for the CSV export service? It adds
streaming so large exports no longer time out, plus tests for the pagination edge cases.

It's about 400 lines, mostly tests. No rush, but it would be nice to get it into this sprint.

Cheers,
Lucas
""", labels=("l-work",)),
        _msg("m12", "inbox", "weekly", "Data Engineering Weekly #212: Streaming joins in practice", "2026-03-16T07:00:00", """
This week in Data Engineering Weekly:

- Streaming joins in practice: lessons from three production pipelines
- Why your data lake needs a table format
- A gentle introduction to incremental view maintenance
- Tooling roundup: five new open-source schedulers

Read the full issue on our website. You are receiving this because you subscribed at
dataengweekly.com. Unsubscribe at any time.
"""),
        _msg("m13", "inbox", "linda", "Photos from the weekend", "2026-03-15T19:48:00", """
Hi sweetheart,

Here are the photos from our walk along the lake on Saturday. Your dad says the one with the
heron is going on the fridge.

Are you still coming over for Sarah's dinner plans on Sunday? Don't forget a jacket, it's supposed
to get cold.

Love,
Mom
""", starred=True, labels=("l-personal",), attachments=(("lake-walk-1.jpg", 2310), ("lake-walk-2.jpg", 2104))),
        _msg("m14", "inbox", "rachel", "Security questionnaire for Acme procurement", "2026-03-14T16:30:00", """
Hi Jordan,

Our procurement team needs the attached security questionnaire completed before we can finalise
the contract. Most questions are about data retention, encryption at rest and SSO support.

Would it be possible to return it by March 25?

Kind regards,
Rachel Ortiz
Procurement, Acme Robotics
""", starred=True, labels=("l-work",), cc=("daniel",), attachments=(("acme-security-questionnaire.docx", 118),)),
        _msg("m15", "inbox", "meetly", "Invitation: Atlas weekly sync (Mondays 10:00)", "2026-03-14T09:00:00", """
Priya Raman has invited you to a recurring meeting.

Atlas weekly sync
Every Monday, 10:00 - 10:30
Location: Harbor 4B / video link in the invite

Accept, decline or propose a new time from your calendar.
""", labels=("l-atlas",)),
        _msg("m16", "inbox", "dental", "Appointment reminder: March 24", "2026-03-13T12:00:00", """
Hello Jordan,

This is a reminder of your dental cleaning appointment:

Tuesday, March 24, 2026 at 8:30 AM
Dr. Helen Marsh, Bright Smile Dental, 210 Oak Avenue

Please reply to this email or call us at (555) 201-3300 if you need to reschedule.
"""),
        _msg("m17", "inbox", "marcus", "Lunch tomorrow?", "2026-03-12T12:47:00", """
Want to grab lunch tomorrow? The new ramen place near the station finally opened. 12:15?
"""),
        _msg("m18", "inbox", "gym", "Your membership renews on April 1", "2026-03-12T08:00:00", """
Hi Jordan,

Your Harbor Fitness annual membership renews automatically on April 1, 2026 at $480.00.

To change your plan or cancel, visit the member portal before March 31.

See you at the gym!
""", labels=("l-finance",)),
        _msg("m19", "inbox", "priya", "Headcount plan for H2", "2026-03-11T17:10:00", """
Jordan,

Attached is the draft headcount plan for the second half. I've pencilled in two backend engineers
and one data engineer for your team. Please sanity-check the start dates and let me know by Monday
if anything looks off.

This is still confidential, please don't forward it.

Priya
""", labels=("l-work",), attachments=(("h2-headcount-draft.xlsx", 64),)),
        _msg("m20", "inbox", "nina", "Quote for the team photos", "2026-03-10T13:25:00", """
Hi Jordan,

Thanks for reaching out! For a half-day session at your office (up to 25 headshots plus a few
group shots), my rate is $1,150, including editing and delivery within 7 days.

I have availability on April 8 and April 15. Let me know which works best.

Best,
Nina Alvarez
Alvarez Photography
""", labels=("l-work",)),
        _msg("m21", "inbox", "flowdesk", "Your Flowdesk trial ends in 3 days", "2026-03-09T10:00:00", """
Hi Jordan,

Your 14-day Flowdesk trial ends on March 12. Upgrade to Team to keep your boards, automations and
integrations. Plans start at $8 per user per month.

Questions? Reply to this email and our team will help.
"""),
        _msg("m22", "inbox", "elena", "Re: Icon set licence", "2026-03-06T15:02:00", """
Confirmed with legal: the icon set is licensed for commercial use across all our products, no
attribution needed. I've added the licence file to the shared drive.

Elena
""", labels=("l-work",)),
        _msg("m23", "inbox", "weekly", "Data Engineering Weekly #211: The cost of small files", "2026-03-09T07:00:00", """
This week in Data Engineering Weekly:

- The cost of small files, and how to compact them
- Column-level lineage without the hype
- Interview: running a data platform team of three

Read the full issue on our website.
"""),
        _msg("m24", "inbox", "hr", "Office closed on Friday, April 3", "2026-03-05T11:00:00", """
Hi all,

A reminder that the office will be closed on Friday, April 3 for the spring holiday. Enjoy the long
weekend!

Northwind People Team
"""),
        _msg("m25", "inbox", "lucas", "Team offsite ideas", "2026-03-04T16:45:00", """
Hi Jordan,

For the May offsite I've shortlisted three options:

- A cabin by Lake Merrow (2 nights, sleeps 14)
- A day of sailing plus dinner in the harbour
- The climbing gym and a cooking class

Happy to set up a poll if you like any of these.

Lucas
""", labels=("l-work",)),
        _msg("m26", "inbox", "daniel", "Intro call follow-up", "2026-02-26T10:20:00", """
Jordan,

Great speaking with you today. As promised, here is our current architecture overview and the list
of systems we'd like to connect in the first phase.

Looking forward to the proposal.

Daniel
""", labels=("l-work",), attachments=(("acme-architecture.pdf", 1533),)),
        _msg("m27", "inbox", "sarah", "Re: Spare key", "2026-02-20T18:30:00", """
Got it, thanks! I'll leave the spare key with your neighbour on Tuesday.
""", labels=("l-personal",)),

        # ---- Sent -----------------------------------------------------------------------------
        _msg("m40", "sent", "me", "Atlas rollout checklist (draft)", "2026-03-17T17:05:00", """
Hi Priya,

Here's the draft rollout checklist for Atlas. I've marked the items that still need an owner in
yellow. Marcus is re-running the load test tonight with the cache fix.

Jordan
""", to=("priya",), labels=("l-atlas",), attachments=(("atlas-rollout-checklist.pdf", 211),)),
        _msg("m41", "sent", "me", "Re: Integration timeline for Q2", "2026-03-16T16:40:00", """
Hi Daniel,

Please find the proposed timeline below:

Phase 1 (Apr 13 - May 8): sandbox, authentication, read-only sync
Phase 2 (May 11 - Jun 5): webhooks and write-back
Phase 3 (Jun 8 - Jun 26): production cut-over and monitoring

Happy to walk your team through it on a call.

Best,
Jordan
""", to=("daniel",), cc=("rachel",), labels=("l-work",)),
        _msg("m42", "sent", "me", "Re: Book club: March pick", "2026-03-10T20:15:00", """
Count me in! I'll bring the lemon bars.
""", to=("grace",)),
        _msg("m43", "sent", "me", "Team photos", "2026-03-09T09:30:00", """
Hi Nina,

We're looking for a photographer for updated team headshots at our office (about 25 people).
Could you send a quote and your availability in April?

Thanks,
Jordan Lee
Northwind Analytics
""", to=("nina",)),
        _msg("m44", "sent", "me", "Spare key", "2026-02-20T17:55:00", """
Hi Sarah, I'm away from Tuesday to Friday. Could you water the plants? The spare key is in the
blue envelope.
""", to=("sarah",)),

        # ---- Drafts ---------------------------------------------------------------------------
        _msg("m50", "drafts", "me", "Re: Quote for the team photos", "2026-03-17T12:10:00", """
Hi Nina,

Thanks for the quote. April 15 would work best for us. Could you
""", to=("nina",), in_reply_to="m20"),
        _msg("m51", "drafts", "me", "Offsite budget", "2026-03-15T10:02:00", """
Priya, rough numbers for the May offsite:
""", to=("priya",)),

        # ---- Archive --------------------------------------------------------------------------
        _msg("m60", "archive", "priya", "Welcome to the Atlas team", "2026-01-12T09:00:00", """
Hi Jordan,

Welcome aboard! I've added you to the Atlas channels and the weekly sync. Your first week plan is in
the onboarding doc; Marcus will be your buddy.

Priya
""", labels=("l-atlas",)),
        _msg("m61", "archive", "hr", "Your benefits enrolment is confirmed", "2026-01-15T13:00:00", """
Hi Jordan, your health and dental plan selections have been saved. Coverage starts February 1.
"""),
        _msg("m62", "archive", "marcus", "Notes from the architecture review", "2026-02-02T16:20:00", """
Summary of decisions:
- Keep Postgres as the system of record
- Move the export jobs to the queue workers
- Revisit the cache layer after the Q1 load tests
""", labels=("l-work", "l-atlas")),
        _msg("m63", "archive", "linda", "Recipe you asked for", "2026-02-08T18:00:00", """
Here's Grandma's lentil soup recipe. The secret is a squeeze of lemon at the end!
""", labels=("l-personal",), attachments=(("lentil-soup.pdf", 88),)),
        _msg("m64", "archive", "it", "Your new laptop is ready for pickup", "2026-01-13T10:30:00", """
Your laptop is ready at the IT desk on floor 3. Please bring your badge.
"""),

        # ---- Receipts (custom folder) -----------------------------------------------------------
        _msg("m70", "f-receipts", "books", "Order confirmation #PT-55120", "2026-03-14T20:11:00", """
Thanks for your order!

1 x "Designing Data-Intensive Applications"   $42.99
1 x "The Remains of the Day"                   $14.50
Shipping                                         $4.99
Total                                           $62.48
""", labels=("l-finance",)),
        _msg("m71", "f-receipts", "flowdesk", "Receipt for your payment", "2026-02-12T10:00:00", """
Receipt #FD-20931
Flowdesk Starter, monthly: $12.00
Paid with card ending 4821
""", labels=("l-finance",), attachments=(("flowdesk-receipt-FD-20931.pdf", 41),)),
        _msg("m72", "f-receipts", "gym", "Payment received", "2026-02-01T08:00:00", """
We received your payment of $40.00 for February. Thank you!
"""),
        _msg("m73", "f-receipts", "skyline", "Your e-receipt: booking SKY7Q2", "2026-02-22T14:35:00", """
Booking reference: SKY7Q2
Fare: $318.40
Taxes and fees: $61.22
Total charged: $379.62
""", labels=("l-finance",)),

        # ---- Travel (custom folder) -------------------------------------------------------------
        _msg("m80", "f-travel", "skyline", "Your trip to Denver: booking SKY7Q2", "2026-02-22T14:30:00", """
Hi Jordan,

Your flights are confirmed.

Outbound  Thu, Apr 9   SA 214   07:45 -> 10:05
Return    Sat, Apr 11  SA 219   18:20 -> 22:40

Check in online 24 hours before departure.
""", starred=True, attachments=(("itinerary-SKY7Q2.pdf", 156),)),
        _msg("m81", "f-travel", "harbor", "Reservation confirmed: Harbor Hotel Denver", "2026-02-22T15:02:00", """
Dear Jordan Lee,

Your reservation is confirmed.

Check-in: Thursday, April 9, 2026 (from 3:00 PM)
Check-out: Saturday, April 11, 2026 (by 11:00 AM)
Room: King, non-smoking
Confirmation number: HH-448120
"""),
        _msg("m82", "f-travel", "lucas", "Denver conference schedule", "2026-03-02T11:15:00", """
Jordan, here's the talk schedule for the Denver conference. Our session is on Friday at 11:30.
""", labels=("l-work",), attachments=(("denver-schedule.pdf", 302),)),

        # ---- Spam -----------------------------------------------------------------------------
        _msg("m90", "spam", "prize", "Congratulations! You have been selected", "2026-03-17T03:12:00", """
Dear valued customer, you have been selected to receive a $1,000 gift card. Click the link below
and enter your card details to claim your prize within 24 hours.
""", read=False),
        _msg("m91", "spam", "crypto", "Turn $250 into $10,000 in a week", "2026-03-15T22:40:00", """
Our trading robot has a 98% win rate. Join thousands of happy investors today!
""", read=False),
        _msg("m92", "spam", "pharma", "Limited offer: 80% off", "2026-03-11T05:55:00", """
Best prices online. No prescription needed. Fast and discreet shipping.
"""),

        # ---- Trash ----------------------------------------------------------------------------
        _msg("m95", "trash", "weekly", "Data Engineering Weekly #210: Backfills without tears", "2026-03-02T07:00:00", """
This week: backfills without tears, partition pruning explained, and a look at open table formats.
"""),
        _msg("m96", "trash", "meetly", "Canceled: Vendor demo", "2026-03-03T09:30:00", """
This event has been canceled by the organiser.
"""),
        _msg("m97", "trash", "parcelly", "Delivery attempted", "2026-02-27T16:05:00", """
We tried to deliver your package but nobody was home. We'll try again tomorrow.
"""),
    ]


def seed_state() -> dict[str, Any]:
    """A new copy of the default mailbox."""
    return {
        "now": NOW,
        "account": {"name": ME[0], "email": ME[1]},
        "folders": [dict(f) for f in FOLDERS],
        "labels": [dict(lb) for lb in LABELS],
        "messages": _messages(),
        "ui": {
            "view": "folder", "folder_id": "inbox", "label_id": None, "page": 1, "open_id": None,
            "checked": [], "search_text": "", "search": "", "compose": None, "dialog": None,
            "dialog_text": "", "menu": None,
        },
        "toast": None,
    }
