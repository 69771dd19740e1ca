"""Evaluation metrics, exactly as the design reference defines them ("Metrics").

Text (corpus level, over a list of hypotheses and references):
  character F1 = 2 * sum(M) / (sum |hyp| + sum |ref|), M = matched characters of a
  Levenshtein alignment (minimum edits; among those, most matches); CER = sum(edits) /
  sum |ref|; word accuracy = share of samples whose text equals the reference exactly
  (the evaluation sets are word crops; surrounding whitespace ignored).
Geometry (per sample, 224-frame pixels):
  DTW  = Euclidean-cost DTW between the points of both inks concatenated in stroke order,
         computed with dtaidistance's C path, divided by the warping-path length (the mean
         pixel distance along the optimal alignment).
  LDTW = the same after resampling both inks at a uniform arc-length spacing (default 2 px),
         so the score does not depend on how densely either ink is sampled (OUR READING of
         Chen et al. 2022's length-independent DTW). An ink longer than ``LDTW_MAX_POINTS``
         spacings is resampled to that many points instead (OUR CHOICE: 1024 points at 2 px are
         2048 px of pen travel, ~3x a word fitted to the frame: 500-750 px for Hershey words;
         the cap keeps the cost independent of coordinate magnitude).
  AIoU = IoU of binary renderings of both inks drawn with the same pen width, averaged over
         widths (1, 3, 5) px (OUR READING of Chen et al. 2022's width-adaptive IoU).
  Chamfer (no reference ink): symmetric mean nearest-neighbour distance between the predicted
         ink (densified to 1 px, coarser past 4000 points) and the input image's ink pixels (Otsu binarisation inside the
         letterbox content, ink = minority class), in 224-frame pixels.
  validity = share of outputs with at least one point, every coordinate finite and within
         ``COORD_LIMIT`` (1e6: OUR CHOICE, far outside any frame a model or file should use);
         stroke count ratio = predicted strokes / reference strokes.
Invalid outputs (empty or out of bounds) are failures, never dropped from a mean: their geometry
is scored as the single point at the frame centre (``EMPTY_STAND_IN``; OUR CHOICE), AIoU 0,
stroke ratio 0.
Calibration (floors and ceilings every table carries; see ``inkrepro.evaluate.calibration``):
``midline_ink`` is the geometric floor, a straight pen line through the middle of the word's
box at the training spacing.
Aggregates come with percentile bootstrap 95% confidence intervals over samples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from dtaidistance import dtw, dtw_ndim
from scipy.spatial import cKDTree

from inkrepro.errors import InkError
from inkrepro.ink import geometry
from inkrepro.ink.core import Ink
from inkrepro.ink.render import render_mask

FRAME = 224
AIOU_WIDTHS = (1.0, 3.0, 5.0)
LDTW_SPACING = 2.0
LDTW_MAX_POINTS = 1024
COORD_LIMIT = 1e6
EMPTY_STAND_IN = Ink.from_arrays(np.array([[FRAME / 2, FRAME / 2]]), np.array([1]))


# ----------------------------------------------------------------------------- text

@dataclass(frozen=True)
class Alignment:
    edits: int      # Levenshtein distance
    matches: int    # matched characters of the alignment
    hyp_len: int
    ref_len: int


def align(hyp: str, ref: str) -> Alignment:
    """Levenshtein alignment of two strings: (edits, matched characters).

    Among the minimum-edit alignments, the one with the most matches is taken.
    """
    n, m = len(hyp), len(ref)
    # cost as (edits, -matches) compared lexicographically, encoded in one integer
    big = m + n + 1
    prev = [j * big for j in range(m + 1)]
    for i in range(1, n + 1):
        cur = [i * big] + [0] * m
        hc = hyp[i - 1]
        for j in range(1, m + 1):
            diag = prev[j - 1] + (-1 if hc == ref[j - 1] else big)
            cur[j] = min(diag, prev[j] + big, cur[j - 1] + big)
        prev = cur
    v = prev[m]
    edits = (v + big - 1) // big if v > 0 else 0
    # v = edits*big - matches with 0 <= matches < big
    matches = edits * big - v
    return Alignment(int(edits), int(matches), n, m)


def text_counts(hyps: Sequence[str], refs: Sequence[str]) -> dict[str, np.ndarray]:
    """Per-sample counts the corpus metrics are sums of (used for bootstrapping)."""
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} hypotheses but {len(refs)} references")
    al = [align(h, r) for h, r in zip(hyps, refs)]
    return {"edits": np.array([a.edits for a in al], np.int64),
            "matches": np.array([a.matches for a in al], np.int64),
            "hyp_len": np.array([a.hyp_len for a in al], np.int64),
            "ref_len": np.array([a.ref_len for a in al], np.int64),
            "exact": np.array([h.strip() == r.strip() for h, r in zip(hyps, refs)], np.int64)}


def text_metrics_from_counts(c: dict[str, np.ndarray]) -> dict[str, float]:
    denom = c["hyp_len"].sum() + c["ref_len"].sum()
    n = len(c["edits"])
    return {
        "char_f1": float(2 * c["matches"].sum() / denom) if denom else 1.0,
        "cer": float(c["edits"].sum() / c["ref_len"].sum()) if c["ref_len"].sum() else float(c["hyp_len"].sum() > 0),
        "word_acc": float(c["exact"].mean()) if n else float("nan"),
    }


def char_f1(hyps: Sequence[str], refs: Sequence[str]) -> float:
    return text_metrics_from_counts(text_counts(hyps, refs))["char_f1"]


def cer(hyps: Sequence[str], refs: Sequence[str]) -> float:
    return text_metrics_from_counts(text_counts(hyps, refs))["cer"]


def word_accuracy(hyps: Sequence[str], refs: Sequence[str]) -> float:
    return text_metrics_from_counts(text_counts(hyps, refs))["word_acc"]


def text_metrics(hyps: Sequence[str], refs: Sequence[str]) -> dict[str, float]:
    """{"char_f1", "cer", "word_acc"} at corpus level."""
    return text_metrics_from_counts(text_counts(hyps, refs))


# ----------------------------------------------------------------------------- geometry

def _points(ink: Ink) -> np.ndarray:
    return np.ascontiguousarray(ink.points, dtype=np.float64)


def dtw_path(a_Nx2: np.ndarray, b_Mx2: np.ndarray) -> tuple[float, list[tuple[int, int]]]:
    """(summed Euclidean cost, warping path) by dtaidistance's C implementation."""
    a = np.ascontiguousarray(a_Nx2, dtype=np.float64)
    b = np.ascontiguousarray(b_Mx2, dtype=np.float64)
    total, paths = dtw_ndim.warping_paths(a, b, use_c=True, inner_dist="euclidean")
    return float(total), dtw.best_path(paths)


def dtw_distance(pred: Ink, ref: Ink) -> float:
    """Mean pixel distance along the optimal DTW alignment (NaN if either ink is empty)."""
    if pred.is_empty or ref.is_empty:
        return float("nan")
    total, path = dtw_path(_points(pred), _points(ref))
    return total / len(path)


def ldtw_distance(pred: Ink, ref: Ink, spacing: float = LDTW_SPACING,
                  max_points: int = LDTW_MAX_POINTS) -> float:
    """DTW after resampling both inks at a uniform arc-length ``spacing`` (coarser when an ink
    would get more than ``max_points`` points)."""
    if pred.is_empty or ref.is_empty:
        return float("nan")
    return dtw_distance(_resample(pred, spacing, max_points), _resample(ref, spacing, max_points))


def _resample(ink: Ink, spacing: float, max_points: int) -> Ink:
    ink = ink.without_time()
    total = ink.length
    if not np.isfinite(total):
        raise InkError(f"ink of length {total} cannot be resampled: coordinates out of range")
    out = geometry.resample(ink, spacing=max(spacing, total / max_points))
    out = out if not out.is_empty else ink
    if out.num_points > max_points:  # many short strokes: DTW sees the points in order only
        p = out.points[np.linspace(0, out.num_points - 1, max_points).round().astype(np.int64)]
        out = Ink.from_arrays(p, np.array([len(p)]))
    return out


def _mask(ink: Ink, size: int, width: float) -> np.ndarray:
    return render_mask(ink.without_time(), size, width=width) >= 128


def iou(pred: Ink, ref: Ink, width: float = 3.0, size: int = FRAME) -> float:
    a, b = _mask(pred, size, width), _mask(ref, size, width)
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else float("nan")


def aiou(pred: Ink, ref: Ink, widths: Sequence[float] = AIOU_WIDTHS, size: int = FRAME) -> float:
    """IoU of the two renderings averaged over pen widths (0 for an empty prediction)."""
    if ref.is_empty:
        return float("nan")
    if pred.is_empty:
        return 0.0
    return float(np.mean([iou(pred, ref, w, size) for w in widths]))


def stroke_count_ratio(pred: Ink, ref: Ink) -> float:
    return pred.num_strokes / ref.num_strokes if ref.num_strokes else float("nan")


def in_bounds(ink: Ink) -> bool:
    """Every coordinate finite and within +-COORD_LIMIT."""
    p = ink.points
    return bool(np.isfinite(p).all() and (not len(p) or np.abs(p).max() <= COORD_LIMIT))


def is_valid(ink: Ink) -> bool:
    """An output is valid when it decodes to at least one point, all within bounds."""
    return not ink.is_empty and in_bounds(ink)


def validity_rate(inks: Sequence[Ink]) -> float:
    return float(np.mean([is_valid(i) for i in inks])) if inks else float("nan")


# ----------------------------------------------------------------------------- photos (no ink)

def content_box(image: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the non-padding region (letterbox bars are exact black)."""
    nz = np.asarray(image).reshape(image.shape[0], image.shape[1], -1).max(axis=2) > 0
    rows, cols = np.nonzero(nz.any(axis=1))[0], np.nonzero(nz.any(axis=0))[0]
    if not len(rows):
        return 0, image.shape[0], 0, image.shape[1]
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def otsu_threshold(values: np.ndarray) -> float:
    hist = np.bincount(np.asarray(values, np.uint8).ravel(), minlength=256).astype(np.float64)
    p = hist / max(hist.sum(), 1)
    omega = np.cumsum(p)
    mu = np.cumsum(p * np.arange(256))
    mu_t = mu[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = (mu_t * omega - mu) ** 2 / (omega * (1 - omega))
    sigma[~np.isfinite(sigma)] = -1
    return float(np.argmax(sigma))


def ink_pixels(image: np.ndarray) -> np.ndarray:
    """Boolean HxW mask of the image's ink: Otsu inside the letterbox content, minority class."""
    img = np.asarray(image)
    gray = img.astype(np.float64).mean(axis=2) if img.ndim == 3 else img.astype(np.float64)
    t, b, x0, x1 = content_box(img)
    inner = gray[t:b, x0:x1]
    thr = otsu_threshold(inner.astype(np.uint8))
    dark = inner <= thr
    ink = dark if dark.sum() <= dark.size / 2 else ~dark
    out = np.zeros(gray.shape, bool)
    out[t:b, x0:x1] = ink
    return out


def _densify(ink: Ink, step: float = 1.0) -> np.ndarray:
    pts = []
    for s in ink.strokes:
        xy = s.xy
        if len(xy) == 1:
            pts.append(xy)
            continue
        for p, q in zip(xy[:-1], xy[1:]):
            k = max(1, int(np.ceil(np.hypot(*(q - p)) / step)))
            pts.append(p + (q - p) * np.linspace(0, 1, k, endpoint=False)[:, None])
        pts.append(xy[-1:])
    return np.concatenate(pts) if pts else np.zeros((0, 2))


def _nn_mean(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over ``a`` of the (exact) distance to the nearest point of ``b``: a k-d tree
    (scipy), ~200x faster than all pairs at 4,000 x 4,000 points
    (results/benchmarks/evaluation_scoring.md); an untrained model's long scribbles made the
    all-pairs version most of its evaluation time."""
    d, _ = cKDTree(b).query(a, k=1)
    return float(np.mean(d))


def chamfer_to_image(pred: Ink, image: np.ndarray, mask: np.ndarray | None = None,
                     max_pixels: int = 4000, seed: int = 0) -> float:
    """Symmetric Chamfer distance (224-frame px) between ``pred`` (224 frame) and the ink
    pixels of ``image`` (SxS model input, any S). NaN for an empty prediction or no ink."""
    if pred.is_empty:
        return float("nan")
    m = ink_pixels(image) if mask is None else np.asarray(mask, bool)
    ys, xs = np.nonzero(m)
    if not len(xs):
        return float("nan")
    k = FRAME / m.shape[1]
    pix = np.stack([xs + 0.5, ys + 0.5], 1) * k      # pixel centres in the 224 frame
    if len(pix) > max_pixels:   # deterministic subsample keeps this O(N) per sample
        pix = pix[np.random.default_rng(seed).choice(len(pix), max_pixels, replace=False)]
    ink = pred.without_time()   # 1 px steps, coarser past max_pixels points (cost bounded)
    pts = _densify(ink, max(1.0, ink.length / max_pixels))
    return 0.5 * (_nn_mean(pts, pix) + _nn_mean(pix, pts))


# ----------------------------------------------------------------------------- per-sample bundle

def geometry_metrics(pred: Ink, ref: Ink | None, image: np.ndarray | None = None) -> dict[str, float]:
    """All geometric metrics of one sample (NaN only where undefined: no reference and no
    image). An invalid ``pred`` (empty or out of bounds) is scored as ``EMPTY_STAND_IN``, AIoU 0
    and stroke ratio 0 (a failure, never dropped)."""
    valid = is_valid(pred)
    out = {"valid": float(valid), "num_strokes": float(pred.num_strokes)}
    shape = pred if valid else EMPTY_STAND_IN
    if ref is not None and not ref.is_empty:
        out.update(dtw=dtw_distance(shape, ref), ldtw=ldtw_distance(shape, ref),
                   aiou=aiou(pred, ref) if valid else 0.0,
                   stroke_ratio=stroke_count_ratio(pred, ref) if valid else 0.0)
    elif image is not None:
        out["chamfer"] = chamfer_to_image(shape, image)
    return out


def midline_ink(box: tuple[float, float, float, float], spacing: float = 16.0) -> Ink:
    """The geometric floor: one horizontal stroke through the middle of ``box`` = (xmin, ymin,
    xmax, ymax), points every ``spacing`` px (at least its two ends)."""
    x0, y0, x1, y1 = box
    n = max(2, int(np.ceil((x1 - x0) / max(spacing, 1e-6))) + 1)
    xs = np.linspace(x0, x1, n)
    return Ink.from_arrays(np.stack([xs, np.full(n, (y0 + y1) / 2)], 1), np.array([n]))


# ----------------------------------------------------------------------------- bootstrap

def bootstrap_ci(n: int, stat: Callable[[np.ndarray], float], *, samples: int = 1000,
                 level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of ``stat(indices)`` resampling ``n`` samples with replacement."""
    if n == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    vals = np.array([stat(rng.integers(0, n, n)) for _ in range(samples)], np.float64)
    vals = vals[np.isfinite(vals)]
    if not len(vals):
        return float("nan"), float("nan")
    a = (1 - level) / 2
    return float(np.quantile(vals, a)), float(np.quantile(vals, 1 - a))


def mean_ci(values: Sequence[float], **kw) -> tuple[float, float, float]:
    """(mean, lo, hi) of the finite values with a bootstrap CI."""
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    if not len(v):
        return float("nan"), float("nan"), float("nan")
    lo, hi = bootstrap_ci(len(v), lambda idx: float(v[idx].mean()), **kw)
    return float(v.mean()), lo, hi


def text_ci(hyps: Sequence[str], refs: Sequence[str], **kw) -> dict[str, tuple[float, float, float]]:
    """Corpus text metrics with bootstrap CIs: {name: (value, lo, hi)}."""
    c = text_counts(hyps, refs)
    point = text_metrics_from_counts(c)
    out = {}
    for name in point:
        lo, hi = bootstrap_ci(len(hyps), lambda idx, name=name: text_metrics_from_counts(
            {k: v[idx] for k, v in c.items()})[name], **kw)
        out[name] = (point[name], lo, hi)
    return out
