"""Floors and ceilings: constant guess, shuffled pairing, midline, reference at spacing, position."""

import numpy as np
import pytest

from inkrepro.evaluate import calibration as C
from inkrepro.evaluate import metrics as M
from inkrepro.ink.core import Ink


def _word(x0=20.0, x1=200.0, y=112.0, n=40):
    xs = np.linspace(x0, x1, n)
    return Ink.from_arrays(np.stack([xs, y + 20 * np.sin(xs / 9.0)], 1), np.array([n]))


def test_constant_guess_is_the_strongest_candidate():
    labels = ["cancer", "laten", "fase", "armut", "panneau", "ganado", "tv", "silly"]
    g = C.constant_guess(labels)
    assert g and set(g) <= set("".join(labels))
    f1 = M.char_f1([g] * len(labels), labels)
    for other in ("e", "a", "an", "xyz", "aaaaaaaaaa"):
        assert f1 >= M.char_f1([other] * len(labels), labels)
    assert C.constant_guess([]) == ""


@pytest.mark.parametrize("n", [2, 3, 10, 257])
def test_shuffled_order_is_a_derangement(n):
    o = C.shuffled_order(n, seed=1)
    assert sorted(o) == list(range(n)) and not (o == np.arange(n)).any()
    assert np.array_equal(o, C.shuffled_order(n, seed=1))


def test_midline_and_reference_rows_bracket_a_word():
    ref = _word()
    mid = M.midline_ink(ref.bbox, spacing=16.0)
    assert mid.num_strokes == 1 and np.allclose(mid.points[:, 1], np.mean(ref.bbox[1::2]))
    assert mid.points[0, 0] == pytest.approx(ref.bbox[0]) and mid.points[-1, 0] == pytest.approx(ref.bbox[2])
    ceil = C.reference_at_spacing(ref, 16.0)
    assert len(ceil.points) < len(ref.points)
    # the reference at the training spacing is far closer to the reference than the midline
    assert M.ldtw_distance(ceil, ref) < 2.0 < M.ldtw_distance(mid, ref)
    assert C.word_box(ref, None) == ref.bbox


def test_word_box_from_image_ink_pixels():
    img = np.full((64, 64, 3), 255, np.uint8)
    img[30:34, 10:50] = 0
    x0, y0, x1, y1 = C.word_box(None, img)
    k = 224 / 64
    assert (x0, y0, x1, y1) == pytest.approx((10 * k, 30 * k, 50 * k, 34 * k))


def test_position_and_strongest_floor():
    assert C.position(0.5, 0.2, 0.8) == pytest.approx(0.5)
    assert C.position(10.0, 40.0, 2.0) == pytest.approx(30 / 38)      # lower is better works too
    assert np.isnan(C.position(1.0, 1.0, 1.0))
    # a ceiling on the wrong side of the floor gives no scale (smoke-sized recognizers)
    assert np.isnan(C.position(0.1, 0.26, 0.17, "char_f1"))
    assert np.isnan(C.position(10.0, 15.0, 30.0, "ldtw"))
    assert C.position(10.0, 40.0, 2.0, "ldtw") == pytest.approx(30 / 38)
    vals = {"floor_empty": 0.0, "floor_constant": 0.23, "floor_midline": 0.05, "ceiling_reference": 0.8}
    assert C.strongest_floor(vals, "char_f1") == ("floor_constant", 0.23)
    assert C.strongest_floor({"floor_midline": 30.0, "floor_empty": 80.0}, "ldtw") == ("floor_midline", 30.0)


def test_empty_prediction_is_a_failure_not_dropped():
    ref = _word()
    g = M.geometry_metrics(Ink(), ref)
    assert g["valid"] == 0.0 and g["aiou"] == 0.0
    assert np.isfinite(g["dtw"]) and np.isfinite(g["ldtw"]) and g["ldtw"] > 10


def test_calibration_outputs_rows():
    """Every floor and the ceiling for a set with reference ink; photos (no ink) get the
    text floors and a midline from the image."""
    from inkrepro.ink.core import Ink

    refs = [Ink.from_xy([np.array([[10.0 + 20 * i, 50], [30 + 20 * i, 80], [60 + 20 * i, 60]])]) for i in range(3)]
    out = C.outputs(refs, [None] * 3, ["ab", "ba", "aa"], spacing=16.0)
    assert set(out) == set(C.ROWS)
    idx, inks, texts = out["floor_shuffled"]
    assert idx == [0, 1, 2] and all(inks[k] is not refs[k] for k in range(3)) and texts is None
    assert out["floor_empty"][2] == ["", "", ""] and all(i.is_empty for i in out["floor_empty"][1])
    assert len(set(out["floor_constant"][2])) == 1 and out["floor_constant"][2][0]
    assert out[C.CEILING][1][0].bbox == pytest.approx(refs[0].bbox, abs=4.0)   # resampled at 16 px
    photo = np.full((64, 64, 3), 255, np.uint8)
    photo[20:40, 10:50] = 0
    out = C.outputs([None], [photo], ["word"], spacing=16.0)
    assert set(out) == {"floor_empty", "floor_constant", "floor_midline"}
