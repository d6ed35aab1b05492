"""Trajectory records, written as they happen.

Layout of a run directory::

    RUN/trajectories/<traj_id>/steps.jsonl     one line per model turn, appended and flushed per step
    RUN/trajectories/<traj_id>/obs_<k>.png     the screenshot step k acted on
    RUN/trajectories/<traj_id>/meta.json       tuple id, group, reward, termination, timings (at the end)

A crash loses at most the step in flight: every finished step is on disk.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from PIL import Image


@dataclass
class StepLog:
    index: int
    raw_output: str
    gen_ids: list[int]
    logprobs: list[float]
    actions: list[dict]
    results: list[dict]
    errors: list[str]
    feedback: str
    seconds_generate: float = 0.0
    seconds_env: float = 0.0


@dataclass
class Trajectory:
    traj_id: str
    tuple_id: str
    group_id: str
    apps: list[str]
    instruction: str
    steps: list[StepLog] = field(default_factory=list)
    screenshots: list[Image.Image] = field(default_factory=list, repr=False)
    reward: float | None = None
    termination: str = ""          # terminate | max_turns | timeout | env_failure
    env_failure: str = ""
    reward_output: str = ""
    policy_version: int = 0
    started: float = field(default_factory=time.time)
    seconds: float = 0.0

    @property
    def num_actions(self) -> int:
        return sum(len(s.actions) for s in self.steps)

    @property
    def num_invalid(self) -> int:
        return sum(len(s.errors) for s in self.steps)

    def meta(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k not in ("steps", "screenshots")}
        d.update(num_steps=len(self.steps), num_actions=self.num_actions, num_invalid=self.num_invalid)
        return d


class TrajectoryWriter:
    """Appends a trajectory to disk step by step."""

    def __init__(self, run_dir: str | Path, traj: Trajectory) -> None:
        self.dir = Path(run_dir) / "trajectories" / traj.traj_id
        self.dir.mkdir(parents=True, exist_ok=True)
        self.traj = traj
        self._f = open(self.dir / "steps.jsonl", "a", buffering=1)

    def observation(self, k: int, image: Image.Image, png: bytes | None = None) -> None:
        path = self.dir / f"obs_{k}.png"
        if png is not None:
            path.write_bytes(png)
        else:
            image.save(path)

    def step(self, s: StepLog) -> None:
        self._f.write(json.dumps(asdict(s)) + "\n")
        self._f.flush()
        os.fsync(self._f.fileno())

    def finish(self) -> None:
        tmp = self.dir / "meta.json.tmp"
        tmp.write_text(json.dumps(self.traj.meta(), indent=1))
        tmp.replace(self.dir / "meta.json")
        self._f.close()


def load_trajectory(path: str | Path, with_images: bool = True) -> Trajectory:
    path = Path(path)
    meta = json.loads((path / "meta.json").read_text()) if (path / "meta.json").exists() else {}
    steps = []
    if (path / "steps.jsonl").exists():
        for line in (path / "steps.jsonl").read_text().splitlines():
            if line.strip():
                steps.append(StepLog(**json.loads(line)))
    keep = {k: meta[k] for k in ("traj_id", "tuple_id", "group_id", "apps", "instruction", "reward", "termination",
                                 "env_failure", "reward_output", "policy_version", "started", "seconds") if k in meta}
    keep.setdefault("traj_id", path.name)
    for k in ("tuple_id", "group_id", "instruction"):
        keep.setdefault(k, "")
    keep.setdefault("apps", [])
    t = Trajectory(**keep, steps=steps)
    if with_images:
        k = 0
        while (path / f"obs_{k}.png").exists():
            t.screenshots.append(Image.open(path / f"obs_{k}.png").convert("RGB"))
            k += 1
    return t


def iter_trajectories(run_dir: str | Path, with_images: bool = False) -> Iterator[Trajectory]:
    root = Path(run_dir) / "trajectories"
    for d in sorted(root.iterdir()) if root.exists() else []:
        if d.is_dir():
            yield load_trajectory(d, with_images)
