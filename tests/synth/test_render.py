"""States and diffs as text for a model: budgets respected, changes kept visible."""

from __future__ import annotations

import json

from cuagym.synth.render import render_diff, render_state


def test_long_text_changes_keep_the_change_visible():
    body = "# Weekly sync\n" + "line of notes\n" * 40
    line = render_diff({"notes.n1.body": {"old": body, "new": body + " (edited)"}}, 2000)
    assert line.startswith("notes.n1.body: ...(") and line.endswith('(edited)"') and len(line) < 260
    mid = render_diff({"t": {"old": "a" * 100 + "cat" + "b" * 100, "new": "a" * 100 + "dog" + "b" * 100}}, 2000)
    assert '"' + "a" * 40 + "cat" + "b" * 40 + '"' in mid and '"' + "a" * 40 + "dog" + "b" * 40 + '"' in mid
    assert render_diff({"x": {"old": 1, "new": None}, "a.b": {"old": "s", "new": "t"}}, 100) == \
        'a.b: "s" -> "t"\nx: 1 -> null'
    assert render_diff({}, 100) == "(no change)"


def test_diff_budget_counts_what_is_left_out():
    diff = {f"k{i:02d}": {"old": i, "new": i + 1} for i in range(50)}
    text = render_diff(diff, 100)
    assert len(text) < 160 and text.splitlines()[-1].startswith("... ") and "more changed fields" in text


def test_state_abbreviation_cuts_lists_longest_first_and_says_so():
    state = {"mails": [{"id": f"m{i}", "subject": "s" * 30} for i in range(200)], "ui": {"view": "inbox"}}
    full = render_state(state, 10 ** 6)
    assert json.loads(full) == state
    short = render_state(state, 3000)
    body, note = short.rsplit("\n", 1)
    assert len(body) <= 3000 and note.startswith("(abbreviated: lists cut to")
    assert json.loads(body)["ui"] == {"view": "inbox"} and json.loads(body)["mails"][-1].endswith("more items")
