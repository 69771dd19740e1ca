"""Paired and seeded comparisons with bootstrap CIs, and the verdict rule."""

import numpy as np
import pytest

from inkrepro.evaluate import compare as C


def test_paired_text_difference_and_verdict():
    refs = ["cancer", "laten", "fase", "armut", "panneau", "ganado"] * 20
    good = list(refs)
    bad = [r[:2] for r in refs]
    d = C.paired_diff("char_f1", (good, refs), (bad, refs))
    assert d.a == pytest.approx(1.0) and d.diff > 0.3 and d.lo > 0 and d.n == 120
    assert C.verdict(d, higher_is_better=True) == "reproduced"
    rev = C.paired_diff("char_f1", (bad, refs), (good, refs))
    assert C.verdict(rev, higher_is_better=True) == "not reproduced"
    same = C.paired_diff("cer", (good, refs), (good, refs))
    assert same.diff == 0 and C.verdict(same, higher_is_better=False) == "inconclusive"
    assert C.verdict(same, higher_is_better=False, margin=0.01) == "not reproduced"


def test_paired_geometry_lower_is_better():
    rng = np.random.default_rng(0)
    b = rng.uniform(10, 20, 200)
    a = b - 3 + rng.normal(0, 0.5, 200)      # a is 3 px better on every sample
    d = C.paired_diff("ldtw", list(a), list(b))
    assert d.diff == pytest.approx(-3, abs=0.2) and d.hi < 0
    assert C.verdict(d, higher_is_better=False) == "reproduced"


def test_seeded_difference_counts_seed_noise():
    rng = np.random.default_rng(1)
    base = rng.uniform(10, 20, 100)
    a = [list(base + off) for off in (-2.0, 3.0, -1.0)]   # seeds disagree in sign
    b = [list(base)] * 3
    d = C.seeded_diff("ldtw", a, b)
    assert d.seeds == 3 and d.lo < 0 < d.hi
    assert C.verdict(d, higher_is_better=False) == "inconclusive"
    with pytest.raises(ValueError):
        C.seeded_diff("ldtw", a, b[:2])
