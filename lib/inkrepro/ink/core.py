"""Ink and Stroke: numpy-backed, immutable-by-convention containers of pen trajectories.

Coordinates are float x, y (y pointing down) with optional timestamps t in seconds.
Arrays are stored read-only; every transform returns a new object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from inkrepro.errors import InkError


def _frozen(a, name: str) -> np.ndarray:
    arr = np.array(a, dtype=np.float64, copy=True).reshape(-1)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Stroke:
    """One pen-down trajectory: x, y (and optionally t) of equal length."""

    x: np.ndarray
    y: np.ndarray
    t: np.ndarray | None = None

    def __post_init__(self):
        object.__setattr__(self, "x", _frozen(self.x, "x"))
        object.__setattr__(self, "y", _frozen(self.y, "y"))
        if self.t is not None:
            object.__setattr__(self, "t", _frozen(self.t, "t"))
        n = len(self.x)
        if len(self.y) != n or (self.t is not None and len(self.t) != n):
            lens = (n, len(self.y), None if self.t is None else len(self.t))
            raise InkError(f"stroke channels differ in length (x, y, t) = {lens}")

    @classmethod
    def from_xy(cls, xy_Nx2: np.ndarray | Sequence, t: np.ndarray | None = None) -> Stroke:
        xy = np.asarray(xy_Nx2, dtype=np.float64).reshape(-1, 2)
        return cls(xy[:, 0], xy[:, 1], t)

    def __len__(self) -> int:
        return len(self.x)

    @property
    def xy(self) -> np.ndarray:
        """(N, 2) array of points."""
        return np.stack([self.x, self.y], axis=-1)

    @property
    def has_time(self) -> bool:
        return self.t is not None

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax); raises on an empty stroke."""
        if len(self) == 0:
            raise InkError("bbox of an empty stroke")
        return (float(self.x.min()), float(self.y.min()), float(self.x.max()), float(self.y.max()))

    @property
    def length(self) -> float:
        """Arc length (sum of segment lengths)."""
        if len(self) < 2:
            return 0.0
        return float(np.hypot(np.diff(self.x), np.diff(self.y)).sum())

    def is_finite(self) -> bool:
        ok = np.isfinite(self.x).all() and np.isfinite(self.y).all()
        return bool(ok and (self.t is None or np.isfinite(self.t).all()))

    def map_xy(self, fn: Callable[[np.ndarray], np.ndarray]) -> Stroke:
        """New stroke with points fn(xy_Nx2) -> (N, 2); time is kept."""
        return Stroke.from_xy(fn(self.xy), self.t)

    def affine(self, m_2x3: np.ndarray) -> Stroke:
        m = np.asarray(m_2x3, dtype=np.float64)
        return self.map_xy(lambda p: p @ m[:, :2].T + m[:, 2])

    def take(self, idx: np.ndarray) -> Stroke:
        """Subset of points by index or boolean mask."""
        return Stroke(self.x[idx], self.y[idx], None if self.t is None else self.t[idx])

    def without_time(self) -> Stroke:
        return Stroke(self.x, self.y, None)

    def allclose(self, other: Stroke, atol: float = 1e-6) -> bool:
        if len(self) != len(other) or self.has_time != other.has_time:
            return False
        ok = np.allclose(self.xy, other.xy, atol=atol)
        return bool(ok and (self.t is None or np.allclose(self.t, other.t, atol=atol)))


@dataclass(frozen=True, eq=False)
class Ink:
    """An ordered sequence of strokes. Either every stroke has time or none does."""

    strokes: tuple[Stroke, ...] = ()

    def __post_init__(self):
        strokes = tuple(self.strokes)
        for s in strokes:
            if not isinstance(s, Stroke):
                raise InkError(f"Ink takes Stroke objects, got {type(s).__name__}")
        if strokes and len({s.has_time for s in strokes}) > 1:
            raise InkError("some strokes have timestamps and some do not")
        object.__setattr__(self, "strokes", strokes)

    @classmethod
    def from_xy(cls, strokes_xy: Iterable[np.ndarray | Sequence]) -> Ink:
        """Ink from a list of (N, 2) point arrays."""
        return cls(tuple(Stroke.from_xy(s) for s in strokes_xy))

    @classmethod
    def from_arrays(cls, points_Nx2: np.ndarray, stroke_lengths: np.ndarray,
                    t: np.ndarray | None = None) -> Ink:
        """Inverse of :meth:`to_arrays` (the flat storage form)."""
        pts = np.asarray(points_Nx2, dtype=np.float64).reshape(-1, 2)
        lengths = np.asarray(stroke_lengths, dtype=np.int64).reshape(-1)
        if lengths.sum() != len(pts) or (lengths < 0).any():
            raise InkError(f"stroke lengths sum to {lengths.sum()} but there are {len(pts)} points")
        if t is not None and len(t) != len(pts):
            raise InkError("time channel length differs from point count")
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        return cls(tuple(
            Stroke.from_xy(pts[a:b], None if t is None else np.asarray(t)[a:b])
            for a, b in zip(bounds[:-1], bounds[1:])))

    def to_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(points (N, 2) float32-safe, stroke lengths (S,), t (N,) or None)."""
        lengths = np.array([len(s) for s in self.strokes], dtype=np.int64)
        pts = np.concatenate([s.xy for s in self.strokes]) if self.strokes else np.zeros((0, 2))
        t = np.concatenate([s.t for s in self.strokes]) if self.has_time else None
        return pts, lengths, t

    def __len__(self) -> int:
        return len(self.strokes)

    def __iter__(self) -> Iterator[Stroke]:
        return iter(self.strokes)

    def __getitem__(self, i) -> Stroke:
        return self.strokes[i]

    def __add__(self, other: Ink) -> Ink:
        return self.concat(other)

    def concat(self, *others: Ink) -> Ink:
        return Ink(self.strokes + tuple(s for o in others for s in o.strokes))

    @property
    def num_strokes(self) -> int:
        return len(self.strokes)

    @property
    def num_points(self) -> int:
        return sum(len(s) for s in self.strokes)

    @property
    def is_empty(self) -> bool:
        return self.num_points == 0

    @property
    def has_time(self) -> bool:
        return bool(self.strokes) and self.strokes[0].has_time

    @property
    def points(self) -> np.ndarray:
        """All points in stroke order, (N, 2)."""
        return self.to_arrays()[0]

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) over all points; raises on empty ink."""
        if self.is_empty:
            raise InkError("bbox of an empty ink")
        p = self.points
        return (float(p[:, 0].min()), float(p[:, 1].min()),
                float(p[:, 0].max()), float(p[:, 1].max()))

    @property
    def length(self) -> float:
        return sum(s.length for s in self.strokes)

    def is_finite(self) -> bool:
        return all(s.is_finite() for s in self.strokes)

    def validate(self) -> Ink:
        """Raise InkError on non-finite values; return self for chaining."""
        for i, s in enumerate(self.strokes):
            if not s.is_finite():
                raise InkError(f"stroke {i} has NaN or infinite values; use Ink.cleaned()")
        return self

    def cleaned(self) -> Ink:
        """Documented cleanup: drop non-finite points, then empty strokes."""
        out = []
        for s in self.strokes:
            ok = np.isfinite(s.x) & np.isfinite(s.y)
            if s.t is not None:
                ok &= np.isfinite(s.t)
            if ok.any():
                out.append(s.take(ok))
        return Ink(tuple(out))

    def map_strokes(self, fn: Callable[[Stroke], Stroke]) -> Ink:
        return Ink(tuple(fn(s) for s in self.strokes))

    def map_xy(self, fn: Callable[[np.ndarray], np.ndarray]) -> Ink:
        return self.map_strokes(lambda s: s.map_xy(fn))

    def affine(self, m_2x3: np.ndarray) -> Ink:
        return self.map_strokes(lambda s: s.affine(m_2x3))

    def translate(self, dx: float, dy: float) -> Ink:
        return self.map_xy(lambda p: p + np.array([dx, dy]))

    def scale(self, sx: float, sy: float | None = None) -> Ink:
        sy = sx if sy is None else sy
        return self.map_xy(lambda p: p * np.array([sx, sy]))

    def without_time(self) -> Ink:
        return self.map_strokes(Stroke.without_time)

    def allclose(self, other: Ink, atol: float = 1e-6) -> bool:
        return len(self) == len(other) and all(
            a.allclose(b, atol) for a, b in zip(self.strokes, other.strokes))

    def __repr__(self) -> str:
        return f"Ink(strokes={self.num_strokes}, points={self.num_points}, time={self.has_time})"
