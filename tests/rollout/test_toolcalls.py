"""Tool-call parsing and rendering: both Qwen forms, frames, provider adapters, and
property-based tests that random text and random calls never crash the parser."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cuagym.actions import Action, ActionError, Geometry, convert, to_screen
from cuagym.rollout.toolcalls import (QWEN_ACTIONS, action_to_qwen, from_anthropic, from_openai, parse_turn,
                                      qwen_to_action, render_tool_call, to_openai)


def call(args: dict) -> str:
    return "<tool_call>" + json.dumps({"name": "computer_use", "arguments": args}) + "</tool_call>"


def test_json_and_xml_forms_give_the_same_actions():
    j = parse_turn(call({"action": "left_click", "coordinate": [120, 340]}) +
                   call({"action": "type", "text": "quarterly report"}) +
                   call({"action": "key", "keys": ["ctrl", "s"]}))
    x = parse_turn("<tool_call>\n<function=computer_use>\n<parameter=action>\nleft_click\n</parameter>\n"
                   "<parameter=coordinate>\n[120, 340]\n</parameter>\n</function>\n</tool_call>"
                   "<tool_call><function=computer_use><parameter=action>type</parameter>"
                   "<parameter=text>quarterly report</parameter></function></tool_call>"
                   "<tool_call><function=computer_use><parameter=action>key</parameter>"
                   "<parameter=keys>[\"ctrl\", \"s\"]</parameter></function></tool_call>")
    assert j.ok and x.ok, (j.errors, x.errors)
    assert j.actions == x.actions
    assert [a.type for a in j.actions] == ["click", "type", "keypress"]
    assert (j.actions[0].x, j.actions[0].y, j.actions[0].frame) == (120.0, 340.0, "relative_999")
    assert j.num_calls == 3


def test_frames_convert_to_screen_pixels():
    g = Geometry(screen=(1280, 800), image=(640, 400))
    img = parse_turn(call({"action": "left_click", "coordinate": [320, 200]}), frame="image").actions[0]
    rel = parse_turn(call({"action": "left_click", "coordinate": [999, 0]}), frame="relative_999").actions[0]
    a, b = to_screen(img, g), to_screen(rel, g)
    assert (a.x, a.y) == (640.0, 400.0)
    assert (b.x, b.y) == (1279.0, 0.0)
    back = convert(a, "image", g)
    assert (back.x, back.y) == (320.0, 200.0)
    with pytest.raises(ActionError, match="off screen.*0..639 x 0..399"):
        to_screen(parse_turn(call({"action": "left_click", "coordinate": [700, 10]}), frame="image").actions[0], g)


@pytest.mark.parametrize("text, fragment", [
    ("I think I should click the button.", "no tool call found"),
    ("<tool_call>{not json}</tool_call>", "not valid JSON"),
    (call({"action": "teleport"}), "unknown computer_use action 'teleport'"),
    (call({"action": "left_click"}), "needs coordinate"),
    (call({"action": "left_click", "coordinate": [1, "a"]}), "coordinate must be [x, y] numbers"),
    (call({"action": "key", "keys": 5}), "key needs keys"),
    (call({"action": "type"}), "type needs non-empty text"),
    (call({"action": "left_click_drag", "coordinate": [5, 5]}), "start_coordinate"),
    ("<tool_call>" + json.dumps({"name": "browser", "arguments": {}}) + "</tool_call>", "unknown tool 'browser'"),
    ("<tool_call>[1, 2]</tool_call>", "must be an object"),
    ("<tool_call><function=computer_use><parameter=action>left_click", "needs coordinate"),
])
def test_malformed_output_is_an_error_never_an_exception(text, fragment):
    turn = parse_turn(text)
    assert not turn.ok and not turn.actions
    assert any(fragment in e for e in turn.errors), turn.errors


def test_good_calls_survive_next_to_bad_ones():
    turn = parse_turn(call({"action": "left_click", "coordinate": [1, 2]}) + "<tool_call>oops</tool_call>" +
                      call({"action": "terminate", "status": "success"}))
    assert [a.type for a in turn.actions] == ["click", "terminate"] and len(turn.errors) == 1
    assert turn.terminated and turn.num_calls == 3


def test_unterminated_last_call_is_still_read():
    turn = parse_turn("thinking...\n<tool_call>\n" + json.dumps(
        {"name": "computer_use", "arguments": {"action": "double_click", "coordinate": [10, 20]}}))
    assert turn.ok and turn.actions[0].type == "double_click"


def test_scroll_signs_follow_qwen_convention():
    up = parse_turn(call({"action": "scroll", "coordinate": [5, 5], "pixels": 300})).actions[0]
    assert (up.dx, up.dy) == (0.0, -300.0)  # positive pixels scroll up: the wheel moves by -300
    assert action_to_qwen(up)["pixels"] == 300


ACTIONS = [
    Action("click", x=10, y=20, frame="relative_999"), Action("right_click", x=1, y=2, frame="relative_999"),
    Action("double_click", x=3, y=4, frame="relative_999"), Action("move", x=5, y=6, frame="relative_999"),
    Action("drag", path=((1, 2), (30, 40)), frame="relative_999"),
    Action("scroll", x=7, y=8, dy=-200, frame="relative_999"), Action("type", text="héllo \"quoted\"\nline"),
    Action("keypress", keys=("ctrl", "a")), Action("wait", seconds=2.0), Action("terminate", status="failure"),
]


@pytest.mark.parametrize("action", ACTIONS, ids=[a.type for a in ACTIONS])
def test_render_then_parse_round_trips(action):
    turn = parse_turn(render_tool_call(action), frame="relative_999")
    assert turn.ok, turn.errors
    assert turn.actions == [action]


def test_openai_and_anthropic_adapters():
    assert from_openai({"type": "click", "x": 5, "y": 6, "button": "right"}).type == "right_click"
    assert from_openai({"type": "keypress", "keys": ["CTRL", "L"]}).keys == ("CTRL", "L")
    drag = from_openai({"type": "drag", "path": [{"x": 1, "y": 2}, {"x": 3, "y": 4}]})
    assert drag.path == ((1, 2), (3, 4)) and drag.frame == "screen"
    for a in (Action("click", x=1, y=2), Action("scroll", x=1, y=2, dx=0, dy=50), Action("type", text="x"),
              Action("keypress", keys=("Enter",)), Action("drag", path=((0, 0), (5, 5))), Action("wait", seconds=1)):
        assert from_openai(to_openai(a)) == a
    s = from_anthropic({"action": "scroll", "coordinate": [10, 10], "scroll_direction": "up", "scroll_amount": 2})
    assert (s.dx, s.dy) == (0, -200)
    assert from_anthropic({"action": "key", "text": "ctrl+s"}).keys == ("ctrl+s",)
    assert from_anthropic({"action": "left_click_drag", "start_coordinate": [1, 1], "coordinate": [2, 2]}).path \
        == ((1.0, 1.0), (2.0, 2.0))
    with pytest.raises(ActionError, match="unsupported OpenAI"):
        from_openai({"type": "screenshot"})
    with pytest.raises(ActionError, match="unsupported Anthropic"):
        from_anthropic({"action": "zoom"})


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=400))
def test_random_text_never_crashes(text):
    turn = parse_turn(text)
    assert turn.ok or turn.errors
    for a in turn.actions:
        a.check()


json_values = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) |
                           st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20),
                           lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c, max_size=4),
                           max_leaves=10)


@settings(max_examples=400, deadline=None)
@given(action=st.sampled_from(sorted(QWEN_ACTIONS) + ["nope", ""]),
       extra=st.dictionaries(st.sampled_from(["coordinate", "start_coordinate", "text", "keys", "pixels", "time",
                                              "status"]), json_values, max_size=4),
       xml=st.booleans())
def test_random_tool_calls_never_crash(action, extra, xml):
    args = {"action": action, **extra}
    if xml:
        body = "<function=computer_use>" + "".join(
            f"<parameter={k}>{json.dumps(v) if not isinstance(v, str) else v}</parameter>" for k, v in args.items()
        ) + "</function>"
        text = f"<tool_call>{body}</tool_call>"
    else:
        try:
            text = "<tool_call>" + json.dumps({"name": "computer_use", "arguments": args}) + "</tool_call>"
        except ValueError:
            return
    turn = parse_turn(text, frame="relative_999")
    assert len(turn.actions) + len(turn.errors) == 1
    for a in turn.actions:
        a.check()  # everything that parses is a valid action


def test_qwen_to_action_rejects_non_objects():
    with pytest.raises(ActionError):
        qwen_to_action(["left_click"], "image")
