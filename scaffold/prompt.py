"""The system prompt and tool definition the policy sees."""

from __future__ import annotations

import json

ACTION_DOC = (
    "* `left_click`, `right_click`, `middle_click`, `double_click`, `mouse_move`: at `coordinate` [x, y].\n"
    "* `left_click_drag`: from `start_coordinate` to `coordinate`.\n"
    "* `scroll` / `hscroll`: `pixels` at `coordinate` (positive scrolls up / right).\n"
    "* `type`: type `text`. `key`: press `keys` together, e.g. [\"ctrl\", \"a\"] or [\"Enter\"].\n"
    "* `wait`: wait `time` seconds. `terminate`: end the task with `status` success or failure."
)


def computer_use_tool(frame: str, image_size: tuple[int, int]) -> dict:
    """The ``computer_use`` function schema, with the coordinate frame spelled out."""
    if frame == "relative_999":
        coords = "Coordinates are on a 0..999 grid over the screenshot: [0, 0] top left, [999, 999] bottom right."
    else:
        coords = (f"Coordinates are pixels of the screenshot, which is {image_size[0]}x{image_size[1]}: "
                  "[0, 0] top left.")
    return {"type": "function", "function": {
        "name": "computer_use",
        "description": "Use the mouse and keyboard on the web app shown in the screenshot.\n" + coords + "\n"
                       + ACTION_DOC,
        "parameters": {"type": "object", "required": ["action"], "properties": {
            "action": {"type": "string", "enum": ["left_click", "right_click", "middle_click", "double_click",
                                                  "mouse_move", "left_click_drag", "scroll", "hscroll", "type",
                                                  "key", "wait", "terminate"]},
            "coordinate": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
            "start_coordinate": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
            "pixels": {"type": "number"}, "text": {"type": "string"},
            "keys": {"type": "array", "items": {"type": "string"}}, "time": {"type": "number"},
            "status": {"type": "string", "enum": ["success", "failure"]}}}}}


def system_prompt(frame: str, image_size: tuple[int, int], max_actions_per_turn: int) -> str:
    tool = json.dumps(computer_use_tool(frame, image_size), ensure_ascii=False)
    return (
        "You operate a web app for the user, seeing only screenshots and acting with mouse and keyboard.\n\n"
        "# Tools\n\n<tools>\n" + tool + "\n</tools>\n\n"
        "Reply with up to " + str(max_actions_per_turn) + " tool calls, each as <tool_call>{\"name\": "
        "\"computer_use\", \"arguments\": {...}}</tool_call>; they run in order. When the task is done, call "
        "terminate."
    )
