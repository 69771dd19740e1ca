# ruff: noqa: F811  (pytest fixtures imported from model_fixtures)
"""Model: shapes, parameter counts, T5 pieces, freezing, dropout, ViT init/convert, summary CLI."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from inkrepro.model import layers
from model_fixtures import IMG, LT, V, micro_apply, micro_batch, micro_config, micro_model  # noqa: F401


def test_forward_shapes_and_padding_invariance(micro_apply, micro_batch):
    b = micro_batch
    logits = micro_apply(b["image"], b["encoder_tokens"], b["decoder_inputs"])
    assert logits.shape == (4, LT, V) and logits.dtype == jnp.float32
    assert np.isfinite(np.asarray(logits)).all()
    # causal decoder: changing a later decoder input leaves earlier logits unchanged
    d2 = b["decoder_inputs"].copy()
    d2[:, 10] = 5
    l2 = micro_apply(b["image"], b["encoder_tokens"], d2)
    np.testing.assert_allclose(logits[:, :10], l2[:, :10], atol=1e-5)
    assert not np.allclose(logits[:, 10:], l2[:, 10:])
    # padded prompt positions (id 0) are masked out: extra padding changes nothing
    e3 = np.pad(b["encoder_tokens"], ((0, 0), (0, 3)))
    np.testing.assert_allclose(logits, micro_apply(b["image"], e3, b["decoder_inputs"]), atol=1e-5)


def test_dropout_is_keyed_and_deterministic_when_off(micro_batch):
    from inkrepro.model import derenderer

    m = derenderer.build(micro_config(dropout=0.5, vit_dropout=0.5), image_size=IMG, vocab_size=V)
    b = micro_batch
    g, st = nnx.split(m)
    f = jax.jit(lambda k, det: nnx.merge(g, st)(b["image"], b["encoder_tokens"], b["decoder_inputs"],
                                                deterministic=det, dropout_key=k), static_argnums=1)
    k = jax.random.key(1)
    a1, a2, a3 = f(k, False), f(k, False), f(jax.random.key(2), False)
    np.testing.assert_array_equal(a1, a2)
    assert not np.allclose(a1, a3)
    np.testing.assert_array_equal(f(k, True), f(jax.random.key(2), True))   # deterministic=True


def test_relative_position_buckets_match_t5():
    from inkrepro.model.t5 import relative_position_bucket

    rel = jnp.arange(-200, 201)
    bi = relative_position_bucket(rel, bidirectional=True, num_buckets=32, max_distance=128)
    uni = relative_position_bucket(rel, bidirectional=False, num_buckets=32, max_distance=128)
    bi, uni = np.asarray(bi), np.asarray(uni)
    # bidirectional: keys before the query use buckets 0..15, after 16..31; exact below 8
    assert bi[200] == 0 and bi[199] == 1 and bi[201] == 17 and bi[207] == 23
    assert bi.min() == 0 and bi.max() == 31 and bi[0] == 15 and bi[-1] == 31
    # unidirectional: future keys share bucket 0; past distance n < 16 exact, capped at 31
    assert (uni[201:] == 0).all() and uni[199] == 1 and uni[185] == 15 and uni[0] == 31
    assert np.all(np.diff(uni[:201][::-1]) >= 0)   # monotone in distance


def test_param_counts_exact_and_abstract():
    from inkrepro.model import configs, derenderer

    cfg = micro_config()
    real = derenderer.build(cfg, image_size=IMG, vocab_size=V)
    ab = derenderer.abstract(cfg, image_size=IMG, vocab_size=V)
    n_real = sum(x.size for x in jax.tree.leaves(nnx.state(real, nnx.Param)))
    assert derenderer.param_counts(ab)["total"] == n_real
    # hand count of the T5 part: no biases, gated-GELU (3 matrices), untied output layer
    d, h, k, f = cfg.d_model, cfg.num_heads, cfg.d_kv, cfg.d_ff
    att, ff = 4 * d * h * k, 3 * d * f
    enc = cfg.enc_layers * (att + ff + 2 * d) + d + cfg.rel_buckets * h
    dec = cfg.dec_layers * (2 * att + ff + 3 * d) + d + cfg.rel_buckets * h + d * V
    c = derenderer.param_counts(ab)
    assert (c["encoder"], c["decoder"], c["token_embed"]) == (enc, dec, V * d)
    # ViT-B/16 at 224 (the paper's Small ViT, no head / class token): 85.8M, counted abstractly
    vit_b = derenderer.param_counts(derenderer.abstract(
        dataclasses.replace(configs.tiny(), patch_size=16, enc_layers=0, dec_layers=0).vit_variant("B"),
        image_size=224, vocab_size=10))
    assert vit_b["vit"] == 85_797_120


def test_summary_cli_prints_counts(capsys):
    import argparse

    from inkrepro.model import cli
    p = argparse.ArgumentParser()
    cli.register(p.add_subparsers())
    a = p.parse_args(["model", "summary", "--config", "tiny", "-o", "d_model=64"])
    assert a.func(a) == 0
    out = capsys.readouterr().out
    from inkrepro.model import configs, derenderer
    cfg = dataclasses.replace(configs.tiny(), d_model=64)
    # defaults from the laptop profile: 64 px, its 259 byte-level text ids + 451 ink ids
    total = derenderer.param_counts(derenderer.abstract(cfg, image_size=64, vocab_size=710))["total"]
    assert f"{total:,}" in out and "d_model 64" in out and "vocab 710 (profile laptop)" in out


def test_sincos_posemb_and_image_size_checks():
    from inkrepro.model import derenderer
    from inkrepro.model.vit import posemb_sincos_2d

    pe = posemb_sincos_2d(2, 2, 8)
    assert pe.shape == (1, 4, 8) and np.allclose(pe[0, 0], [0, 0, 1, 1, 0, 0, 1, 1])
    m = derenderer.build(micro_config(posemb="sincos2d"), image_size=IMG, vocab_size=V)
    assert "pos_embedding" not in str(jax.tree_util.tree_structure(nnx.state(m, nnx.Param)))
    with pytest.raises(ValueError, match="multiple of the patch"):
        derenderer.build(micro_config(), image_size=IMG + 3, vocab_size=V)


def test_freeze_vit_stops_gradients(micro_batch):
    from inkrepro.model import derenderer

    m = derenderer.build(micro_config(freeze_vit=True), image_size=IMG, vocab_size=V)
    g, p, rest = nnx.split(m, nnx.Param, ...)
    b = micro_batch

    def loss(p):
        mm = nnx.merge(g, p, rest)
        return mm(b["image"], b["encoder_tokens"], b["decoder_inputs"]).mean()

    grads = jax.jit(jax.grad(loss))(p)
    assert all(float(jnp.abs(x).max()) == 0 for x in jax.tree.leaves(grads["vit"]))
    assert any(float(jnp.abs(x).max()) > 0 for x in jax.tree.leaves(grads["encoder"]))


def test_vit_init_from_npz_and_timm_conversion(tmp_path, micro_model):
    from inkrepro.model import derenderer, vit_convert

    cfg = micro_config()
    src = micro_model
    # export our ViT as big_vision-style names, convert back, load into a fresh model
    bv = vit_convert.to_big_vision(src)
    np.savez(tmp_path / "vit_bv.npz", **bv)
    dst = derenderer.build(dataclasses.replace(cfg, vit_init=str(tmp_path / "vit_bv.npz")),
                           image_size=IMG, vocab_size=V, seed=4)
    for a, b in zip(jax.tree.leaves(nnx.state(src.vit, nnx.Param)), jax.tree.leaves(nnx.state(dst.vit, nnx.Param))):
        np.testing.assert_array_equal(a, b)
    # timm-style names (torch layouts) convert to the same parameters
    timm = vit_convert.big_vision_to_timm(bv)
    np.savez(tmp_path / "vit_timm.npz", **timm)
    out = tmp_path / "converted.npz"
    vit_convert.convert(tmp_path / "vit_timm.npz", out, source="timm")
    back = dict(np.load(out))
    assert sorted(back) == sorted(bv)
    for k in bv:
        np.testing.assert_allclose(back[k].reshape(bv[k].shape), bv[k], atol=1e-6, err_msg=k)
    bad = dict(bv)
    bad.pop("Transformer/encoder_norm/scale")
    np.savez(tmp_path / "bad.npz", **bad)
    from inkrepro.errors import UserError
    with pytest.raises(UserError, match="encoder_norm"):
        derenderer.build(dataclasses.replace(cfg, vit_init=str(tmp_path / "bad.npz")), image_size=IMG, vocab_size=V)


def test_coordinate_embedding_init_is_smooth_in_the_coordinate():
    from inkrepro.model import derenderer

    f = derenderer.coordinate_features(225, 16)
    np.testing.assert_allclose((f ** 2).mean(1), 1.0, rtol=1e-5)
    cfg = micro_config()
    smooth = derenderer.build(cfg, image_size=IMG, vocab_size=V, seed=0)
    plain = derenderer.build(dataclasses.replace(cfg, coord_embed_init="normal"), image_size=IMG,
                             vocab_size=V, seed=0)
    off = V - 451

    def neighbour_cos(m, y=False):
        e = np.asarray(m.token_embed.embedding[...])[off + 225 * y: off + 225 * y + 225]
        e = e / np.linalg.norm(e, axis=1, keepdims=True)
        return float((e[:-1] * e[1:]).sum(1).mean())

    assert neighbour_cos(smooth) > 0.4 and neighbour_cos(smooth, y=True) > 0.4
    assert abs(neighbour_cos(plain)) < 0.2
    # x and y codes live in different halves of the width: an x row is far from every y row
    e = np.asarray(smooth.token_embed.embedding[...])
    x, y = e[off:off + 225], e[off + 225:off + 450]
    xy = (x / np.linalg.norm(x, axis=1, keepdims=True)) @ (y / np.linalg.norm(y, axis=1, keepdims=True)).T
    assert np.abs(xy).mean() < 0.2
    # text ids and the output columns of text ids are untouched; output columns of x are smooth
    np.testing.assert_array_equal(e[:off], np.asarray(plain.token_embed.embedding[...])[:off])
    k = np.asarray(smooth.decoder.logits_dense.kernel[...])[:, off:off + 225].T
    k = k / np.linalg.norm(k, axis=1, keepdims=True)
    assert (k[:-1] * k[1:]).sum(1).mean() > 0.4
    with pytest.raises(ValueError, match="coord_embed_init"):
        derenderer.build(dataclasses.replace(cfg, coord_embed_init="bogus"), image_size=IMG, vocab_size=V)


@pytest.mark.parametrize("bias_shape", [(1, 2, 5, 7), (3, 2, 5, 7), (1, 1, 5, 7), (1, 2, 1, 7)])
def test_add_bias_gradient_equals_plain_broadcast(bias_shape):
    """The custom batch-sum gradient of a shared attention bias is the broadcast's gradient."""
    kx, kb = jax.random.split(jax.random.key(0))
    x, b = jax.random.normal(kx, (3, 2, 5, 7)), jax.random.normal(kb, bias_shape)
    ours = jax.grad(lambda x, b: (jnp.sin(layers.add_bias(x, b)) ** 2).sum(), (0, 1))(x, b)
    plain = jax.grad(lambda x, b: (jnp.sin(x + b) ** 2).sum(), (0, 1))(x, b)
    for a, c in zip(ours, plain):
        assert a.shape == c.shape
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-5)
