"""Range checks for the ``check()`` methods of config sections.

Each returns the problem, ``SECTION.FIELD must be ..., got VALUE`` for the first field out of
range, or None, so that a ``check()`` is a chain of them in the order they are checked:

    def check(self) -> str | None:
        return (at_least(self, "train", 1, "steps")
                or when(self.lr <= 0 or self.grad_clip <= 0, "train.lr and train.grad_clip must be > 0")
                or fraction(self, "train", "dropout"))
"""

from __future__ import annotations

from typing import Any


def at_least(obj: Any, section: str, low: int, *names: str, note: str = "") -> str | None:
    """The first of ``names`` below ``low`` (``note`` follows the bound in the message)."""
    for name in names:
        value = getattr(obj, name)
        if value < low:
            return f"{section}.{name} must be >= {low}{note}, got {value}"
    return None


def above(obj: Any, section: str, low: int, *names: str) -> str | None:
    """The first of ``names`` that is not greater than ``low``."""
    for name in names:
        value = getattr(obj, name)
        if value <= low:
            return f"{section}.{name} must be > {low}, got {value}"
    return None


def fraction(obj: Any, section: str, *names: str) -> str | None:
    """The first of ``names`` outside (0, 1]."""
    for name in names:
        value = getattr(obj, name)
        if not 0 < value <= 1:
            return f"{section}.{name} must be within (0, 1], got {value}"
    return None


def when(condition: bool, problem: str) -> str | None:
    """``problem`` if ``condition`` holds: a check of its own in the chain."""
    return problem if condition else None
