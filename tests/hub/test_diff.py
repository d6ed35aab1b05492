"""The flat dotted-path diff of /go, against hand-written expectations."""

from cuagym.hub.core.diff import state_diff


def test_scalars_nested_and_unchanged():
    a = {"x": 1, "n": {"y": "a", "z": [1, 2]}, "same": {"k": 1}}
    b = {"x": 2, "n": {"y": "b", "z": [1, 3]}, "same": {"k": 1}}
    assert state_diff(a, b) == {"x": {"old": 1, "new": 2}, "n.y": {"old": "a", "new": "b"},
                                "n.z.1": {"old": 2, "new": 3}}
    assert state_diff(a, a) == {}


def test_lists_of_objects_with_ids_match_by_id():
    a = {"mails": [{"id": "m1", "read": False}, {"id": "m2", "read": False}, {"id": "m3", "read": True}]}
    b = {"mails": [{"id": "m2", "read": True}, {"id": "m3", "read": True}]}
    # Deleting m1 is one removal, not every later mail shifting by one index.
    assert state_diff(a, b) == {"mails.m1.id": {"old": "m1", "new": None},
                                "mails.m1.read": {"old": False, "new": None},
                                "mails.m2.read": {"old": False, "new": True}}


def test_added_subtree_reports_leaves_and_empty_containers():
    assert state_diff({}, {"a": {"b": 1, "c": [5]}}) == {"a.b": {"old": None, "new": 1},
                                                         "a.c.0": {"old": None, "new": 5}}
    assert state_diff({}, {"e": []}) == {"e": {"old": None, "new": []}}
    assert state_diff({"l": [1, 2, 3]}, {"l": [1]}) == {"l.1": {"old": 2, "new": None},
                                                        "l.2": {"old": 3, "new": None}}


def test_transient_keys_are_skipped_by_name_or_path():
    a = {"toast": "saved", "ui": {"hover": "x", "view": "inbox"}, "items": [{"id": "1", "hover": 0}]}
    b = {"toast": "sent", "ui": {"hover": "y", "view": "sent"}, "items": [{"id": "1", "hover": 1}]}
    assert state_diff(a, b, ["toast", "ui.hover", "items.*.hover"]) == {"ui.view": {"old": "inbox", "new": "sent"}}


def test_number_and_bool_types():
    assert state_diff({"x": 1}, {"x": 1.0}) == {}
    assert state_diff({"x": True}, {"x": 1}) == {"x": {"old": True, "new": 1}}
    assert state_diff({"x": None}, {"x": 0}) == {"x": {"old": None, "new": 0}}


def test_duplicate_ids_fall_back_to_index():
    a = {"l": [{"id": 1, "v": 1}, {"id": 1, "v": 2}]}
    b = {"l": [{"id": 1, "v": 1}, {"id": 1, "v": 3}]}
    assert state_diff(a, b) == {"l.1.v": {"old": 2, "new": 3}}


def test_encoded_diff_equals_the_leaf_walk_on_random_edits():
    """/go diffs only the top-level members whose JSON text changed; the result must be the
    full walk's, including number/bool swaps, reordered keys and added or removed members."""
    import copy
    import random

    from cuagym.hub.core.diff import encode_top, join_encoded, state_diff_encoded

    rng = random.Random(7)
    base = {"mails": [{"id": f"m{i}", "read": bool(i % 2), "n": i, "tags": ["a", "b"][: i % 3]} for i in range(30)],
            "ui": {"view": "inbox", "hover": 1}, "count": 1, "flag": True, "toast": "", "nested": {"x": {"y": [1, 2]}}}
    edits = [
        lambda s: s.__setitem__("count", 1.0),          # 1 -> 1.0 is no change, though the text differs
        lambda s: s.__setitem__("flag", 1),             # True -> 1 is a change, though ==
        lambda s: s["mails"][rng.randrange(30)].__setitem__("read", 1 if rng.random() < .5 else False),
        lambda s: s["mails"].pop(rng.randrange(len(s["mails"]))),
        lambda s: s["mails"].append({"id": "new", "read": False}),
        lambda s: s.__setitem__("ui", {"hover": 1, "view": "inbox"}),  # same value, other key order
        lambda s: s.__setitem__("ui", dict(s["ui"], hover=2)),
        lambda s: s.pop("nested", None),
        lambda s: s.__setitem__("added", {"k": [1, {"z": None}]}),
        lambda s: s.__setitem__("toast", "sent"),
        lambda s: s["nested"]["x"]["y"].append(3) if "nested" in s else None,
        lambda s: s["mails"][rng.randrange(len(s["mails"]))].__setitem__("tags", ["z"]),  # transient below
        lambda s: s["mails"][rng.randrange(len(s["mails"]))].__setitem__("n", -1),
    ]
    for trial in range(200):
        new = copy.deepcopy(base)
        for _ in range(rng.randint(0, 4)):
            rng.choice(edits)(new)
        skip = ["toast", "ui.hover", "mails.*.tags"]
        want = state_diff(base, new, skip)
        got = state_diff_encoded(base, new, encode_top(base), encode_top(new), skip)
        assert got == want and list(got) == list(want), trial
    import json
    assert json.loads(join_encoded(encode_top(base))) == base
    assert join_encoded(encode_top(base)) == json.dumps(base, separators=(",", ":"), ensure_ascii=False)
