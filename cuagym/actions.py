"""The internal action type: what an agent can do with mouse and keyboard, in one schema.

Shared by tuples (golden UI trajectories) and the rollout fleet, so it sits in the core package.

Every action that carries coordinates names its frame explicitly:

- ``screen``: CSS pixels of the browser viewport (what Playwright's mouse takes);
- ``image``: pixels of the (possibly resized) screenshot the model saw;
- ``relative_999``: the 0..999 grid Qwen models emit, independent of resolution.

Model-output parsers produce actions in ``image`` or ``relative_999`` frame; the executor
converts them to ``screen`` with :func:`to_screen`. Golden UI trajectories are stored in
``screen`` frame. JSON form: ``{"type": "click", "x": 10, "y": 20, "frame": "screen"}``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

ActionType = Literal["click", "double_click", "right_click", "drag", "move", "scroll", "type", "keypress",
                     "wait", "terminate"]
Frame = Literal["screen", "image", "relative_999"]
ACTION_TYPES: tuple[str, ...] = ("click", "double_click", "right_click", "drag", "move", "scroll", "type",
                                 "keypress", "wait", "terminate")
FRAMES: tuple[str, ...] = ("screen", "image", "relative_999")
POINTER_ACTIONS = ("click", "double_click", "right_click", "move", "scroll")
MAX_WAIT_S = 10.0
MAX_TEXT = 2000

# Common spellings models use -> Playwright key names.
KEY_ALIASES = {
    "enter": "Enter", "return": "Enter", "esc": "Escape", "escape": "Escape", "tab": "Tab", "space": "Space",
    "backspace": "Backspace", "delete": "Delete", "del": "Delete", "up": "ArrowUp", "down": "ArrowDown",
    "left": "ArrowLeft", "right": "ArrowRight", "arrowup": "ArrowUp", "arrowdown": "ArrowDown",
    "arrowleft": "ArrowLeft", "arrowright": "ArrowRight", "home": "Home", "end": "End", "pageup": "PageUp",
    "pagedown": "PageDown", "page_up": "PageUp", "page_down": "PageDown", "ctrl": "Control", "control": "Control",
    "shift": "Shift", "alt": "Alt", "option": "Alt", "cmd": "Meta", "command": "Meta", "meta": "Meta",
    "super": "Meta", "win": "Meta", "insert": "Insert",
    **{f"f{i}": f"F{i}" for i in range(1, 13)},
}


class ActionError(ValueError):
    """An action that cannot be executed, with a message the model can be shown."""


@dataclass(frozen=True)
class Action:
    type: str
    x: float | None = None
    y: float | None = None
    frame: str = "screen"
    button: str = "left"
    path: tuple[tuple[float, float], ...] = ()
    dx: float = 0.0
    dy: float = 0.0
    text: str = ""
    keys: tuple[str, ...] = ()
    seconds: float = 0.0
    status: str = "success"

    # ---- construction and validation -------------------------------------------------
    @classmethod
    def from_dict(cls, d: Any) -> "Action":
        if not isinstance(d, dict):
            raise ActionError(f"an action must be a JSON object, got {type(d).__name__}")
        kind = d.get("type")
        if kind not in ACTION_TYPES:
            raise ActionError(f"unknown action type {kind!r}; valid types: {', '.join(ACTION_TYPES)}")
        known = {f for f in cls.__dataclass_fields__}
        extra = sorted(set(d) - known)
        if extra:
            raise ActionError(f"{kind}: unknown field(s) {', '.join(extra)}; valid fields: {', '.join(sorted(known))}")
        kw = dict(d)
        if "path" in kw:
            kw["path"] = tuple(tuple(p) for p in kw["path"])  # type: ignore[misc]
        if "keys" in kw:
            kw["keys"] = (kw["keys"],) if isinstance(kw["keys"], str) else tuple(kw["keys"])
        try:
            action = cls(**kw)
        except TypeError as e:
            raise ActionError(f"{kind}: {e}") from None
        action.check()
        return action

    def check(self) -> None:
        t = self.type
        if t not in ACTION_TYPES:
            raise ActionError(f"unknown action type {t!r}; valid types: {', '.join(ACTION_TYPES)}")
        if self.frame not in FRAMES:
            raise ActionError(f"{t}: unknown coordinate frame {self.frame!r}; valid: {', '.join(FRAMES)}")
        if t in POINTER_ACTIONS:
            for name in ("x", "y"):
                v = getattr(self, name)
                if v is None:
                    raise ActionError(f"{t} needs a coordinate {name}")
                if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                    raise ActionError(f"{t}: coordinate {name} must be a finite number, got {v!r}")
        if t in ("click", "double_click", "right_click") and self.button not in ("left", "right", "middle"):
            raise ActionError(f"{t}: button must be left, right or middle, got {self.button!r}")
        if t == "drag":
            if len(self.path) < 2:
                raise ActionError("drag needs a path of at least two points [[x0, y0], [x1, y1], ...]")
            for p in self.path:
                if len(p) != 2 or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in p):
                    raise ActionError(f"drag: every path point must be [x, y] numbers, got {list(p)!r}")
        if t == "scroll" and self.dx == 0 and self.dy == 0:
            raise ActionError("scroll needs a non-zero dx or dy (pixels; positive dy scrolls down)")
        if t == "type":
            if not isinstance(self.text, str) or not self.text:
                raise ActionError("type needs non-empty text")
            if len(self.text) > MAX_TEXT:
                raise ActionError(f"type: text longer than {MAX_TEXT} characters")
        if t == "keypress":
            if not self.keys or not all(isinstance(k, str) and k for k in self.keys):
                raise ActionError("keypress needs keys, e.g. [\"ctrl\", \"a\"] or [\"Enter\"]")
        if t == "wait" and not (isinstance(self.seconds, (int, float)) and 0 <= self.seconds <= MAX_WAIT_S):
            raise ActionError(f"wait: seconds must be within 0..{MAX_WAIT_S:g}, got {self.seconds!r}")
        if t == "terminate" and self.status not in ("success", "failure"):
            raise ActionError(f"terminate: status must be success or failure, got {self.status!r}")

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON form: only the fields this action type uses."""
        d = asdict(self)
        used = {"type"} | set(_FIELDS_BY_TYPE[self.type])
        out = {k: v for k, v in d.items() if k in used}
        if "path" in out:
            out["path"] = [list(p) for p in self.path]
        if "keys" in out:
            out["keys"] = list(self.keys)
        return out

    @property
    def has_coordinates(self) -> bool:
        return self.type in POINTER_ACTIONS or self.type == "drag"

    def points(self) -> list[tuple[float, float]]:
        if self.type == "drag":
            return list(self.path)
        if self.type in POINTER_ACTIONS:
            return [(float(self.x), float(self.y))]  # type: ignore[arg-type]
        return []


_FIELDS_BY_TYPE = {
    "click": ("x", "y", "frame", "button"), "double_click": ("x", "y", "frame"), "right_click": ("x", "y", "frame"),
    "move": ("x", "y", "frame"), "scroll": ("x", "y", "frame", "dx", "dy"), "drag": ("path", "frame"),
    "type": ("text",), "keypress": ("keys",), "wait": ("seconds",), "terminate": ("status",),
}


@dataclass(frozen=True)
class Geometry:
    """Sizes that relate the frames: the viewport and the screenshot shown to the model."""

    screen: tuple[int, int] = (1280, 800)
    image: tuple[int, int] = (1280, 800)


def _convert(x: float, y: float, src: str, dst: str, g: Geometry) -> tuple[float, float]:
    if src == dst:
        return x, y
    sw, sh = g.screen
    iw, ih = g.image
    # To screen first.
    if src == "image":
        x, y = x * sw / iw, y * sh / ih
    elif src == "relative_999":
        x, y = x / 999.0 * (sw - 1), y / 999.0 * (sh - 1)
    if dst == "screen":
        return x, y
    if dst == "image":
        return x * iw / sw, y * ih / sh
    return x / max(sw - 1, 1) * 999.0, y / max(sh - 1, 1) * 999.0


def convert(action: Action, frame: str, geometry: Geometry) -> Action:
    """The same action with its coordinates expressed in ``frame``."""
    if frame not in FRAMES:
        raise ActionError(f"unknown coordinate frame {frame!r}; valid: {', '.join(FRAMES)}")
    if not action.has_coordinates or action.frame == frame:
        return replace(action, frame=frame) if action.has_coordinates else action
    if action.type == "drag":
        path = tuple(_convert(px, py, action.frame, frame, geometry) for px, py in action.path)
        return replace(action, path=path, frame=frame)
    x, y = _convert(float(action.x), float(action.y), action.frame, frame, geometry)  # type: ignore[arg-type]
    return replace(action, x=x, y=y, frame=frame)


def to_screen(action: Action, geometry: Geometry) -> Action:
    """Convert to viewport pixels and refuse points outside the screen (a clear ActionError)."""
    out = convert(action, "screen", geometry)
    sw, sh = geometry.screen
    for px, py in out.points():
        if not (0 <= px < sw + 0.5 and 0 <= py < sh + 0.5):
            src = action.points()[out.points().index((px, py))] if action.points() else (px, py)
            limits = {"screen": f"0..{sw - 1} x 0..{sh - 1}", "image": f"0..{geometry.image[0] - 1} x "
                      f"0..{geometry.image[1] - 1}", "relative_999": "0..999 x 0..999"}[action.frame]
            raise ActionError(f"{action.type}: point ({src[0]:g}, {src[1]:g}) is off screen; "
                              f"{action.frame} coordinates must be within {limits}")
    return out


def normalize_key(key: str) -> str:
    k = key.strip()
    return KEY_ALIASES.get(k.lower(), k if len(k) == 1 else k[:1].upper() + k[1:])


def key_combo(keys: tuple[str, ...] | list[str]) -> str:
    """["ctrl", "a"] -> "Control+a"; a single "ctrl+shift+t" string is split too."""
    parts: list[str] = []
    for k in keys:
        parts.extend(p for p in k.split("+") if p) if len(k) > 1 and "+" in k else parts.append(k)
    return "+".join(normalize_key(p) for p in parts)


@dataclass
class ActionResult:
    """What happened when an action ran: ok, or the error the model will be told about."""

    action: dict[str, Any]
    ok: bool
    error: str = ""
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def parse_steps(steps: Any) -> list[list[Action]]:
    """A golden trajectory's steps: a list of turns, each a list of action objects."""
    if not isinstance(steps, list):
        raise ActionError("steps must be a list of turns, each a list of actions")
    out = []
    for i, turn in enumerate(steps):
        if not isinstance(turn, list) or not turn:
            raise ActionError(f"step {i}: expected a non-empty list of actions")
        parsed = []
        for j, a in enumerate(turn):
            try:
                parsed.append(Action.from_dict(a))
            except ActionError as e:
                raise ActionError(f"step {i} action {j}: {e}") from None
        out.append(parsed)
    return out
