"""A scripted engine that replays each tuple's golden UI trajectory through the real agent loop.

It answers every turn with the golden step rendered as ``computer_use`` tool calls (in the
loop's coordinate frame), tokenised like a model's output, so parsing, execution, scoring
and trajectory recording are exercised exactly as for a model.
"""

from __future__ import annotations

from typing import Any

from cuagym.actions import Action, Geometry, convert
from cuagym.data.format import TaskTuple
from cuagym.rollout.engines.base import GenRequest, GenResult
from cuagym.rollout.toolcalls import render_tool_call


class GoldenEngine:
    def __init__(self, tuples: list[TaskTuple], tokenizer: Any, frame: str = "relative_999",
                 image_size: tuple[int, int] | None = None) -> None:
        """``image_size``: the screenshot size the model is shown (the "image" frame's extent;
        None = the viewport the plan was recorded in)."""
        self.tok = tokenizer
        self.frame = frame
        self.plans: dict[str, tuple[list[list[Action]], Geometry]] = {}
        for t in tuples:
            g = t.golden_actions()
            if g is not None:
                vp = tuple(g.viewport)
                self.plans[t.id] = (g.actions(), Geometry(vp, tuple(image_size) if image_size else vp))

    def _text(self, tuple_id: str, turn: int) -> str:
        plan = self.plans.get(tuple_id)
        if plan is None:
            return "I have no plan for this task."
        steps, geometry = plan
        if turn >= len(steps):
            return render_tool_call(Action("terminate", status="success"))
        calls = [render_tool_call(convert(a, self.frame, geometry) if a.has_coordinates else a) for a in steps[turn]]
        return "\n".join(calls)

    def generate(self, requests: list[GenRequest]) -> list[GenResult]:
        out = []
        for r in requests:
            tuple_id, _, turn = r.request_id.split("|")
            ids = self.tok.encode(self._text(tuple_id, int(turn)) + "<|im_end|>", add_special_tokens=False)
            out.append(GenResult(ids, [0.0] * len(ids), "stop", r.request_id))
        return out
