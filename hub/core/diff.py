"""Flat, dotted-path diff between two JSON states.

Lists of objects that all carry a unique ``id`` are matched by id (``emails.m42.read``),
so deleting the first mail does not show up as every later mail changing; other lists are
compared by index (``tags.0``). Keys listed as transient are skipped at any depth where the
dotted path (with list ids/indices replaced by ``*``) or the bare key matches.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

_MISSING = object()


def _id_keyed(items: list) -> dict[str, Any] | None:
    if not items or not all(isinstance(x, dict) and "id" in x for x in items):
        return None
    keys = [str(x["id"]) for x in items]
    if len(set(keys)) != len(keys):
        return None
    return dict(zip(keys, items))


def state_diff(old: Any, new: Any, transient: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
    """Return ``{dotted_path: {"old": a, "new": b}}`` for every leaf that differs.

    A value that appears is reported with ``old`` None, one that disappears with ``new`` None.
    """
    skip = set(transient)
    out: dict[str, dict[str, Any]] = {}
    _walk(old, new, "", "", skip, out)
    return out


def encode_json(value: Any) -> str:
    """Compact JSON as the State API sends it (the encoding Starlette's JSONResponse uses)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))


class Encoded(dict):
    """``{key: compact JSON}`` of a state's top-level members; ``elements[key]`` holds the encoded
    elements of a member that is a list (whose text is ``"[" + ",".join(elements) + "]"``)."""

    def __init__(self, members: dict[str, str], elements: dict[str, list[str]]) -> None:
        super().__init__(members)
        self.elements = elements


def encode_top(state: dict[str, Any]) -> Encoded:
    """Each top-level value of a state encoded on its own (lists element by element)."""
    members, items = {}, {}
    for k, v in state.items():
        if isinstance(v, list):
            parts = [encode_json(x) for x in v]
            items[k] = parts
            members[k] = "[" + ",".join(parts) + "]"
        else:
            members[k] = encode_json(v)
    return Encoded(members, items)


def join_encoded(encoded: dict[str, str]) -> str:
    """The JSON object whose members :func:`encode_top` encoded."""
    return "{" + ",".join(encode_json(k) + ":" + v for k, v in encoded.items()) + "}"


def state_diff_encoded(old: dict[str, Any], new: dict[str, Any], old_enc: dict[str, str],
                       new_enc: dict[str, str], transient: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
    """:func:`state_diff` of two top-level objects whose members are also given encoded.

    A member (or an element of an id-keyed list member) whose encodings are equal is the same
    JSON value (same types, same order), so it holds no change and is not walked; only what
    differs in text is compared leaf by leaf. The result equals ``state_diff(old, new, transient)``.
    """
    skip = set(transient)
    out: dict[str, dict[str, Any]] = {}
    old_items = getattr(old_enc, "elements", {})
    new_items = getattr(new_enc, "elements", {})
    for k in list(old.keys()) + [k for k in new.keys() if k not in old]:
        if k in old and k in new and old_enc[k] == new_enc[k]:
            continue
        a, b = old.get(k, _MISSING), new.get(k, _MISSING)
        if k in old_items and k in new_items and str(k) not in skip:
            ka, kb = _id_keyed(a), _id_keyed(b)
            if ka is not None and kb is not None:
                ta = dict(zip(ka, old_items[k]))
                tb = dict(zip(kb, new_items[k]))
                for i in list(ka) + [i for i in kb if i not in ka]:
                    if i in ka and i in kb and ta[i] == tb[i]:
                        continue
                    _walk(ka.get(i, _MISSING), kb.get(i, _MISSING), f"{k}.{i}", f"{k}.*", skip, out)
                continue
        _walk(a, b, str(k), str(k), skip, out)
    return out


def _emit(out: dict, path: str, a: Any, b: Any) -> None:
    out[path] = {"old": None if a is _MISSING else a, "new": None if b is _MISSING else b}


def _walk(a: Any, b: Any, path: str, pattern: str, skip: set, out: dict) -> None:
    if path and (pattern in skip or pattern.rsplit(".", 1)[-1] in skip):
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a.keys()) + [k for k in b.keys() if k not in a]:
            _walk(a.get(k, _MISSING), b.get(k, _MISSING), _join(path, k), _join(pattern, k), skip, out)
        return
    if isinstance(a, list) and isinstance(b, list):
        ka, kb = _id_keyed(a), _id_keyed(b)
        if ka is not None and kb is not None or (ka is not None and not b) or (kb is not None and not a):
            ka, kb = ka or {}, kb or {}
            for k in list(ka.keys()) + [k for k in kb.keys() if k not in ka]:
                _walk(ka.get(k, _MISSING), kb.get(k, _MISSING), _join(path, k), _join(pattern, "*"), skip, out)
            return
        for i in range(max(len(a), len(b))):
            x = a[i] if i < len(a) else _MISSING
            y = b[i] if i < len(b) else _MISSING
            _walk(x, y, _join(path, str(i)), _join(pattern, "*"), skip, out)
        return
    if a is not _MISSING and b is not _MISSING and _same_leaf(a, b):
        return
    for side in (a, b):
        other = b if side is a else a
        if isinstance(side, (dict, list)) and side and other is _MISSING:
            # A whole subtree appeared or vanished: report its leaves so rewards can test them.
            empty = {} if isinstance(side, dict) else []
            _walk(empty if a is _MISSING else a, empty if b is _MISSING else b, path, pattern, skip, out)
            return
    _emit(out, path, a, b)


def _same_leaf(a: Any, b: Any) -> bool:
    # 1 == 1.0 is no change, but True and 1 are different values of different fields.
    return a == b and isinstance(a, bool) == isinstance(b, bool) and type(a) in (type(b), int, float)


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)
