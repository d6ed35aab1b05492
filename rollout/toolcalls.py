"""Parse model output into actions, and render actions as tool calls.

Qwen models call the ``computer_use`` tool in one of two forms inside ``<tool_call>`` tags:

    <tool_call>{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [412, 96]}}</tool_call>

    <tool_call><function=computer_use><parameter=action>left_click</parameter>
    <parameter=coordinate>[412, 96]</parameter></function></tool_call>

Coordinates are in the frame the prompt announced: pixels of the screenshot the model saw
(``image``) or the 0..999 grid (``relative_999``). A turn may hold several calls; they run in
order. Nothing here raises on model output: every problem becomes an error string the
agent loop records, counts and shows to the model in its next observation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from cuagym.actions import Action, ActionError

TOOL_NAME = "computer_use"
TOOL_CALL_RE = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.S)
XML_FUNC_RE = re.compile(r"<function=([^>\s]+)>(.*?)(?:</function>|\Z)", re.S)
XML_PARAM_RE = re.compile(r"<parameter=([^>\s]+)>(.*?)(?:</parameter>|(?=<parameter=)|\Z)", re.S)
MAX_CALLS_PER_TURN = 16

# Qwen computer_use action names -> internal action types.
QWEN_ACTIONS = {
    "left_click": "click", "click": "click", "right_click": "right_click", "middle_click": "click",
    "double_click": "double_click", "mouse_move": "move", "left_click_drag": "drag", "scroll": "scroll",
    "hscroll": "scroll", "type": "type", "key": "keypress", "wait": "wait", "terminate": "terminate",
}
SCROLL_UNIT_PX = 100  # one scroll "click" of a Qwen or Anthropic scroll amount, in pixels


@dataclass
class ParsedTurn:
    """The actions of one model turn, with every problem found on the way."""

    actions: list[Action] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    num_calls: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def terminated(self) -> bool:
        return any(a.type == "terminate" for a in self.actions)


def _coord(value: Any, name: str) -> tuple[float, float]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            nums = re.findall(r"-?\d+(?:\.\d+)?", value)
            value = [float(n) for n in nums]
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise ActionError(f"{name} must be [x, y] numbers, got {value!r}")
    return float(value[0]), float(value[1])


def _number(value: Any, name: str) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ActionError(f"{name} must be a number, got {value!r}") from None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ActionError(f"{name} must be a number, got {value!r}")
    return float(value)


def qwen_to_action(args: Any, frame: str) -> Action:
    """Arguments of one ``computer_use`` call -> an internal action (ActionError if invalid)."""
    if not isinstance(args, dict):
        raise ActionError(f"arguments must be a JSON object, got {type(args).__name__}")
    name = args.get("action")
    if name not in QWEN_ACTIONS:
        raise ActionError(f"unknown computer_use action {name!r}; valid: {', '.join(QWEN_ACTIONS)}")
    kind = QWEN_ACTIONS[name]
    if kind in ("click", "right_click", "double_click", "move"):
        if "coordinate" not in args:
            raise ActionError(f"{name} needs coordinate [x, y]")
        x, y = _coord(args["coordinate"], "coordinate")
        button = "middle" if name == "middle_click" else "left"
        a = Action(kind, x=x, y=y, frame=frame, button=button)
    elif kind == "drag":
        if "coordinate" not in args:
            raise ActionError("left_click_drag needs coordinate [x, y] (and start_coordinate)")
        end = _coord(args["coordinate"], "coordinate")
        start = _coord(args["start_coordinate"], "start_coordinate") if "start_coordinate" in args else None
        if start is None:
            raise ActionError("left_click_drag needs start_coordinate [x, y] where the drag begins")
        a = Action("drag", path=(start, end), frame=frame)
    elif kind == "scroll":
        if "pixels" not in args:
            raise ActionError(f"{name} needs pixels (positive scrolls up/right for scroll/hscroll)")
        amount = _number(args["pixels"], "pixels")
        x, y = _coord(args["coordinate"], "coordinate") if "coordinate" in args else (
            (499.5, 499.5) if frame == "relative_999" else (None, None))
        if x is None:
            raise ActionError(f"{name} needs coordinate [x, y] in the {frame} frame")
        # Qwen: positive pixels scroll up (content moves down); the wheel's dy is the opposite.
        dx, dy = (-amount, 0.0) if name == "hscroll" else (0.0, -amount)
        a = Action("scroll", x=x, y=y, dx=dx, dy=dy, frame=frame)
    elif kind == "type":
        a = Action("type", text=args.get("text", ""))
    elif kind == "keypress":
        keys = args.get("keys", args.get("key"))
        if isinstance(keys, str):
            keys = [keys]
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise ActionError(f"key needs keys: a list of key names, got {keys!r}")
        a = Action("keypress", keys=tuple(keys))
    elif kind == "wait":
        a = Action("wait", seconds=_number(args.get("time", 1.0), "time"))
    else:
        a = Action("terminate", status=str(args.get("status", "success")))
    a.check()
    return a


def _parse_xml_call(body: str) -> tuple[str, dict]:
    m = XML_FUNC_RE.search(body)
    if not m:
        raise ActionError("a <tool_call> must hold JSON {\"name\": ..., \"arguments\": {...}} or <function=...>")
    params = {}
    for pm in XML_PARAM_RE.finditer(m.group(2)):
        raw = pm.group(2).strip()
        try:
            params[pm.group(1)] = json.loads(raw)
        except json.JSONDecodeError:
            params[pm.group(1)] = raw
    return m.group(1), params


def parse_turn(text: str, frame: str = "relative_999") -> ParsedTurn:
    """All tool calls in one model turn -> actions (in order) and errors."""
    turn = ParsedTurn()
    if not isinstance(text, str):
        turn.errors.append(f"model output must be text, got {type(text).__name__}")
        return turn
    bodies = TOOL_CALL_RE.findall(text)
    if not bodies:
        turn.errors.append("no tool call found: answer with <tool_call>{\"name\": \"computer_use\", "
                           "\"arguments\": {\"action\": ..., ...}}</tool_call>")
        return turn
    for i, body in enumerate(bodies[:MAX_CALLS_PER_TURN]):
        turn.num_calls += 1
        body = body.strip()
        try:
            if body.startswith(("{", "[")):
                try:
                    call = json.loads(body)
                except json.JSONDecodeError as e:
                    raise ActionError(f"tool call is not valid JSON ({e.msg} at char {e.pos})") from None
                if not isinstance(call, dict):
                    raise ActionError("tool call JSON must be an object with name and arguments")
                name, args = call.get("name"), call.get("arguments", {})
                if isinstance(args, str):
                    try:
                        args = json.loads(args)
                    except json.JSONDecodeError:
                        raise ActionError("arguments is a string that is not valid JSON") from None
            else:
                name, args = _parse_xml_call(body)
            if name != TOOL_NAME:
                raise ActionError(f"unknown tool {name!r}; the only tool is {TOOL_NAME!r}")
            turn.actions.append(qwen_to_action(args, frame))
        except ActionError as e:
            turn.errors.append(f"tool call {i + 1}: {e}")
        except (RecursionError, ValueError, TypeError) as e:
            turn.errors.append(f"tool call {i + 1}: could not be read ({type(e).__name__})")
    if len(bodies) > MAX_CALLS_PER_TURN:
        turn.errors.append(f"only the first {MAX_CALLS_PER_TURN} tool calls of a turn run; "
                           f"{len(bodies) - MAX_CALLS_PER_TURN} were dropped")
    return turn


def _num(v: float) -> int | float:
    return int(round(v)) if abs(v - round(v)) < 1e-6 else round(v, 1)


def action_to_qwen(a: Action) -> dict[str, Any]:
    """Internal action -> ``computer_use`` arguments (coordinates as stored in the action)."""
    if a.type in ("click", "right_click", "double_click", "move"):
        name = {"click": "middle_click" if a.button == "middle" else ("right_click" if a.button == "right"
                                                                      else "left_click"),
                "right_click": "right_click", "double_click": "double_click", "move": "mouse_move"}[a.type]
        return {"action": name, "coordinate": [_num(a.x), _num(a.y)]}
    if a.type == "drag":
        return {"action": "left_click_drag", "start_coordinate": [_num(v) for v in a.path[0]],
                "coordinate": [_num(v) for v in a.path[-1]]}
    if a.type == "scroll":
        if a.dx and not a.dy:
            return {"action": "hscroll", "coordinate": [_num(a.x), _num(a.y)], "pixels": _num(-a.dx)}
        return {"action": "scroll", "coordinate": [_num(a.x), _num(a.y)], "pixels": _num(-a.dy)}
    if a.type == "type":
        return {"action": "type", "text": a.text}
    if a.type == "keypress":
        return {"action": "key", "keys": list(a.keys)}
    if a.type == "wait":
        return {"action": "wait", "time": a.seconds}
    return {"action": "terminate", "status": a.status}


def render_tool_call(a: Action) -> str:
    return "<tool_call>\n" + json.dumps({"name": TOOL_NAME, "arguments": action_to_qwen(a)},
                                        ensure_ascii=False) + "\n</tool_call>"


# ---- other providers' computer-use actions ----------------------------------------------

def from_openai(action: dict[str, Any]) -> Action:
    """OpenAI ``computer_call`` action (screen pixels) -> internal action."""
    t = action.get("type") if isinstance(action, dict) else None
    if t == "click":
        btn = action.get("button", "left")
        if btn not in ("left", "right", "middle"):
            raise ActionError(f"click button {btn!r} is not supported (left, right, middle)")
        return _checked(Action("right_click" if btn == "right" else "click", x=action.get("x"), y=action.get("y"),
                               button="left" if btn == "right" else btn))
    if t == "double_click":
        return _checked(Action("double_click", x=action.get("x"), y=action.get("y")))
    if t == "move":
        return _checked(Action("move", x=action.get("x"), y=action.get("y")))
    if t == "scroll":
        return _checked(Action("scroll", x=action.get("x"), y=action.get("y"),
                               dx=float(action.get("scroll_x", 0)), dy=float(action.get("scroll_y", 0))))
    if t == "drag":
        path = tuple((p["x"], p["y"]) for p in action.get("path", []) if isinstance(p, dict))
        return _checked(Action("drag", path=path))
    if t == "type":
        return _checked(Action("type", text=action.get("text", "")))
    if t == "keypress":
        return _checked(Action("keypress", keys=tuple(action.get("keys", []))))
    if t == "wait":
        return _checked(Action("wait", seconds=float(action.get("ms", 1000)) / 1000.0))
    raise ActionError(f"unsupported OpenAI computer action {t!r}")


def from_anthropic(action: dict[str, Any]) -> Action:
    """Anthropic ``computer`` tool input (screen pixels) -> internal action."""
    name = action.get("action") if isinstance(action, dict) else None
    c = action.get("coordinate") if isinstance(action, dict) else None
    if name in ("left_click", "right_click", "middle_click", "double_click", "mouse_move"):
        x, y = _coord(c, "coordinate")
        kind = {"left_click": "click", "right_click": "right_click", "middle_click": "click",
                "double_click": "double_click", "mouse_move": "move"}[name]
        return _checked(Action(kind, x=x, y=y, button="middle" if name == "middle_click" else "left"))
    if name == "left_click_drag":
        return _checked(Action("drag", path=(_coord(action.get("start_coordinate"), "start_coordinate"),
                                             _coord(c, "coordinate"))))
    if name == "scroll":
        x, y = _coord(c, "coordinate")
        amount = float(action.get("scroll_amount", 3)) * SCROLL_UNIT_PX
        d = action.get("scroll_direction", "down")
        dx, dy = {"down": (0, amount), "up": (0, -amount), "right": (amount, 0), "left": (-amount, 0)}.get(d, (0, 0))
        return _checked(Action("scroll", x=x, y=y, dx=dx, dy=dy))
    if name == "type":
        return _checked(Action("type", text=action.get("text", "")))
    if name == "key":
        return _checked(Action("keypress", keys=(str(action.get("text", "")),)))
    if name == "wait":
        return _checked(Action("wait", seconds=float(action.get("duration", 1))))
    raise ActionError(f"unsupported Anthropic computer action {name!r}")


def to_openai(a: Action) -> dict[str, Any]:
    if a.type in ("click", "right_click"):
        return {"type": "click", "x": _num(a.x), "y": _num(a.y), "button": "right" if a.type == "right_click"
                else a.button}
    if a.type == "double_click":
        return {"type": "double_click", "x": _num(a.x), "y": _num(a.y)}
    if a.type == "move":
        return {"type": "move", "x": _num(a.x), "y": _num(a.y)}
    if a.type == "scroll":
        return {"type": "scroll", "x": _num(a.x), "y": _num(a.y), "scroll_x": _num(a.dx), "scroll_y": _num(a.dy)}
    if a.type == "drag":
        return {"type": "drag", "path": [{"x": _num(x), "y": _num(y)} for x, y in a.path]}
    if a.type == "type":
        return {"type": "type", "text": a.text}
    if a.type == "keypress":
        return {"type": "keypress", "keys": list(a.keys)}
    if a.type == "wait":
        return {"type": "wait", "ms": int(a.seconds * 1000)}
    raise ActionError(f"{a.type} has no OpenAI computer action")


def _checked(a: Action) -> Action:
    a.check()
    return a
