"""Synthetic "real photos" of words: the OCR task's offline stand-in (``kind="ocr"``, no ink).

Text is drawn with filled outline fonts (matplotlib's DejaVu family) on photo-like
backgrounds (colour gradients, textures, clutter, neighbouring text fragments), then warped in
perspective, lit unevenly, blurred, noised and JPEG-compressed: a different visual domain from
rendered single-line ink. Its test split is the suite's "real-image" evaluation set: as on
IAM / IMGUR5K / HierText, there is no reference ink.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from inkrepro import configlib
from inkrepro.configlib import Range, name_seed
from inkrepro.data import fonts, synthetic
from inkrepro.data.schema import Example

GENERATOR_VERSION = 3  # bump when generated photos change (part of the corpus cache key)
PHOTO_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")


@dataclass(frozen=True)
class PhotoConfig:
    languages: tuple[str, ...] = PHOTO_LANGUAGES
    words_per_language: int = 4000
    min_chars: int = 2
    max_chars: int = 10
    font_px: tuple[int, int] = (22, 56)
    p_capitalized: float = 0.2
    p_upper: float = 0.1
    p_number: float = 0.05
    p_dark_background: float = 0.15
    p_neighbours: float = 0.4
    perspective: float = 0.12       # max corner displacement (fraction of size)
    blur: tuple[float, float] = (0.0, 1.4)
    noise: tuple[float, float] = (1.0, 10.0)
    jpeg_quality: tuple[int, int] = (25, 90)
    # OUR CHOICE: only the fonts bundled with matplotlib by default, so that the photos (and
    # every photo-domain number) are the same on every machine; True adds the machine's
    # DejaVu/Liberation fonts (their file names are part of the corpus cache key).
    system_fonts: bool = False
    seed: int = 0


# The valid values of PhotoConfig's numeric fields (checked by :func:`check` from
# ``inkrepro.data.config.check``; ``seed`` is replaced there by ``data.corpus_seed``).
# OUR CHOICE: font_px at most 512 px, so that one photo's memory stays bounded.
RANGES = {
    **synthetic.WORD_RANGES,
    "font_px": Range(1, 512, ordered=True, note="font size in pixels (the upper bound bounds "
                     "the memory of one photo before the letterbox shrinks it)"),
    "p_dark_background": Range(0, 1), "p_neighbours": Range(0, 1),
    "perspective": Range(0, 0.5, hi_open=True, note="0 = off; at 0.5 opposite corners can meet"),
    "blur": Range(0, ordered=True, note="Gaussian blur radius in pixels"),
    "noise": Range(0, ordered=True, note="Gaussian noise std in grey levels"),
    "jpeg_quality": Range(0, 100, ordered=True),
}


def check(cfg: PhotoConfig, prefix: str) -> PhotoConfig:
    """A UserError naming the key (``prefix`` + field), the value and what is valid
    (:data:`RANGES` and the word-sampling rules, ``synthetic.check_words``)."""
    configlib.check_ranges(cfg, RANGES, prefix)
    synthetic.check_words(cfg, prefix)
    return cfg


@lru_cache(maxsize=64)
def _font(path: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, px)


@lru_cache(maxsize=16)
def _words(language: str, n: int, min_chars: int, max_chars: int) -> tuple[str, ...]:
    import wordfreq  # ~1 s to import; only generation needs it (configs stay light)

    out = [w for w in wordfreq.top_n_list(language, n * 2)
           if min_chars <= len(w) <= max_chars and w.isprintable() and w.isalpha()]
    return tuple(out[:n])


def sample_text(cfg: PhotoConfig, rng: np.random.Generator) -> tuple[str, str]:
    lang = cfg.languages[int(rng.integers(len(cfg.languages)))]
    if rng.random() < cfg.p_number:
        return str(int(rng.integers(1, 100000))), lang
    words = _words(lang, cfg.words_per_language, cfg.min_chars, cfg.max_chars)
    w = words[int(rng.integers(len(words)))]
    return fonts.random_case(w, rng, cfg.p_upper, cfg.p_capitalized), lang


def _background(w: int, h: int, rng: np.random.Generator, dark: bool) -> np.ndarray:
    base = rng.uniform(20, 90, 3) if dark else rng.uniform(150, 250, 3)
    if rng.random() < 0.3:  # coloured surface
        base = base * rng.uniform(0.6, 1.1, 3)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = rng.uniform(0, 2 * np.pi)
    g = (np.cos(a) * xx / max(w, 1) + np.sin(a) * yy / max(h, 1))
    img = base[None, None, :] * (1.0 + rng.uniform(-0.25, 0.25) * g[:, :, None])
    # low-frequency texture
    small = rng.normal(0, 1, (max(2, h // 8), max(2, w // 8), 3)).astype(np.float32)
    tex = np.asarray(Image.fromarray(((small * 20) + 128).clip(0, 255).astype(np.uint8)).resize(
        (w, h), Image.BICUBIC), np.float32) - 128
    img = img + tex * rng.uniform(0.1, 0.6)
    return img.clip(0, 255)


def _perspective_coeffs(src, dst) -> list[float]:
    """Coefficients for PIL's PERSPECTIVE transform mapping output ``dst`` -> input ``src``."""
    m = []
    for (x, y), (u, v) in zip(dst, src):
        m.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        m.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.asarray(m, dtype=np.float64)
    b = np.asarray(src, dtype=np.float64).reshape(-1)
    return np.linalg.solve(a, b).tolist()


def render_photo(text: str, cfg: PhotoConfig, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """(HxWx3 uint8 photo-like word crop, font name)."""
    font_paths = fonts.ttf_fonts(cfg.system_fonts)
    fp = font_paths[int(rng.integers(len(font_paths)))]
    px = int(rng.integers(cfg.font_px[0], cfg.font_px[1] + 1))
    font = _font(str(fp), px)
    x0, y0, x1, y1 = font.getbbox(text)
    tw, th = x1 - x0, y1 - y0
    mx = int(px * rng.uniform(0.15, 0.6))
    my = int(px * rng.uniform(0.1, 0.5))
    W, H = tw + 2 * mx, max(th, int(px * 0.8)) + 2 * my
    dark = rng.random() < cfg.p_dark_background
    bg = _background(W, H, rng, dark)
    img = Image.fromarray(bg.astype(np.uint8))
    d = ImageDraw.Draw(img)
    if dark:
        color = tuple(int(c) for c in rng.uniform(190, 255, 3))
    else:
        color = tuple(int(c) for c in (rng.uniform(0, 70, 3) if rng.random() < 0.8 else rng.uniform(0, 160, 3)))
    if rng.random() < cfg.p_neighbours:  # cut-off neighbouring words on the same line
        other, _ = sample_text(cfg, rng)
        ox0, _, ox1, _ = font.getbbox(other)
        d.text((mx - x0 - (ox1 - ox0) - int(px * rng.uniform(0.3, 0.6)), my - y0), other, font=font, fill=color)
        other, _ = sample_text(cfg, rng)
        d.text((mx - x0 + tw + int(px * rng.uniform(0.3, 0.6)), my - y0), other, font=font, fill=color)
    if rng.random() < 0.25:  # clutter: a line or box edge
        c = tuple(int(v) for v in rng.uniform(0, 255, 3))
        yl = float(rng.uniform(0, H))
        d.line((0, yl, W, yl + rng.uniform(-5, 5)), fill=c, width=int(rng.integers(1, 4)))
    d.text((mx - x0, my - y0), text, font=font, fill=color)
    if cfg.perspective > 0:
        p = cfg.perspective
        src = [(0, 0), (W, 0), (W, H), (0, H)]
        dst = [(x + rng.uniform(-p, p) * W * 0.3, y + rng.uniform(-p, p) * H) for x, y in src]
        minx, miny = min(x for x, _ in dst), min(y for _, y in dst)
        dst = [(x - minx, y - miny) for x, y in dst]
        ow = int(max(x for x, _ in dst)) + 1
        oh = int(max(y for _, y in dst)) + 1
        edge = tuple(int(v) for v in bg[H // 2, 0])
        img = img.transform((ow, oh), Image.PERSPECTIVE, _perspective_coeffs(src, dst),
                            Image.BILINEAR, fillcolor=edge)
    arr = np.asarray(img, np.float32)
    h, w = arr.shape[:2]
    # lighting: a soft shadow / highlight gradient
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    r = np.hypot(xx - cx, yy - cy) / max(w, h)
    arr *= (1.0 + rng.uniform(-0.35, 0.2) * r)[:, :, None] * rng.uniform(0.75, 1.15)
    img = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    b = rng.uniform(*cfg.blur)
    if b > 0.2:
        img = img.filter(ImageFilter.GaussianBlur(b))
    arr = np.asarray(img, np.float32) + rng.normal(0, rng.uniform(*cfg.noise), (h, w, 3))
    img = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1)))
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB")).copy(), fp.stem


def generate(cfg: PhotoConfig, split: str, n: int, *, offset: int = 0, progress=None) -> list[Example]:
    """``n`` photos of ``split`` numbered from ``offset`` (deterministic per chunk)."""
    rng = np.random.default_rng([cfg.seed, name_seed("photos", split), offset])
    out = []
    for i in range(n):
        text, lang = sample_text(cfg, rng)
        img, font = render_photo(text, cfg, rng)
        out.append(Example(id=f"photos-{split}-{offset + i:06d}", source="photos", split=split, kind="ocr",
                           text=text, image=img, writer=font, language=lang, script="Latin",
                           meta={"font": font, "synthetic": True}))
        if progress is not None:
            progress.update(1)
    return out


NOTICE = ("Word photos rendered with the DejaVu fonts bundled with matplotlib (Bitstream Vera "
          "derived; free licence, see matplotlib/mpl-data/fonts/ttf/LICENSE_DEJAVU); with "
          "data.photos.system_fonts also the machine's DejaVu and Liberation fonts (SIL OFL).\n")
