"""The tuple format: a directory with the task, its scripts and optional golden trajectory.

    <tuple>/task_config.json   id, apps, instruction, success criteria, difficulty, family, provenance
    <tuple>/initial_setup.py   writes the initial state of the session(s) through the State API
    <tuple>/golden_patch.py    turns the initial state into a state that completes the task
    <tuple>/reward.py          reads the state, prints "REWARD: x" (x in [0, 1]) as its last line
    <tuple>/golden_actions.json  optional: UI actions (internal action schema) that solve the task
    <tuple>/near_miss/*.py     optional: patches that do part of the task, or the wrong thing

Scripts find the hub through environment variables set by the sandbox: ``CUA_HUB_URL``
(the tuple's first app), ``CUA_HUB_URL_<APP>`` per app, ``CUA_HUB_URLS`` (JSON), ``CUA_SID``
and ``CUA_GYM_ADMIN_TOKEN``; ``/tmp/task_web_sid`` holds the session id too, as CUA-Gym's own
scripts read it (a setup may write a session of its own there; the episode then adopts it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cuagym.actions import Action, ActionError, parse_steps

TASK_FILE = "task_config.json"
SCRIPTS = ("initial_setup.py", "golden_patch.py", "reward.py")
GOLDEN_ACTIONS = "golden_actions.json"
NEAR_MISS_DIR = "near_miss"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,127}$")


class TupleError(ValueError):
    """A tuple directory that does not follow the format; the message names the file and field."""


class GoldenTrajectory(BaseModel):
    """UI actions that solve the task from the initial state, in the internal action schema."""

    model_config = ConfigDict(extra="forbid")
    viewport: tuple[int, int] = (1280, 800)
    steps: list[list[dict[str, Any]]] = Field(min_length=1, description="turns, each a list of actions")
    notes: str = ""

    @field_validator("steps")
    @classmethod
    def _steps(cls, v: list) -> list:
        try:
            parse_steps(v)
        except ActionError as e:
            raise ValueError(str(e)) from None
        return v

    def actions(self) -> list[list[Action]]:
        return parse_steps(self.steps)


class TaskConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="unique id: lowercase letters, digits, '.', '_' or '-'")
    apps: list[str] = Field(min_length=1, description="hub apps the task uses; the first one opens in the browser")
    instruction: str = Field(min_length=1, description="what the agent is asked to do, as the user would say it")
    success_criteria: list[str] = Field(default_factory=list, description="checkable conditions the reward tests")
    difficulty: Literal["easy", "medium", "hard"] = "medium"
    family: str = Field(default="", description="task family (template) for held-out splits; empty = the id")
    max_turns: int | None = Field(default=None, ge=1, description="turn limit for this task (default: config)")
    provenance: dict[str, Any] = Field(default_factory=dict, description="who or what wrote it, and how it was checked")

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_PATTERN.match(v):
            raise ValueError(f"id {v!r} must match {ID_PATTERN.pattern}")
        return v

    @property
    def task_family(self) -> str:
        return self.family or self.id


@dataclass(frozen=True)
class TaskTuple:
    """A loaded tuple: its config and the paths of its files (scripts are read only by the sandbox)."""

    path: Path
    config: TaskConfig

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def apps(self) -> list[str]:
        return self.config.apps

    def script(self, name: str) -> Path:
        return self.path / name

    @property
    def near_misses(self) -> list[Path]:
        d = self.path / NEAR_MISS_DIR
        return sorted(d.glob("*.py")) if d.is_dir() else []

    @property
    def golden_actions_path(self) -> Path | None:
        p = self.path / GOLDEN_ACTIONS
        return p if p.exists() else None

    def golden_actions(self) -> GoldenTrajectory | None:
        p = self.golden_actions_path
        if p is None:
            return None
        try:
            return GoldenTrajectory.model_validate(json.loads(p.read_text()))
        except (json.JSONDecodeError, ValidationError) as e:
            raise TupleError(f"{p}: {_short(e)}") from None


def _short(e: Exception) -> str:
    if isinstance(e, ValidationError):
        return "; ".join(f"{'.'.join(map(str, x['loc'])) or '<root>'}: {x['msg']}" for x in e.errors()[:6])
    return str(e)


def load_tuple(path: str | Path) -> TaskTuple:
    """Load and check one tuple directory; raises TupleError naming what is wrong."""
    path = Path(path)
    if not path.is_dir():
        raise TupleError(f"{path}: not a directory")
    cfg_path = path / TASK_FILE
    if not cfg_path.exists():
        raise TupleError(f"{path}: missing {TASK_FILE}")
    try:
        raw = json.loads(cfg_path.read_text())
    except json.JSONDecodeError as e:
        raise TupleError(f"{cfg_path}: not valid JSON: {e}") from None
    try:
        config = TaskConfig.model_validate(raw)
    except ValidationError as e:
        raise TupleError(f"{cfg_path}: {_short(e)}") from None
    missing = [s for s in SCRIPTS if not (path / s).is_file()]
    if missing:
        raise TupleError(f"{path}: missing {', '.join(missing)}")
    for s in SCRIPTS:
        try:
            compile((path / s).read_text(), str(path / s), "exec")
        except SyntaxError as e:
            raise TupleError(f"{path / s}: syntax error at line {e.lineno}: {e.msg}") from None
    t = TaskTuple(path, config)
    t.golden_actions()  # validates golden_actions.json when present
    return t
