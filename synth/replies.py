"""Reading model replies: files in ``FILE:`` blocks, JSON answers, and the one-word signals.

A file block is a line ``FILE: <name>`` followed by a fenced code block::

    FILE: golden_patch.py
    ```python
    ...
    ```

Anything the reply cannot be read as raises :class:`ReplyError` with a message written for the
model (it is sent back verbatim when the agent is asked again).
"""

from __future__ import annotations

import json
import re
from typing import Any

FILE_RE = re.compile(r"^[ \t#*>]*FILE:\s*`?([^\s`*]+)`?\**[ \t]*\n+[ \t]*```[a-zA-Z0-9_+-]*[ \t]*\n(.*?)\n[ \t]*```",
                     re.MULTILINE | re.DOTALL)
NEAR_MISS_RE = re.compile(r"^near_miss/[a-z0-9][a-z0-9_]{0,47}\.py$")
DISPUTE_RE = re.compile(r"^\s*DISPUTE:\s*(.+)", re.MULTILINE | re.DOTALL)


class ReplyError(ValueError):
    """A reply that does not follow the requested format; the message says what was expected."""


def name_allowed(name: str, allowed: tuple[str, ...], near_miss: bool) -> bool:
    return name in allowed or (near_miss and bool(NEAR_MISS_RE.match(name)))


def parse_files(text: str, allowed: tuple[str, ...], *, near_miss: bool = False) -> dict[str, str]:
    """The files of a reply, by name. Every file must be allowed and compile as Python."""
    files: dict[str, str] = {}
    for m in FILE_RE.finditer(text):
        name, body = m.group(1).strip(), m.group(2)
        if not name_allowed(name, allowed, near_miss):
            want = ", ".join(allowed) + (", near_miss/<name>.py (lowercase letters, digits, _)" if near_miss else "")
            raise ReplyError(f"unexpected file {name!r}; write only {want}")
        if name in files:
            raise ReplyError(f"file {name!r} appears twice; send each file once")
        try:
            compile(body, name, "exec")
        except SyntaxError as e:
            raise ReplyError(f"{name} does not compile: line {e.lineno}: {e.msg}") from None
        files[name] = body.rstrip() + "\n"
    if not files:
        raise ReplyError("no file found; put each file as a line 'FILE: <name>' followed by a fenced "
                         "```python code block")
    return files


def parse_json(text: str, kind: type = dict) -> Any:
    """The JSON value of a reply (a ```json block, or the outermost object/array in the text)."""
    fenced = re.search(r"```(?:json)?[ \t]*\n(.*?)\n[ \t]*```", text, re.DOTALL)
    candidates = [fenced.group(1)] if fenced else []
    open_, close = ("{", "}") if kind is dict else ("[", "]")
    i, j = text.find(open_), text.rfind(close)
    if i != -1 and j > i:
        candidates.append(text[i:j + 1])
    last = "no JSON found"
    for c in candidates:
        try:
            value = json.loads(c)
        except json.JSONDecodeError as e:
            last = f"invalid JSON: {e.msg} at line {e.lineno} column {e.colno}"
            continue
        if isinstance(value, kind):
            return value
        last = f"expected a JSON {'object' if kind is dict else 'array'}, got {type(value).__name__}"
    raise ReplyError(f"{last}; answer with one JSON {'object' if kind is dict else 'array'} in a ```json block")


def is_done(text: str) -> bool:
    """The Generator's "my scripts are right" after a self-check."""
    return text.strip().strip(".!`*").upper() == "DONE"


def dispute_reason(text: str) -> str | None:
    """The reason of a ``DISPUTE: ...`` reply (a reviewer saying the state, not its check, is wrong)."""
    if FILE_RE.search(text):
        return None
    m = DISPUTE_RE.search(text)
    return m.group(1).strip()[:2000] if m else None
