"""Small inks for the ink-core tests (H1)."""

from __future__ import annotations

import numpy as np

from inkrepro.ink.core import Ink, Stroke


def random_ink(rng: np.random.Generator, *, n_strokes: int | None = None, lo: float = 0.0,
               hi: float = 224.0, time: bool = False, max_points: int = 30) -> Ink:
    n_strokes = int(rng.integers(1, 6)) if n_strokes is None else n_strokes
    strokes, t0 = [], 0.0
    for _ in range(n_strokes):
        n = int(rng.integers(1, max_points))
        xy = rng.uniform(lo, hi, (n, 2))
        t = None
        if time:
            t = t0 + np.cumsum(rng.uniform(0.005, 0.02, n))
            t0 = float(t[-1]) + 0.1
        strokes.append(Stroke(xy[:, 0], xy[:, 1], t))
    return Ink(tuple(strokes))


def word_ink() -> Ink:
    """A word-like ink in the 224 frame: a wavy cursive line, a cross stroke and a dot."""
    s = np.linspace(0, 6 * np.pi, 160)
    return Ink.from_xy([
        np.c_[20 + s * 9.5, 112 + 25 * np.sin(s) + 6 * np.sin(3.1 * s)],
        [[60, 70], [90, 72], [120, 75]],
        [[170, 60]],
    ])
