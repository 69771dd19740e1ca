"""Inference modes over a fake derenderer: prompts, parsing, the r+d fallback, frames."""

import numpy as np
import pytest

from inkrepro.errors import UserError
from inkrepro.evaluate import modes
from inkrepro.ink import tokens
from inkrepro.ink.core import Ink
from inkrepro.ink.geometry import letterbox_transform

LINE = Ink.from_xy([[[10, 20], [30, 40]]])


def fake(images, prompts, allow_text):
    fake.calls.append((list(prompts), allow_text))
    out = []
    for i, p in enumerate(prompts):
        ink = tokens.to_text(tokens.encode(LINE))
        if p == "Recognize and derender.":
            out.append("word" if i == 1 else f"word {ink}")   # sample 1: text but no stroke
        else:
            out.append(ink)
    return out


fake.calls = []


def test_modes_prompts_parse_and_fallback():
    imgs = np.zeros((3, 8, 8, 3), np.uint8)
    fake.calls.clear()
    v = modes.run(fake, imgs, "vanilla")
    assert [o.prompt for o in v] == ["Derender the ink."] * 3 and v[0].ink.allclose(LINE)
    d = modes.run(fake, imgs, "d+t", texts=["a", "b", "c"], text_source="label")
    assert [o.prompt for o in d] == ["Derender the ink: a", "Derender the ink: b", "Derender the ink: c"]
    assert [o.text_in for o in d] == ["a", "b", "c"]
    fake.calls.clear()
    r = modes.run(fake, imgs, "r+d")
    assert [o.text_out for o in r] == ["word"] * 3
    assert [o.fallback for o in r] == [False, True, False]
    assert r[1].ink.allclose(LINE)              # the vanilla rerun's ink
    assert fake.calls == [(["Recognize and derender."] * 3, True), (["Derender the ink."], False)]
    with pytest.raises(UserError, match="unknown inference mode"):
        modes.canonical("sketch")
    with pytest.raises(ValueError, match="needs texts"):
        modes.run(fake, imgs, "derender_with_text")


def test_frames():
    ink = Ink.from_xy([[[0, 0], [224, 224]]])
    assert modes.to_image_frame(ink, 112).points.max() == 112
    src = Ink.from_xy([[[5, 7], [390, 90]]])
    tf = letterbox_transform(400, 100)
    back = modes.to_source_frame(tf.forward(src), 400, 100)
    assert back.allclose(src, atol=1e-9)
