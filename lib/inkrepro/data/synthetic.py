"""Synthetic online handwriting: words from ``wordfreq`` written by simulated writers with
Hershey single-stroke faces (Latin, print and joined cursive) or KanjiVG glyphs (CJK).

Writer model (fixed per writer id): glyph face, slant, size, width, letter spacing, baseline
drift and habitual angle, pen width, pen speed, how often cursive letters are joined, delayed
i-dots / t-crosses, per-glyph variability. Per sample: elastic distortion (smooth random
displacement field) and point jitter. Timestamps come from a pen-speed model (slower at
curves, by the two-thirds power law, and at stroke starts/ends; pauses at pen lifts) and the
ink is resampled at a constant rate like tablet ink. Writers are split disjointly into
train / validation / test.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from inkrepro import configlib
from inkrepro.configlib import Range, name_seed
from inkrepro.data import fonts
from inkrepro.data.schema import SPLITS, Example
from inkrepro.errors import UserError
from inkrepro.ink.core import Ink, Stroke

GENERATOR_VERSION = 4  # bump when generated data changes (part of the corpus cache key)
LATIN_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")
CJK_LANGUAGES = ("ja", "zh")


@dataclass(frozen=True)
class SyntheticInkConfig:
    """One synthetic online-handwriting corpus. ``glyphs``: "hershey" or "kanjivg"."""

    glyphs: str = "hershey"
    languages: tuple[str, ...] = LATIN_LANGUAGES
    faces: tuple[str, ...] = ("cursive", "scripts", "futural", "rowmans")
    face_weights: tuple[float, ...] = (0.35, 0.35, 0.15, 0.15)
    words_per_language: int = 4000
    min_chars: int = 2
    max_chars: int = 10
    p_capitalized: float = 0.15
    p_upper: float = 0.03
    p_number: float = 0.05
    num_writers: int = 120
    writer_split: tuple[float, float, float] = (0.8, 0.1, 0.1)
    sample_rate_hz: float = 100.0
    seed: int = 0


GLYPHS = ("hershey", "kanjivg")
# The valid values of the word-sampling fields this config shares with ``photos.PhotoConfig``
# (``sample_text``, ``fonts.random_case``), and of the rest of SyntheticInkConfig. Checked by
# :func:`check` from ``inkrepro.data.config.check`` (``seed`` and ``sample_rate_hz`` are
# replaced there by ``data.corpus_seed`` and ``data.sample_rate_hz``, but still checked).
WORD_RANGES = {
    "words_per_language": Range(1), "min_chars": Range(1), "max_chars": Range(1),
    "p_capitalized": Range(0, 1), "p_upper": Range(0, 1), "p_number": Range(0, 1),
    "seed": Range(0),
}
RANGES = {
    **WORD_RANGES,
    "face_weights": Range(0, note="relative; they need not sum to 1"),
    "num_writers": Range(3, note="one writer at least in each of train, validation and test"),
    "writer_split": Range(0, 1, note="train, validation, test fractions (normalised)"),
    "sample_rate_hz": Range(0, lo_open=True),
}


def check_words(cfg, prefix: str) -> None:
    """The word-sampling rules across fields (SyntheticInkConfig and PhotoConfig): at least
    one language, ``min_chars <= max_chars``, ``p_upper + p_capitalized <= 1`` (one draw
    decides the case: ``fonts.random_case``)."""
    if not cfg.languages:
        raise UserError(f"config key {prefix}languages=(): name at least one language")
    if cfg.min_chars > cfg.max_chars:
        raise UserError(f"config key {prefix}min_chars={cfg.min_chars} must be <= "
                        f"{prefix}max_chars ({cfg.max_chars})")
    if cfg.p_upper + cfg.p_capitalized > 1:
        raise UserError(f"config keys {prefix}p_upper={cfg.p_upper} and {prefix}p_capitalized="
                        f"{cfg.p_capitalized} are probabilities of one draw: their sum must be <= 1")


def check(cfg: SyntheticInkConfig, prefix: str) -> SyntheticInkConfig:
    """A UserError naming the key (``prefix`` + field), the value and what is valid: ranges
    (:data:`RANGES`), the glyph set, Hershey faces that exist with one weight each (not all
    zero), and a writer split that leaves at least one writer in each split."""
    configlib.check_ranges(cfg, RANGES, prefix)
    check_words(cfg, prefix)
    if cfg.glyphs not in GLYPHS:
        raise UserError(f"config key {prefix}glyphs={cfg.glyphs!r}: must be one of {GLYPHS}")
    if cfg.glyphs == "hershey":
        bad = [f for f in cfg.faces if f not in fonts.HERSHEY_FACES]
        if bad or not cfg.faces:
            raise UserError(f"config key {prefix}faces={cfg.faces!r}: name one or more Hershey "
                            f"faces of {tuple(fonts.HERSHEY_FACES)}")
        if len(cfg.face_weights) != len(cfg.faces) or not sum(cfg.face_weights) > 0:
            raise UserError(f"config key {prefix}face_weights={cfg.face_weights!r}: one weight "
                            f"per face of {prefix}faces ({len(cfg.faces)}), not all 0")
    if not sum(cfg.writer_split) > 0:
        raise UserError(f"config key {prefix}writer_split={cfg.writer_split!r}: the fractions "
                        "must not all be 0")
    sizes = split_sizes(cfg.num_writers, cfg.writer_split)
    if min(sizes.values()) < 1:
        raise UserError(f"config keys {prefix}num_writers={cfg.num_writers} and "
                        f"{prefix}writer_split={cfg.writer_split!r} leave no writer for a split "
                        f"(writers per split: {sizes}); use more writers or other fractions")
    return cfg


@dataclass(frozen=True)
class Writer:
    id: str
    face: str
    slant: float          # shear: x += slant * height above baseline
    height: float         # cap height in ink units (tablet pixels)
    width: float          # horizontal stretch
    spacing: float        # extra letter spacing (cap heights)
    baseline_amp: float   # baseline drift amplitude (cap heights)
    baseline_freq: float  # drift cycles per cap height of advance
    angle: float          # habitual baseline angle (degrees)
    pen_width: float      # stroke width as a fraction of the cap height
    speed: float          # straight-line pen speed (cap heights per second)
    join_prob: float      # chance that a cursive join (gap < join_dist) is written joined
    join_dist: float      # largest gap (cap heights) a cursive writer bridges without lifting
    delay_dots: float     # chance that i-dots / t-crosses are written after the word
    glyph_var: float      # per-glyph size variability
    elastic: float        # elastic distortion amplitude (cap heights)
    jitter: float         # sensor/tremor noise (cap heights)


def sample_writer(index: int, cfg: SyntheticInkConfig, rng: np.random.Generator) -> Writer:
    if cfg.glyphs == "hershey":
        w = np.asarray(cfg.face_weights[: len(cfg.faces)], dtype=np.float64)
        face = cfg.faces[int(rng.choice(len(cfg.faces), p=w / w.sum()))]
    else:
        face = "kanjivg"
    cursive = fonts.HERSHEY_FACES.get(face, ("print", False))[1]
    return Writer(
        id=f"{cfg.glyphs}-w{index:04d}", face=face,
        slant=float(rng.normal(0.25 if cursive else 0.08, 0.12)),
        height=float(rng.uniform(40, 90)),
        width=float(rng.uniform(0.8, 1.2)),
        spacing=float(rng.uniform(-0.03, 0.15) if cursive else rng.uniform(-0.02, 0.12)),
        baseline_amp=float(rng.uniform(0.0, 0.08)),
        baseline_freq=float(rng.uniform(0.05, 0.25)),
        angle=float(rng.normal(0.0, 2.0)),
        pen_width=float(rng.uniform(0.03, 0.09)),
        speed=float(rng.uniform(6.0, 14.0)),
        join_prob=float(rng.uniform(0.7, 1.0)) if cursive else 0.0,
        join_dist=float(rng.uniform(0.2, 0.45)),
        delay_dots=float(rng.uniform(0.0, 1.0)),
        glyph_var=float(rng.uniform(0.02, 0.08)),
        elastic=float(rng.uniform(0.01, 0.04)),
        jitter=float(rng.uniform(0.002, 0.008)),
    )


def split_sizes(num_writers: int, writer_split: tuple[float, ...]) -> dict[str, int]:
    """Writers per split of a writer-disjoint split (validation and train get one at least;
    test the rest, which may be none: :func:`check` refuses such a config)."""
    frac = np.asarray(writer_split, dtype=np.float64)
    cuts = np.round(np.cumsum(frac / frac.sum()) * num_writers).astype(int)
    n_val = max(1, int(cuts[1] - cuts[0]))
    n_train = max(1, min(int(cuts[0]), num_writers - 2 * n_val))
    return {"train": n_train, "validation": min(n_val, num_writers - n_train),
            "test": max(0, num_writers - n_train - n_val)}


def writers_by_split(cfg: SyntheticInkConfig) -> dict[str, list[Writer]]:
    """Writer-disjoint split: writers are permuted with the seed and cut by ``writer_split``."""
    rng = np.random.default_rng([cfg.seed, name_seed(cfg.glyphs, "writers")])
    all_w = [sample_writer(i, cfg, rng) for i in range(cfg.num_writers)]
    order = rng.permutation(len(all_w))
    sizes = split_sizes(cfg.num_writers, cfg.writer_split)
    if sizes["test"] < 1:
        raise ValueError(f"num_writers={cfg.num_writers} too small for a writer-disjoint split")
    n_train, n_val = sizes["train"], sizes["validation"]
    idx = {"train": order[:n_train], "validation": order[n_train:n_train + n_val],
           "test": order[n_train + n_val:]}
    return {s: [all_w[i] for i in idx[s]] for s in SPLITS}


# ----------------------------------------------------------------------------- words

def _charset(cfg: SyntheticInkConfig) -> frozenset[str]:
    if cfg.glyphs == "hershey":
        sets = [set(fonts.hershey_face(f)) for f in cfg.faces]
        return frozenset(set.intersection(*sets) - {" "})
    return fonts.kanjivg_chars()


@lru_cache(maxsize=32)
def word_list(language: str, n: int, charset: frozenset[str], min_chars: int,
              max_chars: int) -> tuple[str, ...]:
    """Frequent words of ``language`` (wordfreq, offline) writable with ``charset``."""
    import wordfreq  # ~1 s to import; only generation needs it (configs stay light)

    out, seen = [], set()
    for w in wordfreq.top_n_list(language, n * 3):
        if min_chars <= len(w) <= max_chars and w not in seen and all(c in charset for c in w):
            out.append(w)
            seen.add(w)
            if len(out) >= n:
                break
    if language in CJK_LANGUAGES and len(out) < n:  # add single characters too
        out += [w for w in wordfreq.top_n_list(language, n * 3)
                if len(w) == 1 and w in charset and w not in out][: n - len(out)]
    return tuple(out)


def sample_text(cfg: SyntheticInkConfig, rng: np.random.Generator) -> tuple[str, str]:
    """(text, language)."""
    lang = cfg.languages[int(rng.integers(len(cfg.languages)))]
    charset = _charset(cfg)
    if cfg.glyphs == "hershey" and rng.random() < cfg.p_number:
        kind = rng.integers(3)
        n = int(rng.integers(1, 10000))
        text = (str(n) if kind == 0 else f"{n / 100:.2f}" if kind == 1 else f"{n % 31 + 1}.{n % 12 + 1}.")
        return text, lang
    words = word_list(lang, cfg.words_per_language, charset, cfg.min_chars, cfg.max_chars)
    if not words:
        words = word_list(lang, cfg.words_per_language, charset, 1, cfg.max_chars)
    w = words[int(rng.integers(len(words)))]
    if cfg.glyphs == "hershey":
        w = fonts.random_case(w, rng, cfg.p_upper, cfg.p_capitalized)
    return w, lang


# ----------------------------------------------------------------------------- writing

def _glyph(face: str, ch: str) -> fonts.Glyph | None:
    if face == "kanjivg":
        return fonts.kanjivg_glyph(ch)
    return fonts.hershey_face(face).get(ch)


def layout(text: str, w: Writer, rng: np.random.Generator) -> list[np.ndarray]:
    """Glyph strokes placed along a line in cap-height units (baseline 0, y down), in
    writing order: cursive joins merged, delayed dots/crosses moved to the end."""
    face_joins = fonts.HERSHEY_FACES.get(w.face, ("print", False))[1]
    bearing = 0.1 if w.face == "kanjivg" else 0.08   # side bearing of print glyphs (cap heights)
    strokes: list[np.ndarray] = []
    delayed: list[np.ndarray] = []
    x = 0.0
    after_space = True
    for ch in text:
        g = _glyph(w.face, ch)
        if g is None or ch == " ":
            x += 0.5 * w.width
            after_space = True
            continue
        s = 1.0 + rng.normal(0, w.glyph_var)
        sx = s * w.width
        oy = rng.normal(0, w.glyph_var * 0.3)
        native = face_joins and ch.isalpha()   # cursive letters keep the face's metrics
        lo, hi = g.ink_extent
        shift = x if native else x - lo * sx + bearing
        for k, p in enumerate(g.strokes):
            q = p * (sx, s) + (shift, oy)
            short = k > 0 and len(p) > 1 and np.hypot(*np.diff(p, axis=0).T).sum() < 0.5
            if short and face_joins and rng.random() < w.delay_dots:
                delayed.append(q)       # i-dots and t-crosses after the word
                continue
            joined = (face_joins and not short and not after_space and bool(strokes)
                      and np.hypot(*(q[0] - strokes[-1][-1])) < w.join_dist
                      and rng.random() < w.join_prob)
            if joined:   # pen stays down: a connecting (or retracing) segment
                strokes[-1] = np.concatenate([strokes[-1], q])
            else:
                strokes.append(q)
            after_space = False
        x += (g.advance * sx if native else (hi - lo) * sx + 2 * bearing) + w.spacing
    return strokes + delayed


def _elastic(xy: np.ndarray, amp: float, rng: np.random.Generator, phases) -> np.ndarray:
    if amp <= 0:
        return xy
    out = xy.copy()
    for axis in (0, 1):
        for k, fx, fy, ph in phases[axis]:
            out[:, axis] += amp * k * np.sin(2 * np.pi * (fx * xy[:, 0] + fy * xy[:, 1]) + ph)
    return out


def style_strokes(strokes: list[np.ndarray], w: Writer, rng: np.random.Generator) -> list[np.ndarray]:
    """Slant, baseline drift, elastic distortion, habitual angle, scale to ink units."""
    phase = rng.uniform(0, 2 * np.pi)
    phases = [[(rng.uniform(0.5, 1.0), rng.uniform(-0.8, 0.8), rng.uniform(-0.8, 0.8),
                rng.uniform(0, 2 * np.pi)) for _ in range(3)] for _ in range(2)]
    th = np.deg2rad(w.angle + rng.normal(0, 1.0))
    rot = np.array([[np.cos(th), np.sin(th)], [-np.sin(th), np.cos(th)]])
    slant = w.slant + rng.normal(0, 0.03)
    out = []
    for p in strokes:
        q = p.copy()
        q[:, 0] -= slant * q[:, 1]
        q[:, 1] += w.baseline_amp * np.sin(2 * np.pi * w.baseline_freq * q[:, 0] + phase)
        q = _elastic(q, w.elastic, rng, phases)
        out.append((q @ rot.T) * w.height)
    return out


def _densify(p: np.ndarray, step: float) -> np.ndarray:
    if len(p) < 2:
        return p
    d = np.hypot(*np.diff(p, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(d)])
    if s[-1] <= 0:
        return p[:1]
    keep = np.concatenate([[True], d > 0])
    at = np.linspace(0.0, s[-1], max(2, int(np.ceil(s[-1] / step)) + 1))
    return np.stack([np.interp(at, s[keep], p[keep, 0]), np.interp(at, s[keep], p[keep, 1])], 1)


def pen_times(strokes: list[np.ndarray], w: Writer, rng: np.random.Generator) -> list[np.ndarray]:
    """Timestamps per point from the pen-speed model (two-thirds power law for curvature,
    slow starts and ends, pauses between strokes)."""
    h = w.height
    vmax = w.speed * h * rng.uniform(0.9, 1.1)
    t0 = 0.0
    times = []
    prev_end = None
    for p in strokes:
        if prev_end is not None:
            gap = np.hypot(*(p[0] - prev_end))
            t0 += gap / (1.5 * vmax) + rng.uniform(0.04, 0.15)
        if len(p) < 2:
            times.append(np.array([t0]))
            t0 += 0.05
            prev_end = p[-1]
            continue
        seg = np.diff(p, axis=0)
        ds = np.hypot(seg[:, 0], seg[:, 1])
        ang = np.arctan2(seg[:, 1], seg[:, 0])
        turn = np.abs((np.diff(ang) + np.pi) % (2 * np.pi) - np.pi)
        dsm = np.maximum(0.5 * (ds[:-1] + ds[1:]), 1e-6)
        kappa = np.concatenate([[0.0], turn / dsm, [0.0]])  # per vertex, 1/unit
        kappa = np.convolve(kappa, np.ones(3) / 3, mode="same")
        radius = 1.0 / np.maximum(kappa, 1e-6)
        v = vmax * np.minimum(1.0, (radius / (0.6 * h)) ** (1.0 / 3.0))
        s = np.concatenate([[0.0], np.cumsum(ds)])
        ramp = 0.25 * h
        v *= 0.25 + 0.75 * np.minimum(1.0, s / ramp)
        v *= 0.4 + 0.6 * np.minimum(1.0, (s[-1] - s) / ramp)
        vseg = np.maximum(0.5 * (v[:-1] + v[1:]), 0.02 * vmax)
        t = t0 + np.concatenate([[0.0], np.cumsum(ds / vseg)])
        times.append(t)
        t0 = t[-1]
        prev_end = p[-1]
    return times


def _resample_time(p: np.ndarray, t: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Constant-rate samples of one stroke (first and last points kept), as
    ``geometry.resample(..., dt=dt)``."""
    if len(p) < 2 or t[-1] <= t[0]:
        return p[:1], t[:1]
    keep = np.concatenate([[True], np.diff(t) > 0])
    p, t = p[keep], t[keep]
    at = t[0] + np.arange(int(np.floor((t[-1] - t[0]) / dt + 1e-9)) + 1) * dt
    if t[-1] - at[-1] > 1e-9:
        at = np.append(at, t[-1])
    return np.stack([np.interp(at, t, p[:, 0]), np.interp(at, t, p[:, 1])], 1), at


def write_word(text: str, w: Writer, rng: np.random.Generator, sample_rate_hz: float = 100.0) -> Ink:
    """One handwritten sample of ``text`` by writer ``w`` (ink units, y down, with time)."""
    strokes = style_strokes(layout(text, w, rng), w, rng)
    strokes = [_densify(p, 0.02 * w.height) for p in strokes if len(p)]
    times = pen_times(strokes, w, rng)
    noise = w.jitter * w.height
    out = []
    for p, t in zip(strokes, times):
        q, tq = _resample_time(p, t, 1.0 / sample_rate_hz)
        jit = rng.normal(0, noise, q.shape)
        if len(q) > 3:  # tremor is smooth-ish
            jit[1:-1] = (jit[:-2] + jit[1:-1] + jit[2:]) / 2.0
        out.append((q + jit, tq))
    lo = np.min([q.min(0) for q, _ in out], axis=0)
    return Ink(tuple(Stroke(q[:, 0] - lo[0], q[:, 1] - lo[1], tq) for q, tq in out))


def generate(cfg: SyntheticInkConfig, split: str, n: int, *, offset: int = 0,
             progress=None) -> list[Example]:
    """``n`` examples of ``split``, numbered from ``offset`` (deterministic in cfg.seed,
    split and offset, so corpora can be generated in independent chunks)."""
    writers = writers_by_split(cfg)[split]
    rng = np.random.default_rng([cfg.seed, name_seed(cfg.glyphs, split), offset])
    script = "Latin" if cfg.glyphs == "hershey" else "CJK"
    out = []
    for i in range(n):
        w = writers[int(rng.integers(len(writers)))]
        text, lang = sample_text(cfg, rng)
        ink = write_word(text, w, rng, cfg.sample_rate_hz)
        if ink.is_empty:
            continue
        if cfg.glyphs == "kanjivg":
            script = "Hani" if lang == "zh" else "Jpan"
        out.append(Example(
            id=f"{cfg.glyphs}-{split}-{offset + i:06d}", source=cfg.glyphs, split=split, kind="ink",
            text=text, ink=ink, writer=w.id, language=lang, script=script,
            meta={"face": w.face, "pen_width": round(w.pen_width, 4),
                  "sample_rate_hz": cfg.sample_rate_hz, "synthetic": True}))
        if progress is not None:
            progress.update(1)
    return out


def attribution(cfg: SyntheticInkConfig) -> str:
    return fonts.kanjivg_attribution() if cfg.glyphs == "kanjivg" else fonts.HERSHEY_NOTICE
