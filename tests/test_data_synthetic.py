"""Synthetic handwriting (Hershey / KanjiVG writers) and synthetic word photos."""

import dataclasses

import numpy as np
import pytest

from inkrepro.data import fonts, photos, synthetic
from inkrepro.data.schema import SPLITS
from inkrepro.errors import UserError

CFG = synthetic.SyntheticInkConfig(num_writers=20, words_per_language=300, seed=3)


def test_deterministic_and_seeded():
    a = synthetic.generate(CFG, "train", 6)
    b = synthetic.generate(CFG, "train", 6)
    c = synthetic.generate(dataclasses.replace(CFG, seed=4), "train", 6)
    assert [e.text for e in a] == [e.text for e in b]
    assert all(x.ink.allclose(y.ink) for x, y in zip(a, b))
    assert [e.text for e in a] != [e.text for e in c] or not all(
        x.ink.allclose(y.ink) for x, y in zip(a, c))


def test_examples_are_labelled_ink_with_time():
    exs = synthetic.generate(CFG, "validation", 8)
    for e in exs:
        assert e.kind == "ink" and e.source == "hershey" and e.split == "validation"
        assert e.text and e.writer and e.language in CFG.languages and e.script == "Latin"
        assert e.image is None and e.ink.has_time and e.ink.is_finite()
        assert 0 < e.meta["pen_width"] < 0.5
        t = np.concatenate([s.t for s in e.ink.strokes])
        assert (np.diff(t) >= -1e-9).all()           # time never goes back
        for s in e.ink.strokes:                      # constant-rate resampling
            if len(s) > 3:
                d = np.diff(s.t)[:-1]
                assert np.allclose(d, 1 / CFG.sample_rate_hz, atol=1e-6)


def test_writer_disjoint_splits():
    ws = synthetic.writers_by_split(CFG)
    ids = {s: {w.id for w in ws[s]} for s in SPLITS}
    assert ids["train"] and ids["validation"] and ids["test"]
    assert not (ids["train"] & ids["validation"] or ids["train"] & ids["test"]
                or ids["validation"] & ids["test"])
    for split in SPLITS:
        assert {e.writer for e in synthetic.generate(CFG, split, 10)} <= ids[split]


def test_pen_speed_slower_at_curves():
    w = synthetic.sample_writer(0, CFG, np.random.default_rng(0))
    line = np.stack([np.linspace(0, 200, 201), np.zeros(201)], 1)
    th = np.linspace(0, 4 * np.pi, 400)[1:]
    r = 0.05 * w.height
    curl = np.stack([200 + r * np.sin(th), r - r * np.cos(th)], 1)
    p = np.concatenate([line, curl])
    (t,) = synthetic.pen_times([p], w, np.random.default_rng(0))
    v = np.hypot(*np.diff(p, axis=0).T) / np.diff(t)
    assert v[60:150].mean() > 2 * v[260:480].mean()    # straight is much faster than the curl
    assert v[:3].mean() < 0.6 * v[60:150].mean()       # slow start


def test_cursive_joins_and_print_faces():
    rng = np.random.default_rng(0)
    w = synthetic.sample_writer(0, CFG, rng)
    joined = dataclasses.replace(w, face="cursive", join_prob=1.0, join_dist=0.45, spacing=0.0,
                                 delay_dots=0.0)
    lifted = dataclasses.replace(joined, join_prob=0.0)
    printed = dataclasses.replace(w, face="futural")
    n_join = len(synthetic.layout("common", joined, rng))
    n_lift = len(synthetic.layout("common", lifted, rng))
    assert n_join < n_lift and n_join <= 2
    assert len(synthetic.layout("common", printed, rng)) >= 6


def test_kanjivg_glyphs_and_svg_parser():
    g = fonts.kanjivg_glyph("漢")
    assert g is not None and len(g.strokes) == 13
    assert fonts.kanjivg_glyph("\U0001f600") is None
    (poly,) = fonts.parse_svg_path("M0,0 L10,0 l0,10 h-5 v-2 z")
    assert np.allclose(poly, [(0, 0), (10, 0), (10, 10), (5, 10), (5, 8), (0, 0)])
    (curve,) = fonts.parse_svg_path("M0,0c0,10,10,10,10,0s10-10,10,0", seg_points=4)
    assert np.allclose(curve[-1], (20, 0)) and np.allclose(curve[4], (10, 0))
    assert "Attribution-Share Alike" in fonts.kanjivg_attribution()


def test_kanjivg_writer():
    cfg = synthetic.SyntheticInkConfig(glyphs="kanjivg", languages=("ja",), faces=(), face_weights=(),
                                       num_writers=10, words_per_language=50)
    exs = synthetic.generate(cfg, "test", 3)
    assert all(e.source == "kanjivg" and e.script == "Jpan" and e.ink.num_strokes >= 1 for e in exs)
    assert all(all(fonts.kanjivg_glyph(c) is not None for c in e.text) for e in exs)


def test_photos():
    cfg = photos.PhotoConfig(words_per_language=200, seed=1)
    exs = photos.generate(cfg, "test", 5)
    again = photos.generate(cfg, "test", 5)
    for e, f in zip(exs, again):
        assert e.kind == "ocr" and e.ink is None and e.text
        assert e.image.dtype == np.uint8 and e.image.ndim == 3 and e.image.shape[2] == 3
        assert e.image.shape[1] > e.image.shape[0] // 2
        assert np.array_equal(e.image, f.image)
    with pytest.raises(UserError):
        fonts.hershey_face("no-such-face")


def test_photo_fonts_do_not_depend_on_the_machine(monkeypatch, tmp_path):
    """By default photos draw only matplotlib's bundled fonts: installing a system font (as
    Debian's Chromium pulls in Liberation) changes neither the font list nor the photos; with
    ``system_fonts`` the system fonts join the list and the corpus cache key names them."""
    from inkrepro.data import pipeline
    from inkrepro.data.config import DataConfig

    extra = tmp_path / "liberation"
    extra.mkdir()
    (extra / "LiberationSans-Regular.ttf").write_bytes(b"not read")
    cfg = photos.PhotoConfig(words_per_language=200, seed=1)
    before = [e.text for e in photos.generate(cfg, "test", 6)]
    bundled = fonts.ttf_fonts()
    monkeypatch.setattr(fonts, "SYSTEM_FONT_DIRS", (extra,))
    fonts.ttf_fonts.cache_clear()
    try:
        assert fonts.ttf_fonts() == bundled
        assert [e.text for e in photos.generate(cfg, "test", 6)] == before
        assert fonts.ttf_fonts(True) == bundled + [extra / "LiberationSans-Regular.ttf"]
        dc = DataConfig()
        on = dataclasses.replace(dc, photos=dataclasses.replace(dc.photos, system_fonts=True))
        assert "LiberationSans-Regular.ttf" in pipeline.corpus_key(on, "photos")["fonts"]
        assert "LiberationSans-Regular.ttf" not in pipeline.corpus_key(dc, "photos")["fonts"]
    finally:
        fonts.ttf_fonts.cache_clear()
