"""Synthetic screenshots for tests that need images but no browser."""

from __future__ import annotations

import random

from PIL import Image


def shot(seed: int, size: tuple[int, int] = (320, 200)) -> Image.Image:
    """A deterministic screenshot-like image: a background and six 40x20 boxes, all colours drawn from ``seed``."""
    rng = random.Random(seed)
    img = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    for _ in range(6):
        x, y = rng.randrange(size[0] - 40), rng.randrange(size[1] - 20)
        img.paste(tuple(rng.randrange(256) for _ in range(3)), (x, y, x + 40, y + 20))
    return img
