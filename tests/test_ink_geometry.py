import numpy as np
import pytest

from ink_fixtures import random_ink, word_ink
from inkrepro.errors import InkError
from inkrepro.ink import geometry as G
from inkrepro.ink.core import Ink, Stroke
from inkrepro.ink.render import letterbox_image


@pytest.mark.parametrize("w,h", [(300, 100), (100, 300), (224, 224), (37, 451), (1000, 3)])
def test_letterbox_transform_matches_image_contract(w, h):
    tf = G.letterbox_transform(w, h)
    ratio = min(224 / w, 224 / h)
    nw, nh = int(w * ratio), int(h * ratio)
    assert tf.ratio == ratio and tf.dx == (224 - nw) // 2 and tf.dy == (224 - nh) // 2
    # corners of the image land on the pasted region's corners (up to int() truncation)
    ink = Ink.from_xy([[[0, 0], [w, h]]])
    (x0, y0), (x1, y1) = tf.forward(ink).points
    assert (x0, y0) == (tf.dx, tf.dy)
    assert nw <= x1 - x0 < nw + 1 and nh <= y1 - y0 < nh + 1
    # inverse is exact
    assert tf.inverse(tf.forward(ink)).allclose(ink, 1e-9)


def test_letterbox_image_agrees_with_transform():
    img = np.zeros((50, 200, 3), np.uint8)
    img[20:30, 90:110] = 255  # a bright square centred at (100, 25)
    out, tf = letterbox_image(img)
    assert out.shape == (224, 224, 3) and out.dtype == np.uint8
    assert tf == G.letterbox_transform(200, 50)
    (cx, cy), = tf.forward_xy(np.array([[100.0, 25.0]]))
    ys, xs = np.nonzero(out[:, :, 0] > 127)
    assert abs(xs.mean() + 0.5 - cx) < 1 and abs(ys.mean() + 0.5 - cy) < 1
    assert out[: int(tf.dy) - 1].max() == 0  # black padding above


@pytest.mark.parametrize("margin", [0.0, 10.0])
def test_fit_to_frame_letterboxes_bbox_and_inverts(margin):
    rng = np.random.default_rng(0)
    ink = random_ink(rng, lo=-500, hi=900)
    fitted, tf = G.fit_to_frame(ink, 224, margin=margin)
    xmin, ymin, xmax, ymax = fitted.bbox
    assert xmin >= margin - 1e-9 and ymin >= margin - 1e-9
    assert xmax <= 224 - margin + 1e-9 and ymax <= 224 - margin + 1e-9
    # same as letterboxing an image of the bbox size
    bx0, by0, bx1, by1 = ink.bbox
    ref = G.letterbox_transform(bx1 - bx0, by1 - by0, 224 - 2 * margin)
    assert tf.ratio == pytest.approx(ref.ratio) and tf.dx == ref.dx + margin
    assert tf.inverse(fitted).allclose(ink, 1e-6)


def test_fit_to_frame_degenerate_inks():
    point, tf = G.fit_to_frame(Ink.from_xy([[[5, 7]]]))
    assert point.points.tolist() == [[112, 112]]
    line, _ = G.fit_to_frame(Ink.from_xy([[[0, 3], [10, 3]]]))
    assert line.points[:, 0].tolist() == [0, 224] and line.points[0, 1] == 112
    with pytest.raises(InkError):
        G.fit_to_frame(Ink())
    with pytest.raises(InkError):
        G.fit_to_frame(Ink.from_xy([[[0, 0], [np.nan, 1]]]))


def test_quantize_rounds_clips_and_dedupes():
    ink = Ink((Stroke([0.4, 0.6, 1.2, 1.4, -3, 300], [0, 0, 0, 0.1, 5, 5], [0, 1, 2, 3, 4, 5]),
               Stroke([1.2, 1.3], [1.2, 0.9], [6, 7])))
    q = G.quantize(ink)
    assert q[0].xy.tolist() == [[0, 0], [1, 0], [0, 5], [224, 5]]
    assert q[0].t.tolist() == [0, 1, 4, 5]  # first time of each duplicate run
    assert q[1].xy.tolist() == [[1, 1]]
    assert G.quantize(Ink.from_xy([[[1, 1]], []])).num_strokes == 1  # empty strokes dropped


def test_quantize_random_inks_are_valid_frame_inks():
    rng = np.random.default_rng(1)
    for _ in range(20):
        q = G.quantize(random_ink(rng, lo=-20, hi=250))
        p = q.points
        assert p.min() >= 0 and p.max() <= 224 and (p == np.rint(p)).all()
        for s in q:
            assert len(s) and (np.abs(np.diff(s.xy, axis=0)).sum(1) > 0).all()


def test_resample_by_arc_length_and_time():
    line = Ink.from_xy([[[0, 0], [10, 0]]])
    r = G.resample(line, spacing=2.5)
    assert r[0].x.tolist() == [0, 2.5, 5, 7.5, 10]
    r = G.resample(line, spacing=3)
    assert r[0].x.tolist() == [0, 3, 6, 9, 10]  # last point kept
    # time: slow first half, fast second half -> constant dt gives dense points early
    timed = Ink((Stroke([0, 5, 10], [0, 0, 0], [0.0, 0.8, 1.0]),))
    r = G.resample(timed, dt=0.1)
    assert np.allclose(np.diff(r[0].t), 0.1)
    assert (r[0].x < 5).sum() == 8
    with pytest.raises(InkError):
        G.resample(line)  # no spacing and no timestamps
    # one-point strokes unchanged
    assert G.resample(Ink.from_xy([[[3, 4]]]), spacing=1).points.tolist() == [[3, 4]]


def test_simplify_rdp():
    s = np.linspace(0, 10, 101)
    ink = Ink.from_xy([np.c_[s, np.zeros_like(s)], np.c_[s, np.abs(s - 5)]])
    out = G.simplify(ink, 0.01)
    assert out[0].xy.tolist() == [[0, 0], [10, 0]]
    assert out[1].xy.tolist() == [[0, 5], [5, 0], [10, 5]]
    w = word_ink()
    assert G.simplify(w, 0.0).allclose(w)  # tolerance 0 keeps all non-collinear points
    few = G.simplify(w, 1.0)
    assert few.num_points < w.num_points / 2


def test_rotation_matches_pil_and_inverts():
    # 90 degrees counter-clockwise on screen: right of centre -> above centre
    r = G.apply_affine(Ink.from_xy([[[20.0, 10.0]]]), G.rotation(90, (10, 10)))
    assert np.allclose(r.points, [[10, 0]])
    # same direction as PIL.Image.rotate: compare ink-pixel centroids
    from PIL import Image

    from inkrepro.ink.render import render
    ink0 = Ink.from_xy([[[112, 112], [200, 112]]])
    img = Image.fromarray(render(ink0, 224, width=5, color=(255, 255, 255), background=(0, 0, 0)))
    rot = np.asarray(img.rotate(30, resample=Image.BILINEAR, center=(112, 112)))[:, :, 0]
    ref = render(G.rotate(ink0, 30, center=(112, 112)), 224, width=5, color=(255, 255, 255),
                 background=(0, 0, 0))[:, :, 0]
    cen = lambda a: np.array([(np.nonzero(a > 100)[i]).mean() for i in (1, 0)])
    assert np.abs(cen(rot) - cen(ref)).max() < 1.0
    ink = word_ink()
    c = G.bbox_center(ink)
    assert G.rotate(G.rotate(ink, 33), -33, center=c).allclose(ink, 1e-9)
    m = G.compose(G.rotation(20, (5, 5)), G.scaling(2.0), G.translation(3, -1))
    assert G.apply_affine(G.apply_affine(ink, m), G.invert(m)).allclose(ink, 1e-9)
    assert G.rotate(Ink(), 10).is_empty
