"""Every config key is read somewhere: a setting nothing reads does not do what its help says.

Walks every field of the run config (``cuagym.config.Config``, its sections, and the ``synth``
section that ``cuagym.synth.config.SynthRunConfig`` adds) and looks for a read of it outside
the config definitions and the tests:

* in the package's Python: an attribute load ``x.<name>`` or ``getattr(x, "<name>")``;
* in the launch scripts (shell): ``.<section>.<name>`` (e.g. a ``python -c`` that prints
  ``load_config(...).cluster.join_timeout_s``).

The Python check matches the field name, not its owner, so a key whose name other objects
share (``path``, ``name``) passes on any such read: it finds settings nobody wired, not every
wrong wiring.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import re
import typing
from pathlib import Path

from tests.core.test_layers import REPO, package_files

# The modules that define (and validate) the config: a field named there is not a read.
CONFIG_DEFINITIONS = {"cuagym/config.py", "cuagym/configbase.py", "synth/config.py"}


def config_keys() -> list[tuple[str, str]]:
    """(dotted key, field name) of every leaf field, synth's included."""
    from cuagym.synth.config import SynthRunConfig

    def walk(cls: type, prefix: str):
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            key = f"{prefix}.{f.name}" if prefix else f.name
            if dataclasses.is_dataclass(hints[f.name]):
                yield from walk(hints[f.name], key)
            else:
                yield key, f.name

    return list(walk(SynthRunConfig, ""))


@functools.lru_cache(maxsize=1)
def python_reads() -> frozenset[str]:
    """Attribute names the package reads (loads) outside the config definitions."""
    names: set[str] = set()
    for path, _ in package_files():
        if str(path.relative_to(REPO)) in CONFIG_DEFINITIONS:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                names.add(node.attr)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                  and node.func.id in ("getattr", "hasattr") and len(node.args) >= 2
                  and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
                names.add(node.args[1].value)
    return frozenset(names)


def script_text() -> str:
    return "\n".join(p.read_text() for p in sorted((REPO / "launch").glob("*.sh")))


def unread_keys(keys: list[tuple[str, str]] | None = None) -> list[str]:
    reads, scripts = python_reads(), script_text()
    unread = []
    for key, name in config_keys() if keys is None else keys:
        if name in reads:
            continue
        if re.search(r"\." + re.escape(key.rsplit(".", 2)[-2] + "." + name) + r"\b", scripts):
            continue
        unread.append(key)
    return unread


def test_every_config_key_is_read():
    unread = unread_keys()
    assert not unread, ("config keys that no module outside the config definitions reads (wire them or "
                        "remove them from the dataclass, configs/*.yaml and the README): " + ", ".join(unread))


def test_the_walk_covers_every_section_and_sees_reads():
    keys = dict(config_keys())
    for key in ("model.path", "rollout.group_size", "gspo.eps_low", "learner.lr", "cluster.nodes",
                "synth.llm.base_url", "synth.teacher.min_success", "synth.max_rounds"):
        assert key in keys, key
    assert all("." in k for k in keys)                     # leaves only, each under its section
    assert {"group_size", "eps_low", "min_success"} <= python_reads()
    # A name nothing reads is reported by its dotted key; a launch script's read counts.
    assert unread_keys([("rollout.never_wired_xyz", "never_wired_xyz"), ("cluster.join_timeout_s", "join_timeout_s")]) \
        == ["rollout.never_wired_xyz"] or "join_timeout_s" in python_reads()
