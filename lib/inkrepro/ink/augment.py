"""Photo-like augmentation of rendered ink (the paper's list), each with a range and a seed.

Geometric augmentations (rotation, scale) are applied to the *ink* before it is rendered, so
the returned target ink is exactly the ink that was drawn: the pair stays aligned by
construction. Everything else is photometric: ink colour, stroke width (+ variation along the
stroke), cluttered backgrounds (procedural paper textures, ruled and grid lines, illumination
gradients, blotches, random distractor strokes), blur, brightness/contrast, Gaussian noise and
JPEG re-encoding.

Speed: paper textures and noise fields are generated once per (size, process) from a fixed
seed and cached; each example takes a random crop/flip of them, so per-example work is a
handful of vectorised numpy ops on one SxSx3 float32 array.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from functools import lru_cache

import aggdraw
import numpy as np
from PIL import Image

from inkrepro import configlib
from inkrepro.configlib import Range
from inkrepro.ink import geometry
from inkrepro.ink.core import Ink
from inkrepro.ink.render import draw_ink

Pair = tuple[float, float]   # (min, max) of a uniform draw

# Ink colours (RGB) seen on paper: black, ballpoint blue, dark blue, blue-black, pencil grey,
# and rarely red and green. Weights are relative.
_INK_COLORS = np.array([(18, 18, 22), (28, 48, 150), (16, 26, 92), (30, 30, 70), (75, 75, 80),
                        (150, 22, 28), (22, 92, 44)], dtype=np.float32)
_INK_WEIGHTS = np.array([4, 3, 2, 2, 1.5, 0.5, 0.3])
_INK_WEIGHTS = _INK_WEIGHTS / _INK_WEIGHTS.sum()
_BANK = 16   # cached textures per size
_PAD = 32    # crop slack of cached fields
_CLUTTER_BANK = 64  # cached cluttered backgrounds per (size, clutter setting)


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges and probabilities. Defaults give the photo-like training distribution;
    ``AugmentConfig.none()`` gives a clean black-on-white rendering of width ``width[0]``."""

    rotation_deg: Pair = (-10.0, 10.0)
    p_rotation: float = 0.7
    scale: Pair = (0.8, 1.0)             # zoom of the ink about the frame centre
    p_scale: float = 0.5
    width: Pair = (1.2, 4.5)             # stroke width in frame pixels
    width_variation: Pair = (0.1, 0.5)   # relative width change along a stroke
    p_width_variation: float = 0.5
    p_ink_color: float = 0.85             # else black (18, 18, 22)
    ink_opacity: Pair = (0.8, 1.0)
    p_paper: float = 0.85                 # procedural paper texture, else plain white
    p_ruled: float = 0.2
    p_grid: float = 0.1
    p_gradient: float = 0.5
    gradient_strength: Pair = (0.05, 0.25)
    p_blotch: float = 0.15
    p_distractors: float = 0.3
    distractors: tuple[int, int] = (1, 3)
    p_blur: float = 0.3
    blur_radius: Pair = (0.3, 1.2)
    p_brightness_contrast: float = 0.5
    brightness: Pair = (-30.0, 30.0)
    contrast: Pair = (0.7, 1.3)
    p_noise: float = 0.5
    noise_std: Pair = (2.0, 12.0)
    p_jpeg: float = 0.5
    jpeg_quality: tuple[int, int] = (30, 95)

    @classmethod
    def none(cls, width: float = 2.0) -> AugmentConfig:
        """No augmentation: black ink of fixed ``width`` on white."""
        return cls(p_rotation=0.0, p_scale=0.0, width=(width, width), width_variation=(0.0, 0.0),
                   p_width_variation=0.0,
                   p_ink_color=0.0, ink_opacity=(1.0, 1.0), p_paper=0.0, p_ruled=0.0,
                   p_grid=0.0, p_gradient=0.0, p_blotch=0.0, p_distractors=0.0, p_blur=0.0,
                   p_brightness_contrast=0.0, p_noise=0.0, p_jpeg=0.0)

    def only(self, **kw) -> AugmentConfig:
        return replace(self, **kw)


_P = Range(0, 1)
# The valid values of AugmentConfig's fields (checked by :func:`check`, from
# ``inkrepro.data.config.check``): probabilities in [0, 1]; each (min, max) pair ordered.
RANGES = {
    "rotation_deg": Range(-180, 180, ordered=True), "p_rotation": _P,
    "scale": Range(0, lo_open=True, ordered=True), "p_scale": _P,
    "width": Range(0, lo_open=True, ordered=True, note="stroke width in frame pixels"),
    "width_variation": Range(0, 1, hi_open=True, ordered=True), "p_width_variation": _P,
    "p_ink_color": _P, "ink_opacity": Range(0, 1, ordered=True), "p_paper": _P, "p_ruled": _P,
    "p_grid": _P, "p_gradient": _P, "gradient_strength": Range(0, 1, ordered=True),
    "p_blotch": _P, "p_distractors": _P, "distractors": Range(0, ordered=True), "p_blur": _P,
    "blur_radius": Range(0, ordered=True, note="Gaussian sigma in pixels"),
    "p_brightness_contrast": _P,
    "brightness": Range(-255, 255, ordered=True, note="grey levels added"),
    "contrast": Range(0, ordered=True), "p_noise": _P,
    "noise_std": Range(0, ordered=True, note="grey levels"), "p_jpeg": _P,
    "jpeg_quality": Range(0, 100, ordered=True),
}


def check(cfg: AugmentConfig, prefix: str) -> AugmentConfig:
    """A UserError naming the key (``prefix`` + field), the value and its range (:data:`RANGES`)."""
    configlib.check_ranges(cfg, RANGES, prefix)
    return cfg


def _u(rng: np.random.Generator, r: Pair) -> float:
    lo, hi = r
    return float(lo) if hi <= lo else float(rng.uniform(lo, hi))


def _on(rng: np.random.Generator, p: float) -> bool:
    return p > 0 and rng.random() < p


# --------------------------------------------------------------------------- cached fields

def _upsample(field: np.ndarray, size: int) -> np.ndarray:
    im = Image.fromarray(field.astype(np.float32), mode="F")
    return np.asarray(im.resize((size, size), Image.BICUBIC), dtype=np.float32)


def _make_paper(rng: np.random.Generator, n: int) -> np.ndarray:
    """One 3xnxn (planar) uint8 paper texture: tinted base, blotchy low-frequency shading, grain, fibres."""
    base = np.array([rng.uniform(215, 252)] * 3, dtype=np.float32)
    base += rng.normal(0, 1, 3).astype(np.float32) * np.array([2, 2, 6], dtype=np.float32)
    kind = rng.integers(4)
    if kind == 1:    # yellowish / aged
        base *= np.array([1.0, 0.97, 0.86], dtype=np.float32)
    elif kind == 2:  # cool / bluish
        base *= np.array([0.95, 0.97, 1.0], dtype=np.float32)
    elif kind == 3:  # grey recycled / cardboard-ish
        base *= rng.uniform(0.78, 0.92)
    low = _upsample(rng.normal(0, 1, (6, 6)), n) * rng.uniform(3, 10)
    mid = _upsample(rng.normal(0, 1, (n // 8, n // 8)), n) * rng.uniform(1, 4)
    grain = rng.normal(0, rng.uniform(1.0, 4.0), (n, n)).astype(np.float32)
    img = base[:, None, None] + (low + mid + grain)[None]
    # fibres: faint short dark/light lines
    d = aggdraw.Draw("L", (n, n), 128)
    for _ in range(int(rng.integers(20, 80))):
        x, y = rng.uniform(0, n, 2)
        a = rng.uniform(0, np.pi)
        ln = rng.uniform(3, 15)
        v = int(128 + rng.choice([-1, 1]) * rng.uniform(10, 40))
        d.line((x, y, x + ln * np.cos(a), y + ln * np.sin(a)), aggdraw.Pen(v, rng.uniform(0.5, 1.2)))
    d.flush()
    fib = np.frombuffer(d.tobytes(), np.uint8).reshape(n, n).astype(np.float32) - 128
    img += 0.3 * fib[None]
    return np.clip(img, 0, 255).astype(np.uint8)  # planar 3 x n x n


@lru_cache(maxsize=8)
def _noise_bank(h: int, w: int) -> np.ndarray:
    """Standard-normal noise, planar 3 x (h+PAD) x (w+PAD) float32."""
    rng = np.random.default_rng(7)
    return rng.standard_normal((3, h + _PAD, w + _PAD), dtype=np.float32)


def _crop(field: np.ndarray, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Random h x w window of the last two axes, randomly flipped (a view)."""
    oy = int(rng.integers(field.shape[-2] - h + 1))
    ox = int(rng.integers(field.shape[-1] - w + 1))
    out = field[..., oy:oy + h, ox:ox + w]
    if rng.random() < 0.5:
        out = out[..., :, ::-1]
    if rng.random() < 0.5:
        out = out[..., ::-1, :]
    return out


# --------------------------------------------------------------------------- geometry

def _geometric(ink: Ink, size: int, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    c = (size / 2, size / 2)
    mats = []
    if _on(rng, cfg.p_rotation):
        mats.append(geometry.rotation(_u(rng, cfg.rotation_deg), c))
    if _on(rng, cfg.p_scale):
        mats.append(geometry.scaling(_u(rng, cfg.scale), center=c))
    m = geometry.compose(*mats) if mats else geometry.identity()
    if mats and not ink.is_empty:
        # keep the ink inside the frame: shrink about the centre and shift minimally
        x, y, _, _ = geometry.flatten(ink)
        p = np.stack([x, y], axis=-1) @ m[:, :2].T + m[:, 2]
        lo, hi = p.min(0), p.max(0)
        k = min(1.0, size / max(hi[0] - lo[0], 1e-9), size / max(hi[1] - lo[1], 1e-9))
        if k < 1.0:
            m = geometry.compose(m, geometry.scaling(k, center=c))
            lo, hi = (lo - c) * k + c, (hi - c) * k + c
        shift = np.maximum(0.0, -lo) - np.maximum(0.0, hi - size)
        if shift.any():
            m = geometry.compose(m, geometry.translation(*shift))
    return m


# --------------------------------------------------------------------------- background

def _lines_mask(size: int, rng: np.random.Generator, grid: bool) -> np.ndarray:
    d = aggdraw.Draw("L", (size, size), 0)
    spacing = rng.uniform(14, 40)
    ang = np.deg2rad(rng.uniform(-3, 3))
    pen = aggdraw.Pen(int(rng.uniform(120, 255)), rng.uniform(0.6, 1.6))
    off = rng.uniform(0, spacing)
    sa = np.sin(ang)
    for k in range(-2, int(size / spacing) + 3):
        y = off + k * spacing
        d.line((-10, y - 10 * sa, size + 10, y + (size + 10) * sa), pen)
        if grid:
            x = off + k * spacing
            d.line((x + 10 * sa, -10, x - (size + 10) * sa, size + 10), pen)
    d.flush()
    return np.frombuffer(d.tobytes(), np.uint8).reshape(size, size)


def _blotch_mask(size: int, rng: np.random.Generator) -> np.ndarray:
    """Soft stains: a few ellipses drawn at 1/8 resolution and upsampled bicubically."""
    n = max(4, size // 8)
    d = aggdraw.Draw("L", (n, n), 0)
    for _ in range(int(rng.integers(1, 4))):
        cx, cy = rng.uniform(0, n, 2)
        rx, ry = rng.uniform(0.8, n / 4, 2)
        d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), aggdraw.Brush(int(rng.uniform(60, 200))))
    d.flush()
    im = Image.frombytes("L", (n, n), d.tobytes()).resize((size, size), Image.BICUBIC)
    return np.asarray(im)


def _distractor_ink(size: int, rng: np.random.Generator) -> Ink:
    """Random smooth scribbles (cubic Bezier chains) anywhere in the frame."""
    strokes = []
    for _ in range(int(rng.integers(1, 3))):
        p = rng.uniform(-0.1, 1.1, (4, 2)) * size
        t = np.linspace(0, 1, 40)[:, None]
        b = ((1 - t) ** 3 * p[0] + 3 * (1 - t) ** 2 * t * p[1]
             + 3 * (1 - t) * t ** 2 * p[2] + t ** 3 * p[3])
        strokes.append(b)
    return Ink.from_xy(strokes)


def _clutter(n: int, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """One 3xnxn (planar) uint8 cluttered background: paper, blotches, ruled/grid lines,
    distractor strokes."""
    if _on(rng, cfg.p_paper):
        bg = _make_paper(rng, n).astype(np.float32)
    else:
        bg = np.full((3, n, n), 255.0, dtype=np.float32)
    if _on(rng, cfg.p_blotch):
        col = rng.uniform(60, 200, 3).astype(np.float32)[:, None, None]
        a = _blotch_mask(n, rng).astype(np.float32)[None] * (rng.uniform(0.15, 0.5) / 255)
        bg += a * (col - bg)
    ruled, grid = _on(rng, cfg.p_ruled), _on(rng, cfg.p_grid)
    if ruled or grid:
        col = np.array([(90, 140, 210), (200, 90, 90), (120, 120, 120), (110, 170, 200)][int(rng.integers(4))],
                       dtype=np.float32)[:, None, None]
        a = _lines_mask(n, rng, grid=grid).astype(np.float32)[None] * (rng.uniform(0.3, 0.8) / 255)
        bg += a * (col - bg)
    if _on(rng, cfg.p_distractors):
        lo, hi = cfg.distractors
        d = aggdraw.Draw("L", (n, n), 0)
        for _ in range(int(rng.integers(lo, hi + 1))):
            draw_ink(d, _distractor_ink(n, rng), width=rng.uniform(0.8, 3.0), color=255)
        d.flush()
        a = np.frombuffer(d.tobytes(), np.uint8).reshape(n, n).astype(np.float32)
        col = _INK_COLORS[rng.choice(len(_INK_COLORS), p=_INK_WEIGHTS)][:, None, None]
        bg += a[None] * (rng.uniform(0.2, 0.55) / 255) * (col - bg)
    return np.clip(bg, 0, 255).astype(np.uint8)


_CLUTTER_FIELDS = ("p_paper", "p_blotch", "p_ruled", "p_grid", "p_distractors", "distractors")


@lru_cache(maxsize=8)
def _clutter_bank(size: int, key: tuple) -> np.ndarray:
    """_CLUTTER_BANK cluttered backgrounds of (size+PAD)^2 for one clutter configuration."""
    cfg = AugmentConfig(**dict(zip(_CLUTTER_FIELDS, key)))
    rng = np.random.default_rng(20240205)
    return np.stack([_clutter(size + _PAD, cfg, rng) for _ in range(_CLUTTER_BANK)])


@lru_cache(maxsize=8)
def _shading_bank(size: int, strength: Pair) -> np.ndarray:
    """Illumination fields (linear gradient, half with vignette), (size+PAD)^2 float32 each."""
    rng = np.random.default_rng(11)
    n = size + _PAD
    r = np.linspace(-0.5, 0.5, n, dtype=np.float32)
    out = []
    for i in range(_BANK):
        s = _u(rng, strength)
        a = rng.uniform(0, 2 * np.pi)
        shade = 1.0 - s * (np.cos(a) * r[None, :] + np.sin(a) * r[:, None] + 0.5)
        if i % 2:
            shade = shade - rng.uniform(0.1, 0.3) * (r[None, :] ** 2 + r[:, None] ** 2)
        out.append(shade.astype(np.float32))
    return np.stack(out)


def _background(size: int, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """3xSxS (planar) float32 cluttered background in 0..255: a random crop/flip of a cached
    cluttered background (built once per size and clutter setting), times a cached
    illumination field."""
    key = tuple(getattr(cfg, f) for f in _CLUTTER_FIELDS)
    if not any(key[:-1]):
        bg = np.full((3, size, size), 255.0, dtype=np.float32)
    else:
        bank = _clutter_bank(size, key)
        bg = _crop(bank[int(rng.integers(len(bank)))], size, size, rng).astype(np.float32)
    if _on(rng, cfg.p_gradient):
        bank = _shading_bank(size, tuple(cfg.gradient_strength))
        bg *= _crop(bank[int(rng.integers(len(bank)))], size, size, rng)[None]
    return bg


# --------------------------------------------------------------------------- photometric

def gaussian_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur over the last two axes of a float32 array (edges replicated),
    2*ceil(2*sigma)+1 taps."""
    if sigma <= 0:
        return img
    r = max(1, int(np.ceil(2 * sigma)))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2).astype(np.float32)
    k /= k.sum()
    h, w = img.shape[-2:]
    lead = [(0, 0)] * (img.ndim - 2)
    p = np.pad(img, lead + [(r, r), (0, 0)], mode="edge")
    out = k[r] * p[..., r:r + h, :]
    for j in range(1, r + 1):
        out += k[r + j] * (p[..., r - j:r - j + h, :] + p[..., r + j:r + j + h, :])
    p = np.pad(out, lead + [(0, 0), (r, r)], mode="edge")
    out = k[r] * p[..., r:r + w]
    for j in range(1, r + 1):
        out += k[r + j] * (p[..., r - j:r - j + w] + p[..., r + j:r + j + w])
    return out


def _interleave(planar: np.ndarray) -> np.ndarray:
    """3xHxW float32 -> HxWx3 uint8 (clipped)."""
    u = np.clip(planar, 0, 255).astype(np.uint8)
    out = np.empty(u.shape[1:] + (3,), dtype=np.uint8)
    for c in range(3):
        out[:, :, c] = u[c]
    return out


def _photometric(img: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """planar 3xHxW float32 (0..255) -> HxWx3 uint8: blur, brightness/contrast, noise, JPEG."""
    h, w = img.shape[-2:]
    if _on(rng, cfg.p_blur):
        img = gaussian_blur(img, _u(rng, cfg.blur_radius))
    if _on(rng, cfg.p_brightness_contrast):
        c, b = _u(rng, cfg.contrast), _u(rng, cfg.brightness)
        img = img * c + (128.0 * (1.0 - c) + b)
    if _on(rng, cfg.p_noise):
        img = img + _crop(_noise_bank(h, w), h, w, rng) * _u(rng, cfg.noise_std)
    out = _interleave(img)
    if _on(rng, cfg.p_jpeg):
        lo, hi = cfg.jpeg_quality
        buf = io.BytesIO()
        Image.fromarray(out).save(buf, format="JPEG", quality=int(rng.integers(lo, hi + 1)))
        buf.seek(0)
        dec = Image.open(buf)
        dec.draft("RGB", dec.size)
        out = np.asarray(dec if dec.mode == "RGB" else dec.convert("RGB"))
    return out


def degrade_image(img: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """Photometric augmentation only (blur, brightness/contrast, noise, JPEG) of an HxWx3
    uint8 image, e.g. a real OCR photo that has no ink target."""
    img = np.asarray(img)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"degrade_image takes HxWx3 images, got shape {img.shape}")
    return _photometric(img.transpose(2, 0, 1).astype(np.float32), cfg, rng)


# --------------------------------------------------------------------------- main entry

_INK_CDF = np.cumsum(_INK_WEIGHTS)


def sample_ink_color(rng: np.random.Generator) -> np.ndarray:
    col = _INK_COLORS[min(int(np.searchsorted(_INK_CDF, rng.random())), len(_INK_COLORS) - 1)]
    return np.clip(col + rng.normal(0, 8, 3), 0, 255).astype(np.float32)


def render_augmented(ink: Ink, size: int, cfg: AugmentConfig,
                     rng: np.random.Generator) -> tuple[np.ndarray, Ink]:
    """Render ``ink`` (in the ``size`` frame) photo-like -> (SxSx3 uint8, target ink).

    The target ink is ``ink`` under the same rotation/scale that was drawn (float coordinates;
    quantise it for tokens). Raises InkError for NaN/inf coordinates.
    """
    if not geometry.is_finite(ink):
        ink.validate()
    size = int(size)
    m = _geometric(ink, size, cfg, rng)
    target = ink if np.array_equal(m, geometry.identity()) else geometry.apply_affine(ink, m)
    bg = _background(size, cfg, rng)
    width = _u(rng, cfg.width)
    d = aggdraw.Draw("L", (size, size), 0)
    wvar = _u(rng, cfg.width_variation) if _on(rng, cfg.p_width_variation) else 0.0
    draw_ink(d, target, width=width, color=255, width_variation=wvar, rng=rng)
    d.flush()
    alpha = np.frombuffer(d.tobytes(), np.uint8).reshape(size, size)
    color = sample_ink_color(rng) if _on(rng, cfg.p_ink_color) else _INK_COLORS[0]
    opacity = _u(rng, cfg.ink_opacity)
    a = alpha.astype(np.float32)
    a *= opacity / 255.0
    tmp = color[:, None, None] - bg
    tmp *= a[None]
    bg += tmp  # bg is a fresh array: composite in place
    return _photometric(bg, cfg, rng), target
