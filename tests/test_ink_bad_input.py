"""Bad input across the ink core: a clear InkError, or a documented, tested cleanup."""

import numpy as np
import pytest

from inkrepro.errors import InkError
from inkrepro.ink import augment, draw, geometry, inkml, render, tokens
from inkrepro.ink.core import Ink, Stroke

NAN_INK = Ink((Stroke([1.0, np.nan, 3.0], [1.0, 2.0, 3.0]), Stroke([5.0, 6.0], [np.inf, 6.0])))
CALLS = {
    "fit_to_frame": lambda ink: geometry.fit_to_frame(ink),
    "quantize": geometry.quantize,
    "resample": lambda ink: geometry.resample(ink, spacing=1.0),
    "simplify": lambda ink: geometry.simplify(ink, 1.0),
    "render": lambda ink: render.render(ink, 32),
    "render_augmented": lambda ink: augment.render_augmented(ink, 32, augment.AugmentConfig(),
                                                             np.random.default_rng(0)),
    "encode": tokens.encode,
    "write_inkml": lambda ink: inkml.to_inkml_string(ink),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_nan_and_inf_give_a_clear_error(name):
    with pytest.raises(InkError, match="NaN|infinite|non-finite"):
        CALLS[name](NAN_INK)


@pytest.mark.parametrize("name", list(CALLS))
def test_documented_cleanup_makes_nan_ink_usable(name):
    clean = NAN_INK.cleaned()  # drops non-finite points, then empty strokes
    assert clean.num_points == 3 and clean.is_finite()
    if name in ("encode",):
        clean = geometry.quantize(clean)
    CALLS[name](clean)


def test_empty_strokes_and_empty_ink():
    with_empty = Ink((Stroke([], []), Stroke([1.0, 2.0], [1.0, 2.0]), Stroke([], [])))
    assert geometry.quantize(with_empty).num_strokes == 1
    assert tokens.encode(with_empty) == [450, 1, 226, 2, 227]
    assert geometry.resample(with_empty, spacing=0.5).num_strokes == 3
    assert geometry.simplify(with_empty, 0.5).num_points == 2
    assert render.render(with_empty, 8).shape == (8, 8, 3)
    empty = Ink()
    assert tokens.encode(empty) == [] and geometry.quantize(empty).num_strokes == 0
    assert (render.render(empty, 8) == 255).all()
    with pytest.raises(InkError, match="empty"):
        geometry.fit_to_frame(empty)
    img, t = augment.render_augmented(empty, 16, augment.AugmentConfig(), np.random.default_rng(0))
    assert img.shape == (16, 16, 3) and t.is_empty
    assert draw.draw_ink(empty, 8).shape == (8, 8, 3)
    assert inkml.parse_inkml(inkml.to_inkml_string(empty)).ink.num_strokes == 0


def test_letterbox_rejects_degenerate_images():
    with pytest.raises(InkError):
        geometry.letterbox_transform(0, 10)
    img, tf = render.letterbox_image(np.zeros((1, 1000, 3), np.uint8))  # extreme aspect still works
    assert img.shape == (224, 224, 3) and tf.ratio == pytest.approx(0.224)
