"""Floors and ceilings: what every evaluation number is read against.

A metric means little alone: a recognizer reads some letters out of any scribble, and DTW
rewards ink that merely lies on the word. Every evaluation therefore scores, on the same
samples and with the same recognizer, trivial outputs (floors) and the reference itself
(ceiling), as extra rows next to the model's modes:

- ``floor_empty``: no output at all (text ""; geometry of ``metrics.EMPTY_STAND_IN``).
- ``floor_constant``: one constant string for every sample, the strongest of a few
  frequent-letter candidates on the labels it is scored against (text metrics only).
- ``floor_shuffled``: the reference ink of *another* sample of the set (a fixed
  permutation): real handwriting of the wrong word, read by the recognizer and compared
  geometrically with this sample's reference.
- ``floor_midline``: one straight stroke through the middle of the word's box at the training
  spacing (geometry; the recognizer reads it too).
- ``ceiling_reference``: the reference ink resampled at the training spacing, i.e. the best a
  derenderer trained on those targets can emit: read by the recognizer, and compared with the
  dense reference (the resampling error is the geometric ceiling).

The untrained model (a freshly initialised derenderer of the same config) is the floor a
trained model must beat; it is decoded like any checkpoint (``untrained=True`` in the runner).

``position(value, floor, ceiling)`` is where a number lies between the strongest floor and the
ceiling (0 = floor, 1 = ceiling), the form in which tables report it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from inkrepro.evaluate import metrics as M
from inkrepro.ink.core import Ink
from inkrepro.tasks import resample_quantized

FLOORS = ("floor_empty", "floor_constant", "floor_shuffled", "floor_midline")
CEILING = "ceiling_reference"
UNTRAINED = "floor_untrained"
ROWS = FLOORS + (CEILING,)
# For each headline metric: does a higher value mean better?
HIGHER_IS_BETTER = {"char_f1": True, "cer": False, "word_acc": True, "ldtw": False, "dtw": False,
                    "aiou": True, "chamfer": False, "validity": True}


def constant_guess(labels: Sequence[str], max_len: int = 8) -> str:
    """The constant string with the best character F1 on ``labels`` among prefixes of the
    labels' letters in order of frequency and repetitions of the top pairs ("e", "ea",
    "eai", ..., "eaea", ...)."""
    freq = [c for c, _ in Counter("".join(labels)).most_common() if not c.isspace()]
    if not freq:
        return ""
    cands = {"".join(freq[:k]) for k in range(1, max_len + 1)}
    for k in (1, 2, 3):
        unit = "".join(freq[:k])
        cands |= {(unit * max_len)[:n] for n in range(1, max_len + 1)}
    return max(sorted(cands), key=lambda c: M.char_f1([c] * len(labels), list(labels)))


def shuffled_order(n: int, seed: int = 0) -> np.ndarray:
    """A permutation of ``range(n)`` without fixed points (for n > 1): sample i is paired with
    the reference of sample ``order[i]`` != i."""
    if n < 2:
        return np.arange(n)
    cycle = np.random.default_rng(seed).permutation(n)     # one n-cycle: no fixed point
    order = np.empty(n, np.int64)
    order[cycle] = np.roll(cycle, -1)
    return order


def word_box(ref: Ink | None, image: np.ndarray | None) -> tuple[float, float, float, float] | None:
    """The word's box in the 224 frame: the reference ink's, else the image's ink pixels'."""
    if ref is not None and not ref.is_empty:
        return ref.bbox
    if image is None:
        return None
    mask = M.ink_pixels(image)
    ys, xs = np.nonzero(mask)
    if not len(xs):
        return None
    k = M.FRAME / mask.shape[1]
    return float(xs.min() * k), float(ys.min() * k), float((xs.max() + 1) * k), float((ys.max() + 1) * k)


def reference_at_spacing(ref: Ink, spacing: float) -> Ink:
    """The ceiling ink: the reference as a derenderer trained at ``spacing`` would write it."""
    return resample_quantized(ref, spacing) if spacing > 0 else ref


def position(value: float, floor: float, ceiling: float, metric: str | None = None) -> float:
    """Where ``value`` lies from ``floor`` (0) to ``ceiling`` (1); NaN if undefined, and, with
    ``metric``, NaN when the ceiling is not better than the floor (e.g. a recognizer that
    reads the reference ink worse than a constant guess: no scale to place a number on)."""
    if not all(np.isfinite([value, floor, ceiling])) or ceiling == floor:
        return float("nan")
    if metric is not None and (ceiling > floor) != HIGHER_IS_BETTER.get(metric, True):
        return float("nan")
    return float((value - floor) / (ceiling - floor))


def strongest_floor(values: dict[str, float], metric: str) -> tuple[str, float]:
    """(row, value) of the best-scoring floor for ``metric`` among ``values`` {row: value}."""
    better = HIGHER_IS_BETTER.get(metric, True)
    fin = {k: v for k, v in values.items() if k.startswith("floor_") and np.isfinite(v)}
    if not fin:
        return "", float("nan")
    k = (max if better else min)(fin, key=fin.get)
    return k, fin[k]


def outputs(refs: Sequence[Ink | None], images: Sequence[np.ndarray | None], labels: Sequence[str],
            spacing: float, seed: int = 0) -> dict[str, tuple[list[int], list[Ink], list[str] | None]]:
    """The floor and ceiling rows of one evaluation set: ``{row: (sample indices, inks, texts)}``
    where ``texts`` is the fixed reading of a text floor (None: the readers read the ink).
    ``spacing``: the derenderer's training spacing (0 = dense references; the midline then
    uses 16 px)."""
    n = len(labels)
    every = list(range(n))
    with_ref = [i for i in every if refs[i] is not None and not refs[i].is_empty]
    out: dict[str, tuple[list[int], list[Ink], list[str] | None]] = {
        "floor_empty": (every, [Ink()] * n, [""] * n),
        "floor_constant": (every, [Ink()] * n, [constant_guess(list(labels))] * n),
    }
    if len(with_ref) > 1:
        order = shuffled_order(len(with_ref), seed)
        out["floor_shuffled"] = (with_ref, [refs[with_ref[j]] for j in order], None)
    boxes = [(i, word_box(refs[i], images[i])) for i in every]
    boxed = [(i, b) for i, b in boxes if b is not None and b[2] > b[0]]
    if boxed:
        out["floor_midline"] = ([i for i, _ in boxed],
                                [M.midline_ink(b, spacing if spacing > 0 else 16.0) for _, b in boxed], None)
    if with_ref:
        out[CEILING] = (with_ref, [reference_at_spacing(refs[i], spacing) for i in with_ref], None)
    return out
