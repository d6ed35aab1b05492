"""A dataset is a folder of tuples plus ``manifest.jsonl`` (one small record per tuple).

Iteration streams: only the manifest line of the current tuple is held, and a tuple is
loaded (its task_config.json parsed) only when it is used, so 32k tuples never sit in memory
together. Without a manifest the folder tree is walked lazily instead.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from cuagym.data.format import TaskTuple, TupleError, load_tuple
from cuagym.data.validate import iter_tuple_dirs

MANIFEST = "manifest.jsonl"


@dataclass(frozen=True)
class Entry:
    id: str
    path: str          # relative to the dataset root
    apps: tuple[str, ...]
    family: str
    difficulty: str

    def to_json(self) -> str:
        return json.dumps({"id": self.id, "path": self.path, "apps": list(self.apps), "family": self.family,
                           "difficulty": self.difficulty})


def write_manifest(root: str | Path) -> int:
    """Scan ``root`` and write its manifest; returns the number of tuples. Raises on a bad tuple."""
    root = Path(root)
    n, seen = 0, set()
    tmp = root / (MANIFEST + ".tmp")
    with tmp.open("w") as f:
        for d in iter_tuple_dirs(root):
            t = load_tuple(d)
            if t.id in seen:
                raise TupleError(f"duplicate tuple id {t.id!r} at {d}")
            seen.add(t.id)
            e = Entry(t.id, str(d.relative_to(root)), tuple(t.apps), t.config.task_family, t.config.difficulty)
            f.write(e.to_json() + "\n")
            n += 1
    tmp.replace(root / MANIFEST)
    return n


def matches(name: str, prefix: str) -> bool:
    """``prefix`` names ``name`` or one of its dotted ancestors: "notes.pin" matches
    "notes.pin.books", "calendar.go_today.week" matches itself but not "calendar.go_today.week_from_may"."""
    return name == prefix or name.startswith(prefix.rstrip(".") + ".")


class Dataset:
    """Tuples under ``root``; filters by app and by dotted prefixes of ids or families, without loading tuples."""

    def __init__(self, root: str | Path, apps: list[str] | None = None, prefixes: list[str] | None = None) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"dataset folder {self.root} does not exist")
        self.apps = set(apps or [])
        self.prefixes = tuple(prefixes or [])

    def _keep(self, e: Entry) -> bool:
        if self.apps and not set(e.apps) <= self.apps:
            return False
        return not self.prefixes or any(matches(e.id, p) or matches(e.family, p) for p in self.prefixes)

    def entries(self) -> Iterator[Entry]:
        manifest = self.root / MANIFEST
        if manifest.exists():
            with manifest.open() as f:
                for i, line in enumerate(f):
                    if not line.strip():
                        continue
                    try:
                        d = json.loads(line)
                        e = Entry(d["id"], d["path"], tuple(d["apps"]), d.get("family", d["id"]),
                                  d.get("difficulty", "medium"))
                    except (json.JSONDecodeError, KeyError, TypeError) as err:
                        raise TupleError(f"{manifest}:{i + 1}: bad manifest line ({err})") from None
                    if self._keep(e):
                        yield e
            return
        for d in iter_tuple_dirs(self.root):
            t = load_tuple(d)
            e = Entry(t.id, str(d.relative_to(self.root)), tuple(t.apps), t.config.task_family,
                      t.config.difficulty)
            if self._keep(e):
                yield e

    def load(self, e: Entry) -> TaskTuple:
        return load_tuple(self.root / e.path)

    def __iter__(self) -> Iterator[TaskTuple]:
        for e in self.entries():
            yield self.load(e)

    def sampler(self, seed: int = 0) -> "EpochSampler":
        return EpochSampler(self, seed)


class EpochSampler:
    """Shuffled passes over the dataset with a resumable cursor (epoch, position).

    Only the entry list of one epoch is kept (a few bytes per tuple), never loaded tuples.
    """

    def __init__(self, ds: Dataset, seed: int = 0, epoch: int = 0, position: int = 0) -> None:
        self.ds, self.seed, self.epoch, self.position = ds, seed, epoch, position
        self._order: list[Entry] | None = None

    def _shuffle(self) -> list[Entry]:
        order = list(self.ds.entries())
        if not order:
            raise TupleError(f"no tuples in {self.ds.root} match the filters")
        random.Random(self.seed * 100_003 + self.epoch).shuffle(order)
        return order

    def next(self, n: int) -> list[TaskTuple]:
        out = []
        while len(out) < n:
            if self._order is None:
                self._order = self._shuffle()
            if self.position >= len(self._order):
                self.epoch, self.position, self._order = self.epoch + 1, 0, None
                continue
            out.append(self.ds.load(self._order[self.position]))
            self.position += 1
        return out

    def state(self) -> dict:
        return {"seed": self.seed, "epoch": self.epoch, "position": self.position}
