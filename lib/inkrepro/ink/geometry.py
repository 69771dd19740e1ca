"""Geometry of ink: the 224 letterbox frame (exact, invertible), quantisation, resampling,
Ramer-Douglas-Peucker simplification, rotation and other affine maps.

Pixel convention: a coordinate is a position on the continuous image plane where pixel ``i``
covers ``[i, i+1)``; so scaling an image by ``ratio`` scales ink by the same ``ratio`` with no
half-pixel shift. Affine maps are 2x3 matrices ``[[a, b, c], [d, e, f]]`` acting on
column vectors ``(x, y, 1)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inkrepro.errors import InkError
from inkrepro.ink.core import Ink, Stroke

FRAME_SIZE = 224


# --------------------------------------------------------------------------- flat form (fast paths)

def flatten(ink: Ink) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """(x (N,), y (N,), t (N,) or None, stroke lengths (S,)) without per-stroke stacking."""
    ss = ink.strokes
    lens = np.fromiter((len(s.x) for s in ss), dtype=np.int64, count=len(ss))
    if not ss:
        z = np.zeros(0)
        return z, z, None, lens
    x = np.concatenate([s.x for s in ss])
    y = np.concatenate([s.y for s in ss])
    t = np.concatenate([s.t for s in ss]) if ss[0].t is not None else None
    return x, y, t, lens


def unflatten(x: np.ndarray, y: np.ndarray, t: np.ndarray | None, lens: np.ndarray) -> Ink:
    """Inverse of :func:`flatten`."""
    ends = np.cumsum(lens).tolist()
    starts = [0] + ends[:-1]
    return Ink(tuple(Stroke(x[a:b], y[a:b], None if t is None else t[a:b])
                     for a, b in zip(starts, ends)))


def is_finite(ink: Ink) -> bool:
    x, y, t, _ = flatten(ink)
    return bool(np.isfinite(x).all() and np.isfinite(y).all() and (t is None or np.isfinite(t).all()))


# --------------------------------------------------------------------------- letterbox frame

@dataclass(frozen=True)
class FrameTransform:
    """source -> frame: ``x' = (x - left) * ratio + dx``; frame -> source: the inverse."""

    ratio: float
    dx: float
    dy: float
    left: float = 0.0
    top: float = 0.0

    def forward_xy(self, xy_Nx2: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy_Nx2, dtype=np.float64)
        return (xy - (self.left, self.top)) * self.ratio + (self.dx, self.dy)

    def inverse_xy(self, xy_Nx2: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy_Nx2, dtype=np.float64)
        return (xy - (self.dx, self.dy)) / self.ratio + (self.left, self.top)

    def forward(self, ink: Ink) -> Ink:
        return ink.map_xy(self.forward_xy)

    def inverse(self, ink: Ink) -> Ink:
        return ink.map_xy(self.inverse_xy)

    @property
    def matrix(self) -> np.ndarray:
        """The forward map as a 2x3 affine matrix."""
        r = self.ratio
        return np.array([[r, 0.0, self.dx - r * self.left], [0.0, r, self.dy - r * self.top]])


def letterbox_size(w: float, h: float, size: int = FRAME_SIZE) -> tuple[float, int, int, int, int]:
    """(ratio, new_w, new_h, dx, dy) of the image letterbox contract."""
    if w <= 0 or h <= 0:
        raise InkError(f"cannot letterbox a {w}x{h} image")
    ratio = min(size / w, size / h)
    nw, nh = int(w * ratio), int(h * ratio)
    return ratio, nw, nh, (size - nw) // 2, (size - nh) // 2


def letterbox_transform(w: float, h: float, size: int = FRAME_SIZE) -> FrameTransform:
    """The transform of an image of ``w x h`` pixels letterboxed into ``size x size``.

    ``ratio = min(size/w, size/h)``, resized to ``(int(w*ratio), int(h*ratio))``, pasted at
    ``dx = (size - new_w)//2, dy = (size - new_h)//2``.
    """
    ratio, _, _, dx, dy = letterbox_size(w, h, size)
    return FrameTransform(ratio, float(dx), float(dy))


def fit_to_frame(ink: Ink, size: int = FRAME_SIZE, margin: float = 0.0) -> tuple[Ink, FrameTransform]:
    """Letterbox the ink's bounding box into the ``size`` frame like an image of the bbox size.

    ``margin`` is in frame pixels on every side: the bbox goes into ``size - 2*margin`` and is
    shifted by ``margin``. A single-point ink lands in the centre (ratio 1); a straight
    horizontal or vertical line is scaled by its long side and centred on the other.
    """
    ink.validate()
    xmin, ymin, xmax, ymax = ink.bbox
    w, h = xmax - xmin, ymax - ymin
    inner = size - 2 * margin
    if inner <= 0:
        raise InkError(f"margin {margin} leaves no room in a {size} frame")
    eps = 1e-9
    if w < eps and h < eps:
        tf = FrameTransform(1.0, size / 2, size / 2, xmin, ymin)
    else:
        ratio = min(inner / max(w, eps), inner / max(h, eps))
        nw, nh = int(w * ratio), int(h * ratio)
        tf = FrameTransform(ratio, (inner - nw) // 2 + margin, (inner - nh) // 2 + margin, xmin, ymin)
    return tf.forward(ink), tf


# --------------------------------------------------------------------------- quantise

def quantize(ink: Ink, max_coord: int = FRAME_SIZE) -> Ink:
    """Round to integers, clip to ``0..max_coord``, drop consecutive duplicate points and
    then empty strokes. Time (if any) keeps the first point of each run of duplicates.
    Non-finite values raise InkError (use ``Ink.cleaned()`` first)."""
    x, y, t, lens = flatten(ink)
    if not is_finite(ink):
        ink.validate()
    x = np.clip(np.rint(x), 0, max_coord)
    y = np.clip(np.rint(y), 0, max_coord)
    sid = np.repeat(np.arange(len(lens)), lens)
    keep = np.ones(len(x), dtype=bool)
    keep[1:] = (x[1:] != x[:-1]) | (y[1:] != y[:-1]) | (sid[1:] != sid[:-1])
    new_lens = np.bincount(sid[keep], minlength=len(lens))
    return unflatten(x[keep], y[keep], None if t is None else t[keep], new_lens[new_lens > 0])


# --------------------------------------------------------------------------- resample

def _interp_stroke(s: Stroke, param: np.ndarray, at: np.ndarray) -> Stroke:
    x = np.interp(at, param, s.x)
    y = np.interp(at, param, s.y)
    t = None if s.t is None else np.interp(at, param, s.t)
    return Stroke(x, y, t)


MAX_RESAMPLED_POINTS = 10_000_000  # per stroke; beyond it coordinates are out of any sane range


def _grid(total: float, step: float) -> np.ndarray:
    if not total / step <= MAX_RESAMPLED_POINTS:
        raise InkError(f"resampling a stroke of length {total:.3g} at step {step:.3g} would make more "
                       f"than {MAX_RESAMPLED_POINTS:,} points: coordinates out of range")
    n = int(np.floor(total / step + 1e-9))
    at = np.arange(n + 1) * step
    if total - at[-1] > 1e-9 * max(1.0, total):
        at = np.append(at, total)  # keep the stroke's last point
    return at


def resample(ink: Ink, *, dt: float | None = None, spacing: float | None = None) -> Ink:
    """Resample each stroke: at a constant time rate ``dt`` (seconds) when the ink has
    timestamps and ``dt`` is given, otherwise at constant arc-length ``spacing``.

    First and last points of every stroke are kept; one-point strokes are unchanged.
    Timestamps are made non-decreasing first (``np.maximum.accumulate``).
    """
    ink.validate()
    by_time = ink.has_time and dt is not None
    if not by_time and spacing is None:
        need = "dt (the ink has timestamps) or spacing" if ink.has_time else "spacing (the ink has no timestamps)"
        raise InkError(f"resample needs {need}")
    step = dt if by_time else spacing
    if step is None or not step > 0:
        raise InkError(f"resample step must be > 0, got {step}")
    out = []
    for s in ink.strokes:
        if len(s) < 2:
            out.append(s)
            continue
        if by_time:
            param = np.maximum.accumulate(s.t) - s.t[0]
        else:
            param = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(s.x), np.diff(s.y)))])
        total = float(param[-1])
        if total <= 0:
            out.append(s.take(np.array([0])))
            continue
        # np.interp needs strictly increasing xp for exact results: drop zero-progress points.
        keep = np.ones(len(param), dtype=bool)
        keep[1:] = np.diff(param) > 0
        out.append(_interp_stroke(s.take(keep), param[keep], _grid(total, step)))
    return Ink(tuple(out))


# --------------------------------------------------------------------------- simplify

def _rdp_mask(xy: np.ndarray, epsilon: float) -> np.ndarray:
    n = len(xy)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        p, q = xy[a], xy[b]
        seg = q - p
        pts = xy[a + 1:b] - p
        norm = np.hypot(*seg)
        if norm == 0:
            d = np.hypot(pts[:, 0], pts[:, 1])
        else:
            d = np.abs(seg[0] * pts[:, 1] - seg[1] * pts[:, 0]) / norm
        i = int(np.argmax(d))
        if d[i] > epsilon:
            m = a + 1 + i
            keep[m] = True
            stack.append((a, m))
            stack.append((m, b))
    return keep


def simplify(ink: Ink, epsilon: float) -> Ink:
    """Ramer-Douglas-Peucker per stroke with tolerance ``epsilon`` (same units as the ink).
    Endpoints are always kept; time follows the kept points."""
    ink.validate()
    if epsilon < 0:
        raise InkError(f"epsilon must be >= 0, got {epsilon}")
    return ink.map_strokes(lambda s: s if len(s) < 3 else s.take(_rdp_mask(s.xy, epsilon)))


# --------------------------------------------------------------------------- affine

def identity() -> np.ndarray:
    return np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def translation(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]])


def scaling(sx: float, sy: float | None = None, center: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    sy = sx if sy is None else sy
    cx, cy = center
    return np.array([[sx, 0.0, cx - sx * cx], [0.0, sy, cy - sy * cy]])


def rotation(degrees: float, center: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Rotation that turns content counter-clockwise *as seen on screen* (y down) by
    ``degrees``, like ``PIL.Image.rotate(degrees)``."""
    th = np.deg2rad(degrees)
    c, s = np.cos(th), np.sin(th)
    cx, cy = center
    m = np.array([[c, s, 0.0], [-s, c, 0.0]])
    m[:, 2] = (cx, cy) - m[:, :2] @ (cx, cy)
    return m


def shear(kx: float, ky: float = 0.0, center: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    m = np.array([[1.0, kx, 0.0], [ky, 1.0, 0.0]])
    m[:, 2] = np.asarray(center) - m[:, :2] @ np.asarray(center)
    return m


def compose(*mats: np.ndarray) -> np.ndarray:
    """compose(A, B, C) applies A first, then B, then C."""
    out = np.eye(3)
    for m in mats:
        out = np.vstack([np.asarray(m, dtype=np.float64), [0, 0, 1]]) @ out
    return out[:2]


def invert(m_2x3: np.ndarray) -> np.ndarray:
    full = np.vstack([np.asarray(m_2x3, dtype=np.float64), [0, 0, 1]])
    return np.linalg.inv(full)[:2]


def apply_affine(ink: Ink, m_2x3: np.ndarray) -> Ink:
    """``ink`` mapped by a 2x3 affine matrix (vectorised over all points; time kept)."""
    m = np.asarray(m_2x3, dtype=np.float64)
    x, y, t, lens = flatten(ink)
    return unflatten(m[0, 0] * x + m[0, 1] * y + m[0, 2], m[1, 0] * x + m[1, 1] * y + m[1, 2], t, lens)


def bbox_center(ink: Ink) -> tuple[float, float]:
    xmin, ymin, xmax, ymax = ink.bbox
    return (xmin + xmax) / 2, (ymin + ymax) / 2


def rotate(ink: Ink, degrees: float, center: tuple[float, float] | None = None) -> Ink:
    """Rotate counter-clockwise on screen about ``center`` (default: the bbox centre)."""
    if ink.is_empty:
        return ink
    return apply_affine(ink, rotation(degrees, bbox_center(ink) if center is None else center))
