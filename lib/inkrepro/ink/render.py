"""Anti-aliased ink rendering with aggdraw, and the image letterbox.

Strokes are drawn with round caps and round joins. aggdraw's own pen has butt caps and miter
joins, so each polyline is split at sharp turns (> 50 degrees) and discs are drawn at the ends
and the split points; at gentler turns a miter join exceeds a round one by < 0.11 x width.
Ink coordinates are in the pixel frame of the output (pixel ``i`` covers ``[i, i+1)``).
"""

from __future__ import annotations

import aggdraw
import numpy as np
from PIL import Image

from inkrepro.errors import InkError
from inkrepro.ink.core import Ink
from inkrepro.ink.geometry import FrameTransform, flatten, letterbox_size

Color = tuple[int, int, int]
_SHARP_COS = np.cos(np.deg2rad(50.0))  # split polylines at turns sharper than this
_WIDTH_LEVELS = 5                      # quantised widths for width variation


def _size_wh(size: int | tuple[int, int]) -> tuple[int, int]:
    if isinstance(size, int | np.integer):
        return int(size), int(size)
    w, h = size
    return int(w), int(h)


def _flatten(ink: Ink) -> tuple[np.ndarray, np.ndarray]:
    """All points (N, 2) with consecutive duplicates inside a stroke removed, and the stroke
    id of each point; empty strokes vanish."""
    x, y, _, lens = flatten(ink)
    pts = np.stack([x, y], axis=-1)
    sid = np.repeat(np.arange(len(lens)), lens)
    if len(pts) > 1:
        keep = np.ones(len(pts), dtype=bool)
        keep[1:] = (np.abs(np.diff(pts, axis=0)).sum(axis=1) > 1e-9) | (sid[1:] != sid[:-1])
        pts, sid = pts[keep], sid[keep]
    return pts, sid


def _cuts(pts: np.ndarray, sid: np.ndarray) -> np.ndarray:
    """Boolean (N,): stroke starts/ends and vertices turning sharper than ~50 degrees."""
    n = len(pts)
    cut = np.ones(n, dtype=bool)
    if n < 3:
        return cut
    same = sid[1:] == sid[:-1]                      # segment i -> i+1 lies inside a stroke
    cut[1:-1] = ~(same[:-1] & same[1:])             # first/last point of each stroke
    d = np.diff(pts, axis=0)
    d /= np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-12)[:, None]
    cos = (d[:-1] * d[1:]).sum(axis=1)
    cut[1:-1] |= cos < _SHARP_COS
    return cut


def _width_profile(pts: np.ndarray, sid: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Smooth random profile in [-1, 1] along the ink's arc length (periods 30..150 px)."""
    seg = np.hypot(*np.diff(pts, axis=0).T) if len(pts) > 1 else np.zeros(0)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    out = np.zeros(len(pts))
    for k in range(3):
        period = rng.uniform(30, 150)
        out += rng.uniform(-1, 1) / (k + 1) * np.sin(2 * np.pi * (s / period + rng.uniform()))
    return np.clip(out / 1.2, -1.0, 1.0)


def draw_ink(draw, ink: Ink, *, width: float, color, width_variation: float = 0.0,
             rng: np.random.Generator | None = None) -> None:
    """Draw ``ink`` on an ``aggdraw.Draw`` (any mode) with round caps and joins.

    ``width_variation`` v in [0, 1): the width along the ink is ``width * (1 + v * p(s))``
    with p a smooth random profile in [-1, 1] of arc length s drawn from ``rng``.
    """
    pts, sid = _flatten(ink)
    if len(pts) == 0:
        return
    if not np.isfinite(pts).all():
        raise InkError("cannot render NaN/inf coordinates; use Ink.cleaned()")
    width = float(width)
    brush = aggdraw.Brush(color)
    pens: dict[float, aggdraw.Pen] = {}
    cut = _cuts(pts, sid)
    if width_variation > 0:
        rng = np.random.default_rng(0) if rng is None else rng
        w = width * np.clip(1.0 + width_variation * _width_profile(pts, sid, rng), 0.2, None)
        lo, hi = w.min(), w.max()
        step = (hi - lo) / (_WIDTH_LEVELS - 1) if hi > lo else 1.0
        wv = lo + np.round((w - lo) / step) * step
        seg_w = np.maximum(wv[:-1], wv[1:])
        disc = cut.copy()  # width-level changes need no disc (sub-pixel notch at most)
        cut[1:-1] |= seg_w[1:] != seg_w[:-1]
    else:
        wv = np.full(len(pts), width)
        seg_w = wv[:-1]
        disc = cut
    idx = np.nonzero(cut)[0]
    flat = pts.ravel().tolist()
    idx_l, sid_l, wv_l, segw_l = idx.tolist(), sid.tolist(), wv.tolist(), seg_w.tolist()
    for a, b in zip(idx_l[:-1], idx_l[1:]):
        if sid_l[a] == sid_l[b]:
            w_ab = segw_l[a]
            p = pens.get(w_ab)
            if p is None:
                p = pens[w_ab] = aggdraw.Pen(color, w_ab)
            draw.line(flat[2 * a:2 * b + 2], p)
    for i in np.nonzero(disc)[0].tolist():
        r = wv_l[i] / 2
        x, y = flat[2 * i], flat[2 * i + 1]
        draw.ellipse((x - r, y - r, x + r, y + r), brush)


def render(ink: Ink, size: int | tuple[int, int], *, width: float = 2.0,
           color: Color = (0, 0, 0), background: Color = (255, 255, 255),
           width_variation: float = 0.0, seed: int = 0) -> np.ndarray:
    """Render ``ink`` (already in the output's pixel frame) -> HxWx3 uint8."""
    w, h = _size_wh(size)
    d = aggdraw.Draw("RGB", (w, h), tuple(int(c) for c in background))
    draw_ink(d, ink, width=width, color=tuple(int(c) for c in color),
             width_variation=width_variation, rng=np.random.default_rng(seed))
    d.flush()
    return np.frombuffer(d.tobytes(), np.uint8).reshape(h, w, 3).copy()


def render_mask(ink: Ink, size: int | tuple[int, int], *, width: float = 2.0,
                width_variation: float = 0.0, rng: np.random.Generator | None = None) -> np.ndarray:
    """Ink coverage as HxW uint8 (0 = paper, 255 = fully inked)."""
    w, h = _size_wh(size)
    d = aggdraw.Draw("L", (w, h), 0)
    draw_ink(d, ink, width=width, color=255, width_variation=width_variation, rng=rng)
    d.flush()
    return np.frombuffer(d.tobytes(), np.uint8).reshape(h, w).copy()


def letterbox_image(img: np.ndarray | Image.Image, size: int = 224,
                    resample: int = Image.BILINEAR) -> tuple[np.ndarray, FrameTransform]:
    """Letterbox an image into ``size x size`` on black, exactly as the released model's input.

    Returns the SxSx3 uint8 image and the FrameTransform that maps ink on ``img`` into it.
    """
    pil = img if isinstance(img, Image.Image) else Image.fromarray(np.asarray(img))
    pil = pil.convert("RGB")
    w, h = pil.size
    ratio, nw, nh, dx, dy = letterbox_size(w, h, size)
    out = Image.new("RGB", (size, size), (0, 0, 0))
    out.paste(pil.resize((max(nw, 1), max(nh, 1)), resample), (dx, dy))
    return np.asarray(out).copy(), FrameTransform(ratio, float(dx), float(dy))
