"""The five tasks: prompts, (image, prompt, target), letterbox frames, target fitting."""

import numpy as np
import pytest

from inkrepro import tasks
from inkrepro.data.schema import Example
from inkrepro.ink import tokens
from inkrepro.ink.augment import AugmentConfig
from inkrepro.ink.core import Ink
from inkrepro.text import Vocabulary


@pytest.fixture(scope="module")
def vocab():
    texts = [tasks.PROMPTS[t].format(text="") for t in tasks.TASK_NAMES] * 5 + ["hello", "world", "minimum"] * 5
    return Vocabulary.train(texts, 60)


def _ink_example(text="hello"):
    # a wide word-like ink in arbitrary units (x 0..300, y 0..60) with time
    th = np.linspace(0, 6 * np.pi, 120)
    s1 = np.stack([np.linspace(0, 300, 120), 30 + 25 * np.sin(th)], 1)
    s2 = np.array([[150.0, 0.0], [150.0, 10.0]])
    ink = Ink.from_xy([s1, s2])
    return Example("e1", "hershey", "train", "ink", text=text, ink=ink, writer="w", meta={"pen_width": 0.3})


def _ocr_example():
    img = np.full((30, 90, 3), 200, np.uint8)
    img[10:20, 10:80] = 20
    return Example("o1", "photos", "test", "ocr", text="world", image=img)


def test_prompts_exact():
    assert tasks.TASK_NAMES == ("vanilla_derender", "derender_with_text", "recognize_real",
                                "recognize_rendered", "recognize_and_derender")
    assert tasks.prompt_for("vanilla_derender", "x") == "Derender the ink."
    assert tasks.prompt_for("derender_with_text", "hello") == "Derender the ink: hello"
    assert tasks.prompt_for("recognize_and_derender") == "Recognize and derender."
    assert tasks.prompt_for("recognize_real") == "Recognize the text."
    assert tasks.prompt_for("recognize_rendered", recognition_prompt="Read it.") == "Read it."
    with pytest.raises(ValueError):
        tasks.prompt_for("translate")
    assert set(tasks.DEFAULT_MIXTURE) == set(tasks.TASK_NAMES)


@pytest.mark.parametrize("size", [224, 64])
def test_rendered_sample_aligned_with_target(size):
    ex = _ink_example()
    s = tasks.make_sample("vanilla_derender", ex, image_size=size, augment=None)
    assert s.image.shape == (size, size, 3) and s.image.dtype == np.uint8
    pts = s.ink.points
    assert np.array_equal(pts, np.rint(pts)) and pts.min() >= 0 and pts.max() <= 224
    # the ink target, scaled to the image, lies on dark pixels (clean render: black on white)
    k = size / 224
    xy = np.clip((pts * k).astype(int), 0, size - 1)
    assert s.image[xy[:, 1], xy[:, 0]].mean() < 110
    # a wide word is letterboxed: black bars above and below, paper in the middle
    assert s.image[0].max() == 0 and s.image[-1].max() == 0
    assert s.image[size // 2].max() > 200
    # the ink spans the letterboxed crop horizontally
    assert pts[:, 0].max() - pts[:, 0].min() > 150


def test_augmented_sample_deterministic():
    ex = _ink_example()
    a = tasks.make_sample("recognize_and_derender", ex, image_size=64, augment=AugmentConfig(),
                          rng=np.random.default_rng(5))
    b = tasks.make_sample("recognize_and_derender", ex, image_size=64, augment=AugmentConfig(),
                          rng=np.random.default_rng(5))
    assert np.array_equal(a.image, b.image) and a.ink.allclose(b.ink)


def test_ocr_sample():
    s = tasks.make_sample("recognize_real", _ocr_example(), image_size=96, augment=None)
    assert s.ink is None and s.text == "world" and s.prompt == "Recognize the text."
    assert s.image.shape == (96, 96, 3)
    assert s.image[0].max() == 0 and s.image[48, 48].max() < 60    # letterboxed, text dark
    with pytest.raises(ValueError):
        tasks.make_sample("vanilla_derender", _ocr_example())


def test_encode_sample_layout(vocab):
    ex = _ink_example()
    s = tasks.make_sample("recognize_and_derender", ex, image_size=32, augment=None)
    f = tasks.encode_sample(s, vocab, 32, 1024)
    tgt, dec, w = f["decoder_targets"], f["decoder_inputs"], f["loss_weights"]
    n = int(w.sum())
    assert tgt[n - 1] == vocab.eos_id and (tgt[n:] == 0).all() and (w[:n] == 1).all()
    assert dec[0] == 0 and np.array_equal(dec[1:], tgt[:-1])
    text, ink = vocab.decode_output(tgt)
    assert text == "hello" and ink.allclose(s.ink)
    assert vocab.decode(tgt).startswith("hello <ink_token_450>")
    enc = f["encoder_tokens"]
    assert vocab.decode(enc) == "Recognize and derender." and enc[len(vocab.encode_text(s.prompt))] == 1
    assert f["task_id"] == tasks.TASK_NAMES.index("recognize_and_derender")
    f2 = tasks.encode_sample(tasks.make_sample("recognize_rendered", ex, image_size=32), vocab, 16, 64)
    assert vocab.decode(f2["decoder_targets"]) == "hello"
    f3 = tasks.encode_sample(tasks.make_sample("derender_with_text", ex, image_size=32), vocab, 32, 1024)
    assert vocab.decode(f3["encoder_tokens"]) == "Derender the ink: hello"
    assert vocab.decode(f3["decoder_targets"]).startswith("<ink_token_450>")


def test_long_ink_resampled_not_truncated(vocab):
    ex = _ink_example()
    s = tasks.make_sample("vanilla_derender", ex, image_size=32, augment=None)
    full = len(tokens.encode(s.ink))
    before = tasks.stats().get("ink_resampled", 0)
    f = tasks.encode_sample(s, vocab, 16, 120)
    assert full > 120 and tasks.stats()["ink_resampled"] == before + 1
    ink = vocab.decode_ink(f["decoder_targets"])
    assert ink.num_strokes == s.ink.num_strokes                  # every stroke kept
    for a, b in zip(ink.strokes, s.ink.strokes):                 # ends kept: not truncated
        assert np.allclose(a.xy[[0, -1]], b.xy[[0, -1]], atol=1)
    # too many strokes for the budget: dropped with zero weight and counted, never cut
    many = Ink.from_xy([[(i, i)] for i in range(60)])
    s2 = tasks.TaskSample("vanilla_derender", s.image, "Derender the ink.", "", many)
    d0 = tasks.stats().get("ink_dropped_too_long", 0)
    f2 = tasks.encode_sample(s2, vocab, 16, 64)
    assert f2["loss_weights"].sum() == 0 and tasks.stats()["ink_dropped_too_long"] == d0 + 1


def test_target_spacing_coarsens():
    ex = _ink_example()
    fine = tasks.make_sample("vanilla_derender", ex, image_size=32)
    coarse = tasks.make_sample("vanilla_derender", ex, image_size=32, target_spacing=8.0)
    assert coarse.ink.num_points < fine.ink.num_points / 2
    assert tasks.target_string("abc", coarse.ink, "recognize_and_derender").startswith("abc <ink_token_450>")


def test_fast_resample_matches_geometry():
    from inkrepro.ink import geometry

    rng = np.random.default_rng(0)
    strokes = [np.cumsum(rng.normal(0, 3, (40, 2)), 0) + 100, [(5.0, 5.0)], [(7.0, 7.0), (7.0, 7.0)],
               [(0.0, 0.0), (0.0, 0.0), (10.0, 0.0)]]
    ink = Ink.from_xy(strokes)
    for sp in (1.0, 2.5, 7.0):
        want = geometry.quantize(geometry.resample(ink, spacing=sp))
        assert tasks.resample_quantized(ink, sp).allclose(want)
        pts, lens, _ = ink.to_arrays()
        assert tasks.quantize_flat(pts, lens).allclose(geometry.quantize(ink))
