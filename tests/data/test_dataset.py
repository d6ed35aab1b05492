"""Dataset manifests, lazy streaming, filters and the resumable sampler."""

from __future__ import annotations

import json
import tracemalloc

import pytest

from cuagym.data.dataset import MANIFEST, Dataset, write_manifest
from cuagym.data.format import TupleError

from .tuplelib import write_tuple


def make(root, n=6):
    for i in range(n):
        fam = "notes.pin" if i % 2 == 0 else "notes.tag"
        write_tuple(root / ("a" if i < 3 else "b"), f"notes.t{i}", config={"family": fam}, near={})
    return root


def test_manifest_and_iteration(tmp_path):
    make(tmp_path)
    assert write_manifest(tmp_path) == 6
    lines = (tmp_path / MANIFEST).read_text().splitlines()
    assert json.loads(lines[0]) == {"id": "notes.t0", "path": "a/notes.t0", "apps": ["notes"],
                                    "family": "notes.pin", "difficulty": "easy"}
    ds = Dataset(tmp_path)
    assert [t.id for t in ds] == [f"notes.t{i}" for i in range(6)]
    assert [e.id for e in Dataset(tmp_path, prefixes=["notes.tag"]).entries()] == ["notes.t1", "notes.t3", "notes.t5"]
    assert list(Dataset(tmp_path, apps=["mail"]).entries()) == []
    # Prefixes are whole dotted components: an app, a family or an id, never part of a word.
    assert [e.id for e in Dataset(tmp_path, prefixes=["notes.t1"]).entries()] == ["notes.t1"]
    assert [e.id for e in Dataset(tmp_path, prefixes=["notes.t"]).entries()] == []
    assert len(list(Dataset(tmp_path, prefixes=["notes"]).entries())) == 6


def test_without_manifest_walks_the_tree(tmp_path):
    make(tmp_path, 3)
    assert [e.id for e in Dataset(tmp_path).entries()] == ["notes.t0", "notes.t1", "notes.t2"]


def test_duplicate_ids_and_bad_manifest_lines_are_errors(tmp_path):
    write_tuple(tmp_path / "x", "notes.dup", near={})
    write_tuple(tmp_path / "y", "notes.dup", near={})
    with pytest.raises(TupleError, match="duplicate tuple id 'notes.dup'"):
        write_manifest(tmp_path)
    (tmp_path / MANIFEST).write_text('{"id": "a"}\n')
    with pytest.raises(TupleError, match="manifest.jsonl:1: bad manifest line"):
        list(Dataset(tmp_path).entries())


def test_sampler_is_seeded_covers_each_epoch_and_resumes(tmp_path):
    make(tmp_path)
    write_manifest(tmp_path)
    s = Dataset(tmp_path).sampler(seed=3)
    first = [t.id for t in s.next(6)]
    assert sorted(first) == [f"notes.t{i}" for i in range(6)]  # one epoch = each tuple once
    s.next(2)
    state = s.state()
    rest = [t.id for t in s.next(5)]
    resumed = Dataset(tmp_path).sampler(seed=state["seed"])
    resumed.epoch, resumed.position = state["epoch"], state["position"]
    assert [t.id for t in resumed.next(5)] == rest
    assert [t.id for t in Dataset(tmp_path).sampler(seed=3).next(6)] == first


def test_32k_tuples_stream_without_loading_them_all(tmp_path):
    one = write_tuple(tmp_path / "store", "notes.one", near={})
    with (tmp_path / MANIFEST).open("w") as f:
        for i in range(32_000):
            f.write(json.dumps({"id": f"notes.x{i}", "path": "store/notes.one", "apps": ["notes"],
                                "family": "notes.pin", "difficulty": "easy"}) + "\n")
    ds = Dataset(tmp_path)
    tracemalloc.start()
    n = 0
    for i, e in enumerate(ds.entries()):
        n += 1
        if i % 4000 == 0:
            assert ds.load(e).id == "notes.one"
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert n == 32_000
    assert peak < 2 * 1024 * 1024, f"streaming 32k entries peaked at {peak / 1e6:.1f} MB"
    assert one.exists()
