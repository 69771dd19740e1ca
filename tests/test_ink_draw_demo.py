import argparse

import numpy as np
import pytest
from PIL import Image

from ink_fixtures import word_ink
from inkrepro.ink import draw, inkml, tokens
from inkrepro.ink.core import Ink, Stroke


def test_colours_rainbow_by_stroke_darker_to_lighter():
    cols = draw.point_colors(Ink.from_xy([[[0, 0], [1, 1], [2, 2]], [[5, 5], [6, 6]], [[9, 9]]]))
    assert [len(c) for c in cols] == [3, 2, 1]
    first, last = cols[0][-1], cols[2][-1]
    assert first[2] > first[0] and last[0] > last[2]  # violet/blue first, red later
    for c in cols[:2]:
        assert c[0].sum() < c[-1].sum()  # pen-down end is darker
    assert np.allclose(draw.rainbow(0.0), (0.5, 0.0, 1.0)) and np.allclose(draw.rainbow(1.0), (1.0, 0.0, 0.0), atol=1e-12)


def test_panel_overlay_and_alignment():
    ink = word_ink()
    img = np.full((224, 224, 3), 255, np.uint8)
    from inkrepro.ink.render import render
    img = render(ink, 224, width=3)
    p = draw.panel(img, ink, width=2)
    assert p.shape == (224, 3 * 224 + 8, 3) and p.dtype == np.uint8
    assert np.array_equal(p[:, :224], img)
    ov = p[:, -224:].astype(int)
    coloured = (ov.max(-1) - ov.min(-1)) > 60   # saturated rainbow pixels
    dark_input = img.mean(-1) < 128
    # the coloured ink lies on the input's ink pixels
    assert coloured.sum() > 200 and (coloured & dark_input).sum() / coloured.sum() > 0.9
    # the input is dimmed, not hidden
    assert 150 < ov[~coloured].mean() < 255


def test_draw_ink_skips_bad_points_and_keeps_colour_order():
    ink = Ink((Stroke([10, np.nan, 30], [10, 10, 10]), Stroke([], []), Stroke([40.0], [40.0])))
    out = draw.draw_ink(ink, 64, width=3)
    assert out.shape == (64, 64, 3) and (out < 250).any()


def test_gallery_svg_gif(tmp_path):
    ink = word_ink()
    tile = draw.draw_ink(ink, 100)
    g = draw.gallery([("one", tile), tile[:50], ("three", tile)], tmp_path / "g.png", cols=2)
    assert Image.open(tmp_path / "g.png").size == (g.shape[1], g.shape[0])
    with pytest.raises(ValueError):
        draw.gallery([])
    svg = draw.to_svg(ink, tmp_path / "i.svg")
    assert svg.startswith("<svg") and svg.count("<line") == ink.num_points - ink.num_strokes + 0
    assert svg.count("<circle") == 1  # the one-point stroke (the dot)
    draw.to_svg(Ink(), tmp_path / "empty.svg")
    gif = draw.to_gif(ink, tmp_path / "w.gif", size=224, frames=8)
    im = Image.open(gif)
    assert im.n_frames >= 5
    im.seek(im.n_frames - 1)
    last = np.asarray(im.convert("RGB"))
    im.seek(1)
    assert (np.asarray(im.convert("RGB")) < 250).sum() < (last < 250).sum()  # writing grows


def test_plot_ink_matplotlib(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2)
    draw.plot_ink(axes[0], word_ink(), np.zeros((224, 224, 3), np.uint8))
    draw.plot_ink(axes[1], word_ink())
    assert axes[1].get_ylim()[0] > axes[1].get_ylim()[1]  # y points down
    fig.savefig(tmp_path / "p.png")
    plt.close(fig)


def test_demo_ink_end_to_end(tmp_path):
    from inkrepro.ink import demo
    parser = argparse.ArgumentParser()
    demo.register(parser.add_subparsers())
    args = parser.parse_args(["demo", "ink", "--out", str(tmp_path / "demo"), "--per-word", "1"])
    assert args.func(args) == 0
    out = tmp_path / "demo"
    for name in ("gallery.png", "ink.svg", "writing.gif"):
        assert (out / name).stat().st_size > 1000
    files = sorted((out / "inkml").glob("*.inkml"))
    assert len(files) == 2 * len(demo.WORDS)
    doc = inkml.read_inkml(out / "inkml" / "handwriting.inkml")
    assert doc.ink.has_time and doc.annotations["truth"] == "handwriting"
    rel = inkml.read_inkml(out / "inkml" / "handwriting.release.inkml")
    assert rel.variant == "inksight" and tokens.encode(rel.ink)  # already in the 224 frame


def test_hershey_ink_is_y_down_and_timed():
    from inkrepro.ink.demo import hershey_ink
    ink = hershey_ink("T", "futural")
    # the bar of a T is its top: smallest y in a y-down frame
    bar = min(ink.strokes, key=lambda s: np.ptp(s.y))
    assert bar.y.mean() < np.mean([s.y.mean() for s in ink.strokes if s is not bar])
    t = np.concatenate([s.t for s in ink])
    assert (np.diff(t) >= 0).all()
