"""The screenshot-folding rule.

With ``image_max`` screenshots allowed at full resolution and ``fold_size`` folded at a time:
while the screenshots seen so far fit in ``image_max`` none is folded; when one more would
exceed it, the oldest ``fold_size`` are replaced by a short text placeholder, and so on.
Between two folds the context only grows, which is what lets every step between folds be
trained in one forward pass under the exact context it was sampled with.
"""

from __future__ import annotations


def folded_count(num_screenshots: int, image_max: int, fold_size: int) -> int:
    """How many of the oldest screenshots are folded when ``num_screenshots`` have been seen.

    >>> [folded_count(n, 20, 10) for n in (1, 20, 21, 30, 31, 41)]
    [0, 0, 10, 10, 20, 30]
    """
    if image_max < 1 or not 1 <= fold_size <= image_max:
        raise ValueError(f"need image_max >= 1 and 1 <= fold_size <= image_max, got {image_max}, {fold_size}")
    if num_screenshots < 0:
        raise ValueError(f"num_screenshots must be >= 0, got {num_screenshots}")
    over = num_screenshots - image_max
    return 0 if over <= 0 else fold_size * -(-over // fold_size)


def fold_boundaries(num_steps: int, image_max: int, fold_size: int) -> list[tuple[int, int]]:
    """Runs of steps ``[start, end)`` that share one fold level (step t has seen t + 1 screenshots)."""
    runs: list[tuple[int, int]] = []
    start = 0
    for t in range(1, num_steps + 1):
        if t == num_steps or folded_count(t + 1, image_max, fold_size) != folded_count(start + 1, image_max, fold_size):
            runs.append((start, t))
            start = t
    return runs
