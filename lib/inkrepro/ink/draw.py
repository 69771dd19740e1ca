"""Pictures of ink in the paper's visual convention.

Each stroke gets a colour from a rainbow by stroke order (first stroke violet, last red), and
within a stroke the colour goes from darker (pen down) to lighter (pen up), so the writing
order is readable; ink is drawn over the dimmed input image. Outputs: matplotlib axes
(``plot_ink``), uint8 images (``draw_ink``, ``overlay``, ``panel``, ``gallery``), SVG
(``to_svg``) and an animated GIF of the writing order (``to_gif``, Pillow only).
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

import aggdraw
import numpy as np
from matplotlib.collections import LineCollection
from PIL import Image, ImageDraw

from inkrepro.ink.core import Ink, Stroke

_LEVELS = 12       # colour steps within a stroke for raster drawing
_DARKEN = 0.65     # value factor of the pen-down colour (as in the released notebook)


def rainbow(x: float) -> tuple[float, float, float]:
    """matplotlib's 'rainbow' colormap at x in [0, 1] (RGB floats), without matplotlib."""
    return (float(np.clip(abs(2 * x - 0.5), 0, 1)), float(np.sin(np.pi * x)),
            float(np.cos(np.pi * x / 2)))


def stroke_colors(n_strokes: int) -> list[tuple[float, float, float]]:
    return [rainbow(i / max(n_strokes - 1, 1)) for i in range(n_strokes)]


def _darker(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    h, s, v = colorsys.rgb_to_hsv(*rgb)
    return colorsys.hsv_to_rgb(h, s, v * _DARKEN)


def point_colors(ink: Ink) -> list[np.ndarray]:
    """Per stroke, (N, 3) float RGB in [0, 1]: dark at the first point, base colour at the last."""
    out = []
    for base, s in zip(stroke_colors(len(ink)), ink.strokes):
        f = np.linspace(0.0, 1.0, max(len(s), 1))[:, None]
        out.append((1 - f) * np.array(_darker(base)) + f * np.array(base))
    return out


def _to_u8(rgb) -> tuple[int, int, int]:
    return tuple(int(round(255 * c)) for c in rgb)


def _hex(rgb) -> str:
    return "#" + "".join(f"{v:02x}" for v in _to_u8(rgb))


# --------------------------------------------------------------------------- raster

def dim(image: np.ndarray, amount: float = 0.6) -> np.ndarray:
    """Blend ``image`` towards white by ``amount`` (0 = unchanged)."""
    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    return (img * (1 - amount) + 255 * amount).astype(np.uint8)


def draw_ink(ink: Ink, size: int | tuple[int, int] | None = None, *, background: np.ndarray | None = None,
             width: float = 2.0, dim_amount: float = 0.6) -> np.ndarray:
    """Ink in the convention over a white canvas of ``size`` or over the dimmed ``background``
    (HxWx3; the ink is in its pixel frame). Non-finite points are skipped; colours follow
    stroke order including empty strokes. Returns HxWx3 uint8."""
    if background is not None:
        canvas = Image.fromarray(dim(background, dim_amount))
    else:
        if size is None:
            size = 224
        w, h = (size, size) if isinstance(size, int) else size
        canvas = Image.new("RGB", (int(w), int(h)), (255, 255, 255))
    d = aggdraw.Draw(canvas)
    r = width / 2
    for cols, s in zip(point_colors(ink), ink.strokes):
        ok = np.isfinite(s.xy).all(axis=1)
        xy, cols = s.xy[ok], cols[ok] if len(s) else cols
        if len(xy) == 0:
            continue
        if len(xy) == 1:
            c = _to_u8(cols[0])
            d.ellipse((xy[0, 0] - r, xy[0, 1] - r, xy[0, 0] + r, xy[0, 1] + r), aggdraw.Brush(c))
            continue
        lev = np.minimum((np.linspace(0, 1, len(xy)) * _LEVELS).astype(int), _LEVELS - 1)
        cuts = np.concatenate([[0], np.nonzero(np.diff(lev))[0] + 1, [len(xy) - 1]])
        for a, b in zip(cuts[:-1], cuts[1:]):
            c = _to_u8(cols[a])
            d.line(xy[a:b + 1].ravel().tolist(), aggdraw.Pen(c, width))
            d.ellipse((xy[a, 0] - r, xy[a, 1] - r, xy[a, 0] + r, xy[a, 1] + r), aggdraw.Brush(c))
        c = _to_u8(cols[-1])
        d.ellipse((xy[-1, 0] - r, xy[-1, 1] - r, xy[-1, 0] + r, xy[-1, 1] + r), aggdraw.Brush(c))
    d.flush()
    return np.asarray(canvas).copy()


def overlay(image: np.ndarray, ink: Ink, width: float = 2.0) -> np.ndarray:
    """Ink over the dimmed input image (ink in the image's pixel frame)."""
    return draw_ink(ink, background=np.asarray(image), width=width)


def panel(image: np.ndarray, ink: Ink, width: float = 2.0, gap: int = 4) -> np.ndarray:
    """Side by side: ``input | ink | overlay`` (HxW(3+)x3 uint8, white gaps)."""
    img = np.asarray(image)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    h, w = img.shape[:2]
    sep = np.full((h, gap, 3), 255, np.uint8)
    return np.concatenate([img.astype(np.uint8), sep, draw_ink(ink, (w, h), width=width), sep,
                           overlay(img, ink, width=width)], axis=1)


def gallery(items: Sequence, path: str | Path | None = None, *, cols: int = 4, pad: int = 6,
            title_height: int = 14, heading: str = "") -> np.ndarray:
    """Grid of images. ``items``: HxWx3 uint8 arrays or (title, array) pairs; tiles are padded
    to the largest size; ``heading``: a line above the grid saying what it shows. Saved as PNG
    when ``path`` is given; returns the grid."""
    pairs = [(it if isinstance(it, tuple) else ("", it)) for it in items]
    if not pairs:
        raise ValueError("gallery needs at least one image")
    imgs = [np.asarray(im) if np.asarray(im).ndim == 3 else np.repeat(np.asarray(im)[:, :, None], 3, 2)
            for _, im in pairs]
    th = title_height if any(t for t, _ in pairs) else 0
    tw, tht = max(i.shape[1] for i in imgs), max(i.shape[0] for i in imgs)
    cols = max(1, min(cols, len(imgs)))
    rows = (len(imgs) + cols - 1) // cols
    hh = title_height + pad if heading else 0
    W, H = cols * (tw + pad) + pad, rows * (tht + th + pad) + pad + hh
    canvas = Image.new("RGB", (W, H), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    if heading:
        draw.text((pad, pad), heading[: max(1, W // 6)], fill=(0, 0, 0))
    for k, ((title, _), im) in enumerate(zip(pairs, imgs)):
        r, c = divmod(k, cols)
        x, y = pad + c * (tw + pad), pad + r * (tht + th + pad) + hh
        if title:
            draw.text((x, y), str(title)[: max(1, tw // 6)], fill=(0, 0, 0))
        canvas.paste(Image.fromarray(im.astype(np.uint8)), (x, y + th))
    out = np.asarray(canvas).copy()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        canvas.save(path)
    return out


# --------------------------------------------------------------------------- matplotlib

def plot_ink(ax, ink: Ink, background: np.ndarray | None = None, *, linewidth: float = 2.0,
             dim_amount: float = 0.6) -> None:
    """Draw ``ink`` on a matplotlib axes in the convention (y down, equal aspect)."""
    ink = ink.cleaned()
    if background is not None:
        ax.imshow(dim(background, dim_amount), extent=(0, background.shape[1], background.shape[0], 0))
    for cols, s in zip(point_colors(ink), ink.strokes):
        if len(s) == 1:
            ax.plot(s.x, s.y, "o", color=cols[0], markersize=linewidth)
            continue
        seg = np.stack([s.xy[:-1], s.xy[1:]], axis=1)
        ax.add_collection(LineCollection(seg, colors=cols[:-1], linewidths=linewidth,
                                         capstyle="round", joinstyle="round"))
    if background is None and not ink.is_empty:
        x0, y0, x1, y1 = ink.bbox
        m = max(x1 - x0, y1 - y0, 1) * 0.05
        ax.set_xlim(x0 - m, x1 + m)
        ax.set_ylim(y1 + m, y0 - m)
    elif background is None:
        ax.set_ylim(ax.get_ylim()[::-1])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


# --------------------------------------------------------------------------- files

def to_svg(ink: Ink, path: str | Path | None = None, *, width: float = 2.0,
           size: tuple[float, float] | None = None) -> str:
    """SVG of the ink in the convention (one line per segment, round caps). The view box is
    ``0 0 W H`` for ``size`` or the ink's bbox plus a margin. Written to ``path`` if given."""
    ink = ink.cleaned()
    if size is not None:
        x0, y0, w, h = 0.0, 0.0, float(size[0]), float(size[1])
    elif ink.is_empty:
        x0, y0, w, h = 0.0, 0.0, 1.0, 1.0
    else:
        bx0, by0, bx1, by1 = ink.bbox
        m = width + 0.02 * max(bx1 - bx0, by1 - by0)
        x0, y0, w, h = bx0 - m, by0 - m, bx1 - bx0 + 2 * m, by1 - by0 + 2 * m
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0:g} {y0:g} {w:g} {h:g}" '
           f'width="{w:g}" height="{h:g}">',
           f'<rect x="{x0:g}" y="{y0:g}" width="{w:g}" height="{h:g}" fill="white"/>',
           f'<g fill="none" stroke-width="{width:g}" stroke-linecap="round" stroke-linejoin="round">']
    for k, (cols, s) in enumerate(zip(point_colors(ink), ink.strokes)):
        out.append(f"<g id={quoteattr(f'stroke{k}')}>")
        if len(s) == 1:
            c = _hex(cols[0])
            out.append(f'<circle cx="{s.x[0]:g}" cy="{s.y[0]:g}" r="{width / 2:g}" fill="{c}"/>')
        for i in range(len(s) - 1):
            c = _hex(cols[i])
            out.append(f'<line x1="{s.x[i]:.6g}" y1="{s.y[i]:.6g}" x2="{s.x[i + 1]:.6g}" '
                       f'y2="{s.y[i + 1]:.6g}" stroke="{c}"/>')
        out.append("</g>")
    out += ["</g>", "</svg>"]
    text = "\n".join(out) + "\n"
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, encoding="utf-8")
    return text


def writing_frames(ink: Ink, size: int | tuple[int, int] = 224, *, frames: int = 30,
                   width: float = 2.0, background: np.ndarray | None = None) -> list[np.ndarray]:
    """Frames revealing the ink point by point in writing order (the last shows all of it)."""
    ink = ink.cleaned()
    total = ink.num_points
    lens = [len(s) for s in ink.strokes]
    out = []
    for k in np.unique(np.linspace(0, total, max(2, frames)).round().astype(int)):
        strokes, left = [], int(k)
        for s, n in zip(ink.strokes, lens):
            if left <= 0:
                break
            strokes.append(s.take(np.arange(min(n, left))))
            left -= n
        # keep colours of the full ink: draw the prefix with padding strokes' colours fixed
        part = Ink(tuple(strokes))
        img = draw_ink(_pad_colours(part, ink), size, background=background, width=width)
        out.append(img)
    return out


def _pad_colours(part: Ink, full: Ink) -> Ink:
    """Prefix ink padded with invisible (empty) strokes so stroke colours match the full ink."""
    missing = len(full) - len(part)
    empty = Stroke(np.zeros(0), np.zeros(0), None if not full.has_time else np.zeros(0))
    return Ink(part.strokes + (empty,) * missing) if missing > 0 else part


def to_gif(ink: Ink, path: str | Path, *, size: int | tuple[int, int] = 224, frames: int = 30,
           duration_ms: int = 60, width: float = 2.0, background: np.ndarray | None = None) -> Path:
    """Animated GIF of the writing order (Pillow; loops forever, last frame held 1 s)."""
    imgs = [Image.fromarray(f) for f in writing_frames(ink, size, frames=frames, width=width,
                                                        background=background)]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    durations = [duration_ms] * (len(imgs) - 1) + [1000]
    imgs[0].save(path, save_all=True, append_images=imgs[1:], duration=durations, loop=0,
                 optimize=False, disposal=1)
    return path
