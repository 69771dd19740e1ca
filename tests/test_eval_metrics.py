"""Metrics: hand-computed values and DTW against a straightforward O(n*m) reference."""

import numpy as np
import pytest

from inkrepro.evaluate import metrics as M
from inkrepro.ink import geometry
from inkrepro.ink.core import Ink


def test_align_hand_values():
    a = M.align("kitten", "sitting")       # classic: 3 edits; k/s, e/i subst, +g
    assert (a.edits, a.matches) == (3, 4)  # i t t n match
    assert M.align("", "abc") == M.Alignment(3, 0, 0, 3)
    assert M.align("abc", "abc") == M.Alignment(0, 3, 3, 3)
    assert M.align("ab", "ba").edits == 2 and M.align("ab", "ba").matches == 1


def test_corpus_text_metrics_hand_values():
    hyps, refs = ["kitten", "abc", ""], ["sitting", "abc", "xy"]
    # M = 4 + 3 + 0 = 7; |hyp| = 6+3+0 = 9; |ref| = 7+3+2 = 12; edits = 3+0+2 = 5
    t = M.text_metrics(hyps, refs)
    assert t["char_f1"] == pytest.approx(2 * 7 / 21)
    assert t["cer"] == pytest.approx(5 / 12)
    assert t["word_acc"] == pytest.approx(1 / 3)
    assert M.char_f1(["a"], ["a"]) == 1.0 and M.cer(["a"], ["b"]) == 1.0


def _ref_dtw(a, b):
    """Plain DP with Euclidean cost; path backtracked preferring the diagonal."""
    n, m = len(a), len(b)
    c = np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))
    d = np.full((n + 1, m + 1), np.inf)
    d[0, 0] = 0
    for i in range(n):
        for j in range(m):
            d[i + 1, j + 1] = c[i, j] + min(d[i, j], d[i, j + 1], d[i + 1, j])
    i, j, steps = n, m, 1
    while (i, j) != (1, 1):
        opts = [(d[i - 1, j - 1], i - 1, j - 1), (d[i - 1, j], i - 1, j), (d[i, j - 1], i, j - 1)]
        _, i, j = min(opts, key=lambda o: o[0])
        steps += 1
    return d[n, m] / steps


def _rand_ink(rng):
    return Ink.from_xy([rng.uniform(0, 224, (int(rng.integers(1, 12)), 2))
                        for _ in range(int(rng.integers(1, 4)))])


def test_dtw_matches_reference_on_random_inks():
    rng = np.random.default_rng(0)
    for _ in range(25):
        a, b = _rand_ink(rng), _rand_ink(rng)
        assert M.dtw_distance(a, b) == pytest.approx(_ref_dtw(a.points, b.points), rel=1e-9)


def test_dtw_hand_values():
    a = Ink.from_xy([[[0, 0], [10, 0]]])
    b = Ink.from_xy([[[0, 3], [10, 3]]])
    assert M.dtw_distance(a, b) == pytest.approx(3.0)
    assert M.dtw_distance(a, a) == 0.0
    c = Ink.from_xy([[[0, 0]], [[10, 0]]])          # strokes concatenated in order
    assert M.dtw_distance(a, c) == 0.0
    assert np.isnan(M.dtw_distance(Ink(), a))
    # path for 1 point vs 3 points: length 3, mean of the distances
    one = Ink.from_xy([[[0, 0]]])
    three = Ink.from_xy([[[0, 0], [3, 4], [6, 8]]])
    assert M.dtw_distance(one, three) == pytest.approx((0 + 5 + 10) / 3)


def test_ldtw_is_sampling_independent():
    line = Ink.from_xy([[[10, 50], [200, 50]]])
    dense = Ink.from_xy([np.stack([np.linspace(10, 200, 400), np.full(400, 50.0)], 1)])
    assert M.ldtw_distance(line, dense) == pytest.approx(0.0, abs=1e-6)
    assert M.dtw_distance(line, dense) > 10   # plain DTW punishes the sampling difference


def test_aiou_and_stroke_ratio():
    a = Ink.from_xy([[[20, 100], [200, 100]]])
    assert M.aiou(a, a) == pytest.approx(1.0)
    far = Ink.from_xy([[[20, 10], [200, 10]]])
    assert M.aiou(far, a) == 0.0
    assert M.aiou(Ink(), a) == 0.0
    half = Ink.from_xy([[[20, 100], [110, 100]]])
    assert 0.4 < M.aiou(half, a) < 0.6
    assert M.stroke_count_ratio(Ink.from_xy([[[0, 0]], [[1, 1]]]), a) == 2.0
    assert M.validity_rate([a, Ink()]) == 0.5


def test_nearest_neighbour_mean_is_exact():
    """The k-d tree gives the all-pairs nearest distances (the definition), ties and all."""
    rng = np.random.default_rng(3)
    for n, m in [(1, 1), (7, 500), (600, 5), (300, 300)]:
        a, b = rng.uniform(0, 224, (n, 2)), rng.uniform(0, 224, (m, 2))
        b[: min(n, m) // 2] = a[: min(n, m) // 2]                   # some exact hits
        brute = np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1)).min(1).mean()
        assert M._nn_mean(a, b) == pytest.approx(brute, rel=1e-12, abs=1e-12)


def test_chamfer_to_image():
    img = np.full((224, 224, 3), 230, np.uint8)
    img[99:101, 20:200] = 10                         # a dark horizontal line at y = 100
    on = Ink.from_xy([[[20, 100], [200, 100]]])
    off = Ink.from_xy([[[20, 110], [200, 110]]])
    assert M.chamfer_to_image(on, img) < 1.0
    assert M.chamfer_to_image(off, img) == pytest.approx(10.0, abs=1.0)
    # same in a 112 image (coordinates scale to the 224 frame), with letterbox bars
    small = np.zeros((112, 112, 3), np.uint8)
    small[20:92] = 230
    small[50, 10:100] = 10
    ink = Ink.from_xy([[[20, 101], [200, 101]]])
    assert M.chamfer_to_image(ink, small) < 1.5
    assert np.isnan(M.chamfer_to_image(Ink(), img))


def test_bootstrap_ci_brackets_the_mean():
    v = np.random.default_rng(0).normal(5, 1, 200)
    m, lo, hi = M.mean_ci(v, samples=300)
    assert lo < m < hi and hi - lo < 0.6
    ci = M.text_ci(["ab", "ab", "xx"], ["ab", "ab", "ab"], samples=200)
    assert ci["char_f1"][1] <= ci["char_f1"][0] <= ci["char_f1"][2]


def test_out_of_bounds_outputs_are_invalid_failures():
    ref = Ink.from_xy([[[20, 100], [200, 100]]])
    for bad in (Ink.from_xy([[[1e300, 2], [3, 4]]]), Ink.from_xy([[[-2e6, 5], [3, 4]]]),
                Ink.from_xy([[[np.nan, 5], [3, 4]]])):
        assert not M.is_valid(bad) and M.validity_rate([ref, bad]) == 0.5
        g = M.geometry_metrics(bad, ref)   # 1e300 used to crash in resample ("Maximum allowed size")
        stand_in = M.geometry_metrics(Ink(), ref)
        assert g["valid"] == 0.0 and g["aiou"] == 0.0 and g["stroke_ratio"] == 0.0
        assert g["dtw"] == stand_in["dtw"] and g["ldtw"] == stand_in["ldtw"]
        img = np.full((224, 224, 3), 230, np.uint8)
        img[99:101, 20:200] = 10
        assert M.geometry_metrics(bad, None, img)["chamfer"] == M.geometry_metrics(Ink(), None, img)["chamfer"]
    assert M.is_valid(Ink.from_xy([[[1e6, -1e6]]]))   # the bound itself is valid


def test_ldtw_cost_does_not_grow_with_coordinate_magnitude():
    rng = np.random.default_rng(0)
    word = Ink.from_xy([np.cumsum(rng.normal(0, 3, (60, 2)), 0) + 100 for _ in range(6)])
    for scale in (10.0, 1e5, 1e7):
        big = word.scale(scale)
        assert M._resample(big, M.LDTW_SPACING, M.LDTW_MAX_POINTS).num_points <= M.LDTW_MAX_POINTS
        assert np.isfinite(M.ldtw_distance(big, word))
    # at the frame's scale nothing changes: the cap is far above a word's 2 px resampling
    assert M._resample(word, M.LDTW_SPACING, M.LDTW_MAX_POINTS).allclose(
        geometry.resample(word, spacing=M.LDTW_SPACING), 1e-9)
    many = Ink.from_xy([[[i % 200, i // 200]] for i in range(5000)])   # 5000 one-point strokes
    assert M._resample(many, M.LDTW_SPACING, M.LDTW_MAX_POINTS).num_points == M.LDTW_MAX_POINTS
