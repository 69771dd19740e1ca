# ruff: noqa: F811  (pytest fixtures imported from model_fixtures)
"""Decoding: KV-cached == full recomputation (greedy, beam, sampling), grammar, EOS handling."""

import dataclasses

import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from inkrepro.ink import tokens as ink_tokens
from inkrepro.model import decode, derenderer
from inkrepro.model.derenderer import glimpse_crops, pen_positions
from model_fixtures import IMG, V_TEXT, V, micro_batch, micro_config, micro_model, token_ids  # noqa: F401

L = 20


@pytest.mark.parametrize("method,constrained", [("greedy", False), ("beam", True), ("sample", True)])
def test_cached_equals_full_recomputation(micro_model, micro_batch, method, constrained):
    b, tok = micro_batch, token_ids()
    kw = dict(max_len=L, method=method, constrained=constrained, rng=3, beam_size=3,
              temperature=0.7, **tok)
    cached = np.asarray(decode.generate(micro_model, b["image"], b["encoder_tokens"], **kw))
    full = np.asarray(decode.generate(micro_model, b["image"], b["encoder_tokens"], use_cache=False, **kw))
    assert cached.shape == (4, L) and cached.dtype == np.int32
    np.testing.assert_array_equal(cached, full)
    assert (cached < V).all() and (cached != 2).all()
    if constrained:
        assert all(decode.is_valid_grammar(r, **tok) for r in cached)
        # no text allowed: every row is pure ink and parses to at least one stroke
        ink = np.asarray(decode.generate(micro_model, b["image"], b["encoder_tokens"], allow_text=False, **kw))
        for row in ink:
            assert decode.is_valid_grammar(row, allow_text=False, **tok)
            ids = [int(i) - V_TEXT for i in row if i >= V_TEXT]
            assert row[0] == V_TEXT + ink_tokens.START_STROKE
            assert len(ink_tokens.decode(ids).strokes) >= 1


def test_stops_at_eos_and_pads(micro_model, micro_batch):
    m = nnx.clone(micro_model)
    sc = m.decoder.decoder_norm.scale
    sc[...] = sc[...] * 0   # all logits 0: argmax takes the smallest allowed id (pad is never allowed)
    b = micro_batch
    out = np.asarray(decode.generate(m, b["image"], b["encoder_tokens"], max_len=L))
    assert (out[:, 0] == 1).all() and (out[:, 1:] == 0).all()
    # constrained: EOS only after a complete point -> 450, x, y, EOS
    out = np.asarray(decode.generate(m, b["image"], b["encoder_tokens"], max_len=L, constrained=True,
                                     allow_text=False, **token_ids()))
    assert (out[:, 3] == 1).all() and (out[:, 4:] == 0).all()
    assert (out[:, :3] == [V_TEXT + 450, V_TEXT, V_TEXT + 225]).all()


def test_grammar_checker():
    ids = token_ids()
    s, x, y, eos = V_TEXT + 450, V_TEXT + 3, V_TEXT + 225 + 4, 1
    assert decode.is_valid_grammar([5, 6, s, x, y, x, y, s, x, y, eos, 0, 0], **ids)
    assert not decode.is_valid_grammar([s, eos], **ids)           # empty stroke
    assert not decode.is_valid_grammar([s, x, eos], **ids)        # half a point
    assert not decode.is_valid_grammar([s, x, y, 5], **ids)       # text after ink
    assert not decode.is_valid_grammar([5, s, x, y], allow_text=False, **ids)
    with pytest.raises(ValueError, match="ink_offset"):
        decode.generate(None, np.zeros((1, 16, 16, 3), np.uint8), np.zeros((1, 4), np.int32), max_len=4,
                        constrained=True)


@pytest.fixture(scope="module")
def glimpse_model():
    return derenderer.build(dataclasses.replace(micro_config(), glimpse=5), image_size=IMG,
                            vocab_size=V, seed=1)


@pytest.mark.parametrize("method", ["greedy", "beam"])
def test_pen_glimpse_cached_equals_full(glimpse_model, micro_batch, method):
    b = micro_batch
    kw = dict(max_len=L, method=method, constrained=True, beam_size=3, allow_text=False, **token_ids())
    cached = np.asarray(decode.generate(glimpse_model, b["image"], b["encoder_tokens"], **kw))
    full = np.asarray(decode.generate(glimpse_model, b["image"], b["encoder_tokens"], use_cache=False, **kw))
    np.testing.assert_array_equal(cached, full)


def test_pen_positions_match_the_step_by_step_pen(glimpse_model):
    o, s = V_TEXT, V_TEXT + ink_tokens.START_STROKE
    x = lambda v: o + v
    y = lambda v: o + ink_tokens.Y_OFFSET + v
    toks = np.array([[0, 5, s, x(10), y(20), x(30), y(40), s, x(50), 7, y(60), x(70), y(80)]], np.int32)
    px, py, valid = (np.asarray(a)[0] for a in pen_positions(jnp.asarray(toks), o))
    assert list(valid) == [False] * 4 + [True] * 9
    assert (px[4], py[4]) == (10, 20) and (px[6], py[6]) == (30, 40)
    assert (px[10], py[10]) == (30, 40)          # "50 7 60" is no point: x not right before y
    assert (px[12], py[12]) == (70, 80)
    pen = glimpse_model.init_pen(1)
    for t in range(toks.shape[1]):
        pen = glimpse_model.pen_update(pen, jnp.asarray(toks[:, t]))
        assert (int(pen["x"][0]), int(pen["y"][0]), bool(pen["valid"][0])) == (px[t], py[t], valid[t])
    img = np.zeros((1, 16, 16, 3), np.uint8)
    img[0, 8, 4] = 255                            # one white pixel at (x=4, y=8)
    c = np.asarray(glimpse_crops(jnp.asarray(img), jnp.asarray([[4 * 224 / 16]]), jnp.asarray([[8 * 224 / 16]]), 3))
    assert c.shape == (1, 1, 3, 3, 3) and c[0, 0, 1, 1, 0] == 1.0 and (c[0, 0, 0] == -1).all()
