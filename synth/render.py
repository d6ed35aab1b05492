"""States and diffs as text for a model's context, within a character budget."""

from __future__ import annotations

import json
from typing import Any


def _shrink(value: Any, keep: int) -> Any:
    """``value`` with every list cut to its first ``keep`` items (plus a note of how many were cut)."""
    if isinstance(value, dict):
        return {k: _shrink(v, keep) for k, v in value.items()}
    if isinstance(value, list):
        head = [_shrink(v, keep) for v in value[:keep]]
        return head + ([f"... {len(value) - keep} more items"] if len(value) > keep else [])
    if isinstance(value, str) and len(value) > 400:
        return value[:400] + f"... ({len(value) - 400} more characters)"
    return value


def render_state(state: Any, max_chars: int) -> str:
    """Compact JSON of ``state``; long lists are abbreviated (longest first) until it fits."""
    text = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
    if len(text) <= max_chars:
        return text
    for keep in (50, 20, 10, 5, 3, 2, 1):
        text = json.dumps(_shrink(state, keep), ensure_ascii=False, separators=(",", ":"))
        if len(text) <= max_chars:
            return text + f"\n(abbreviated: lists cut to {keep} items)"
    return text[:max_chars] + "\n(abbreviated: cut at the character budget)"


def render_diff(diff: dict[str, dict[str, Any]], max_chars: int) -> str:
    """One line per changed leaf: ``path: old -> new`` (JSON values)."""
    if not diff:
        return "(no change)"
    lines = []
    used = 0
    for k, (path, ch) in enumerate(sorted(diff.items())):
        old, new = _elide_common(ch.get("old"), ch.get("new"))
        line = f"{path}: {old} -> {new}"
        if len(line) > 600:
            line = line[:600] + " ..."
        if used + len(line) > max_chars:
            lines.append(f"... {len(diff) - k} more changed fields")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def _elide_common(a: Any, b: Any, keep: int = 40) -> tuple[str, str]:
    """JSON of two values; for two long strings, the text they share at both ends is elided so the
    change itself stays visible."""
    ja, jb = json.dumps(a, ensure_ascii=False), json.dumps(b, ensure_ascii=False)
    if not (isinstance(a, str) and isinstance(b, str)) or max(len(ja), len(jb)) <= 160:
        return ja, jb
    p = 0
    while p < min(len(a), len(b)) and a[p] == b[p]:
        p += 1
    q = 0
    while q < min(len(a), len(b)) - p and a[-1 - q] == b[-1 - q]:
        q += 1

    def cut(s: str) -> str:
        head = s[:max(p - keep, 0)]
        tail = s[len(s) - max(q - keep, 0):] if q > keep else ""
        mid = s[len(head):len(s) - len(tail)]
        return ((f"...({len(head)} same chars)" if head else "") + json.dumps(mid, ensure_ascii=False)
                + (f"(same {len(tail)} chars)..." if tail else ""))

    return cut(a), cut(b)


def tail(text: str, n: int = 1500) -> str:
    text = text.strip()
    return text if len(text) <= n else "..." + text[-n:]
