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
        line = (f"{path}: {json.dumps(ch.get('old'), ensure_ascii=False)} -> "
                f"{json.dumps(ch.get('new'), ensure_ascii=False)}")
        if len(line) > 600:
            line = line[:600] + " ..."
        if used + len(line) > max_chars:
            lines.append(f"... {len(diff) - k} more changed fields")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def tail(text: str, n: int = 1500) -> str:
    text = text.strip()
    return text if len(text) <= n else "..." + text[-n:]
