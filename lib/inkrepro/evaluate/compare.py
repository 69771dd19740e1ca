"""Paired comparisons and verdicts: is arm A better than arm B, beyond the noise?

Every claim the laptop study tests is a difference between two conditions evaluated on the
*same* examples (paired), possibly over several training seeds:

- ``paired_diff``: one checkpoint (or one seed), two conditions (e.g. derender-with-text vs
  vanilla): the difference of a metric over the same n examples, with a percentile bootstrap
  CI that resamples examples (both conditions together).
- ``seeded_diff``: two arms x the same seeds, each seed evaluated on the same examples: the
  mean over seeds of the per-seed difference, with a two-level bootstrap (seeds, then examples
  within each drawn seed), so both training noise and evaluation noise are in the CI.

Text metrics are corpus-level (``metrics.text_metrics_from_counts``); the others are means of
per-sample values (empty outputs already scored as failures by ``metrics.geometry_metrics``).

``verdict``: "reproduced" when the CI of the difference excludes 0 in the claimed direction,
"not reproduced" when it excludes 0 in the other direction or lies wholly inside the
equivalence margin ``±margin`` (no effect of practical size), "inconclusive" otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inkrepro.evaluate import metrics as M

TEXT_METRICS = ("char_f1", "cer", "word_acc")


@dataclass(frozen=True)
class Diff:
    """``a - b`` of ``metric`` with its bootstrap CI; ``n`` examples, ``seeds`` seeds."""

    metric: str
    a: float
    b: float
    diff: float
    lo: float
    hi: float
    n: int
    seeds: int = 1


def _stat(metric: str, a, b):
    """-> f(idx) giving the metric of condition a and b on the sample indices ``idx``."""
    if metric in TEXT_METRICS:
        (ha, ra), (hb, rb) = a, b
        ca, cb = M.text_counts(ha, ra), M.text_counts(hb, rb)
        return lambda idx: (M.text_metrics_from_counts({k: v[idx] for k, v in ca.items()})[metric],
                            M.text_metrics_from_counts({k: v[idx] for k, v in cb.items()})[metric])
    va, vb = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ok = np.isfinite(va) & np.isfinite(vb)
    va, vb = np.where(ok, va, np.nan), np.where(ok, vb, np.nan)
    return lambda idx: (float(np.nanmean(va[idx])), float(np.nanmean(vb[idx])))


def _n(metric: str, a) -> int:
    return len(a[0]) if metric in TEXT_METRICS else len(a)


def paired_diff(metric: str, a, b, *, samples: int = 1000, level: float = 0.95, seed: int = 0) -> Diff:
    """``a``/``b``: for text metrics ``(hyps, refs)``; else per-sample values, in the same
    example order for both conditions."""
    n = _n(metric, a)
    if n == 0 or n != _n(metric, b):
        raise ValueError(f"paired comparison needs the same non-zero number of examples ({n} vs {_n(metric, b)})")
    f = _stat(metric, a, b)
    pa, pb = f(np.arange(n))
    rng = np.random.default_rng(seed)
    d = np.array([np.subtract(*f(rng.integers(0, n, n))) for _ in range(samples)])
    lo, hi = np.nanquantile(d, [(1 - level) / 2, (1 + level) / 2])
    return Diff(metric, float(pa), float(pb), float(pa - pb), float(lo), float(hi), n)


def seeded_diff(metric: str, a: Sequence, b: Sequence, *, samples: int = 1000, level: float = 0.95,
                seed: int = 0) -> Diff:
    """``a[i]``/``b[i]``: seed i's data of each arm, as for :func:`paired_diff`."""
    if not a or len(a) != len(b):
        raise ValueError(f"seeded comparison needs the same seeds for both arms ({len(a)} vs {len(b)})")
    fs = [_stat(metric, x, y) for x, y in zip(a, b)]
    ns = [_n(metric, x) for x in a]
    point = [f(np.arange(n)) for f, n in zip(fs, ns)]
    pa, pb = float(np.mean([p[0] for p in point])), float(np.mean([p[1] for p in point]))
    rng = np.random.default_rng(seed)
    k = len(fs)
    d = np.empty(samples)
    for s in range(samples):
        picks = rng.integers(0, k, k)
        d[s] = np.mean([np.subtract(*fs[i](rng.integers(0, ns[i], ns[i]))) for i in picks])
    lo, hi = np.nanquantile(d, [(1 - level) / 2, (1 + level) / 2])
    return Diff(metric, pa, pb, pa - pb, float(lo), float(hi), int(np.mean(ns)), k)


def verdict(d: Diff, *, higher_is_better: bool, margin: float = 0.0) -> str:
    """"reproduced" / "not reproduced" / "inconclusive" for the claim "a is better than b"."""
    lo, hi = (d.lo, d.hi) if higher_is_better else (-d.hi, -d.lo)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "inconclusive"
    if lo > 0:
        return "reproduced"
    if hi < 0 or (margin > 0 and -margin < lo and hi < margin):
        return "not reproduced"
    return "inconclusive"
