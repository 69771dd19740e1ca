"""T5 v1.1 / mT5-style encoder-decoder: RMSNorm (pre-norm), relative position buckets shared by
the layers of a stack, gated-GELU feed-forward, no biases, untied output layer.

Attention logits are not scaled by 1/sqrt(d) (T5 folds that into the query init). The decoder
has a functional KV cache for :mod:`inkrepro.model.decode`: ``init_cache`` precomputes the
cross-attention keys/values, ``step`` appends one token's self-attention keys/values.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from inkrepro.model.configs import ModelConfig
from inkrepro.model.layers import DropoutKeys, attention, cached_attention, dropout, get_dtype

Cache = dict[str, jax.Array]


def relative_position_bucket(rel_pos: jax.Array, *, bidirectional: bool, num_buckets: int,
                             max_distance: int) -> jax.Array:
    """T5's bucketing of ``rel_pos = key_pos - query_pos`` (exact near, log-spaced far)."""
    ret = jnp.zeros_like(rel_pos)
    n = -rel_pos
    if bidirectional:
        num_buckets //= 2
        ret = ret + (n < 0).astype(jnp.int32) * num_buckets
        n = jnp.abs(n)
    else:
        n = jnp.maximum(n, 0)
    max_exact = num_buckets // 2
    is_small = n < max_exact
    large = max_exact + (jnp.log(n.astype(jnp.float32) / max_exact + np.finfo(np.float32).eps)
                         / np.log(max_distance / max_exact) * (num_buckets - max_exact)).astype(jnp.int32)
    large = jnp.minimum(large, num_buckets - 1)
    return ret + jnp.where(is_small, n, large)


def _normal(std: float):
    return nnx.initializers.normal(std)


class RelativeBias(nnx.Module):
    def __init__(self, cfg: ModelConfig, bidirectional: bool, *, rngs: nnx.Rngs):
        self.bidirectional = bidirectional
        self.num_buckets, self.max_distance = cfg.rel_buckets, cfg.rel_max_distance
        self.rel_embedding = nnx.Param(_normal(1.0)(rngs.params(), (cfg.rel_buckets, cfg.num_heads)))

    def __call__(self, q_pos_Q: jax.Array, k_pos_T: jax.Array) -> jax.Array:
        """-> bias [1, H, Q, T]"""
        b = relative_position_bucket(k_pos_T[None, :] - q_pos_Q[:, None], bidirectional=self.bidirectional,
                                     num_buckets=self.num_buckets, max_distance=self.max_distance)
        return jnp.transpose(self.rel_embedding[...][b], (2, 0, 1))[None]


class Attention(nnx.Module):
    def __init__(self, cfg: ModelConfig, *, rngs: nnx.Rngs):
        d, h, k, dt = cfg.d_model, cfg.num_heads, cfg.d_kv, get_dtype(cfg.dtype)
        self.h, self.k = h, k
        lin = lambda i, o, std: nnx.Linear(i, o, use_bias=False, dtype=dt, kernel_init=_normal(std), rngs=rngs)
        self.query = lin(d, h * k, (d * k) ** -0.5)
        self.key = lin(d, h * k, d ** -0.5)
        self.value = lin(d, h * k, d ** -0.5)
        self.out = lin(h * k, d, (h * k) ** -0.5)

    def heads(self, x_BxLxD: jax.Array, proj: nnx.Linear) -> jax.Array:
        b, n, _ = x_BxLxD.shape
        return proj(x_BxLxD).reshape(b, n, self.h, self.k)

    def __call__(self, x_BxQxD, kv_BxTxD, mask_BxHxQxT, bias=None) -> jax.Array:
        q, k, v = self.heads(x_BxQxD, self.query), self.heads(kv_BxTxD, self.key), self.heads(kv_BxTxD, self.value)
        return self.merge(attention(q, k, v, mask_BxHxQxT, bias))

    def merge(self, a_BxQxHxK: jax.Array) -> jax.Array:
        b, q = a_BxQxHxK.shape[:2]
        return self.out(a_BxQxHxK.reshape(b, q, self.h * self.k))


class GatedGelu(nnx.Module):
    def __init__(self, cfg: ModelConfig, *, rngs: nnx.Rngs):
        d, f, dt = cfg.d_model, cfg.d_ff, get_dtype(cfg.dtype)
        self.rate = cfg.dropout
        self.wi_0 = nnx.Linear(d, f, use_bias=False, dtype=dt, kernel_init=_normal(d ** -0.5), rngs=rngs)
        self.wi_1 = nnx.Linear(d, f, use_bias=False, dtype=dt, kernel_init=_normal(d ** -0.5), rngs=rngs)
        self.wo = nnx.Linear(f, d, use_bias=False, dtype=dt, kernel_init=_normal(f ** -0.5), rngs=rngs)

    def __call__(self, x_BxLxD: jax.Array, keys: DropoutKeys | None) -> jax.Array:
        h = jax.nn.gelu(self.wi_0(x_BxLxD), approximate=True) * self.wi_1(x_BxLxD)
        return self.wo(dropout(h, self.rate, keys))


def _norm(cfg: ModelConfig, rngs: nnx.Rngs) -> nnx.RMSNorm:
    return nnx.RMSNorm(cfg.d_model, epsilon=1e-6, dtype=get_dtype(cfg.dtype), rngs=rngs)


class EncoderLayer(nnx.Module):
    def __init__(self, cfg: ModelConfig, *, rngs: nnx.Rngs):
        self.rate = cfg.dropout
        self.pre_attention_norm = _norm(cfg, rngs)
        self.attention = Attention(cfg, rngs=rngs)
        self.pre_mlp_norm = _norm(cfg, rngs)
        self.mlp = GatedGelu(cfg, rngs=rngs)

    def __call__(self, x_BxLxD, mask_Bx1xLxL, bias_1xHxLxL, keys):
        h = self.pre_attention_norm(x_BxLxD)
        x_BxLxD = x_BxLxD + dropout(self.attention(h, h, mask_Bx1xLxL, bias_1xHxLxL), self.rate, keys)
        return x_BxLxD + dropout(self.mlp(self.pre_mlp_norm(x_BxLxD), keys), self.rate, keys)


class Encoder(nnx.Module):
    """Embedded inputs [B, L, D] + mask [B, L] -> encoded [B, L, D]."""

    def __init__(self, cfg: ModelConfig, *, rngs: nnx.Rngs):
        self.rate = cfg.dropout
        self.relpos = RelativeBias(cfg, bidirectional=True, rngs=rngs)
        self.layers = nnx.List([EncoderLayer(cfg, rngs=rngs) for _ in range(cfg.enc_layers)])
        self.encoder_norm = _norm(cfg, rngs)

    def __call__(self, x_BxLxD, mask_BxL, keys: DropoutKeys | None = None) -> jax.Array:
        pos = jnp.arange(x_BxLxD.shape[1])
        bias = self.relpos(pos, pos)
        mask = (mask_BxL[:, None, :, None] & mask_BxL[:, None, None, :])
        x_BxLxD = dropout(x_BxLxD, self.rate, keys)
        for layer in self.layers:
            x_BxLxD = layer(x_BxLxD, mask, bias, keys)
        return dropout(self.encoder_norm(x_BxLxD), self.rate, keys)


class DecoderLayer(nnx.Module):
    def __init__(self, cfg: ModelConfig, *, rngs: nnx.Rngs):
        self.rate = cfg.dropout
        self.pre_self_attention_norm = _norm(cfg, rngs)
        self.self_attention = Attention(cfg, rngs=rngs)
        self.pre_cross_attention_norm = _norm(cfg, rngs)
        self.encoder_decoder_attention = Attention(cfg, rngs=rngs)
        self.pre_mlp_norm = _norm(cfg, rngs)
        self.mlp = GatedGelu(cfg, rngs=rngs)

    def __call__(self, y_BxTxD, enc_BxLxD, self_mask, cross_mask, bias, keys):
        h = self.pre_self_attention_norm(y_BxTxD)
        y_BxTxD = y_BxTxD + dropout(self.self_attention(h, h, self_mask, bias), self.rate, keys)
        h = self.pre_cross_attention_norm(y_BxTxD)
        y_BxTxD = y_BxTxD + dropout(self.encoder_decoder_attention(h, enc_BxLxD, cross_mask), self.rate, keys)
        return y_BxTxD + dropout(self.mlp(self.pre_mlp_norm(y_BxTxD), keys), self.rate, keys)

    def step(self, y_Bx1xD, t, cache: Cache, cross_mask, bias_1xHx1xT):
        """One position ``t`` with cached keys/values (no dropout; caches heads-first)."""
        sa = self.self_attention
        h = self.pre_self_attention_norm(y_Bx1xD)
        heads_first = lambda x_Bx1xHxK: jnp.swapaxes(x_Bx1xHxK, 1, 2).astype(cache["k"].dtype)
        k = jax.lax.dynamic_update_slice_in_dim(cache["k"], heads_first(sa.heads(h, sa.key)), t, axis=2)
        v = jax.lax.dynamic_update_slice_in_dim(cache["v"], heads_first(sa.heads(h, sa.value)), t, axis=2)
        self_mask = (jnp.arange(k.shape[2]) <= t)[None, None, None, :]
        a = cached_attention(sa.heads(h, sa.query), k, v, self_mask, bias_1xHx1xT)
        y_Bx1xD = y_Bx1xD + sa.merge(a)
        ca = self.encoder_decoder_attention
        h = self.pre_cross_attention_norm(y_Bx1xD)
        y_Bx1xD = y_Bx1xD + ca.merge(cached_attention(ca.heads(h, ca.query), cache["ck"], cache["cv"], cross_mask))
        y_Bx1xD = y_Bx1xD + self.mlp(self.pre_mlp_norm(y_Bx1xD), None)
        return y_Bx1xD, {**cache, "k": k, "v": v}


class Decoder(nnx.Module):
    """Embedded decoder inputs + encoder output -> logits over the output vocabulary."""

    def __init__(self, cfg: ModelConfig, vocab_size: int, *, rngs: nnx.Rngs):
        self.rate = cfg.dropout
        self.relpos = RelativeBias(cfg, bidirectional=False, rngs=rngs)
        self.layers = nnx.List([DecoderLayer(cfg, rngs=rngs) for _ in range(cfg.dec_layers)])
        self.decoder_norm = _norm(cfg, rngs)
        self.logits_dense = nnx.Linear(cfg.d_model, vocab_size, use_bias=False, dtype=get_dtype(cfg.dtype),
                                       kernel_init=_normal(cfg.d_model ** -0.5), rngs=rngs)

    def __call__(self, y_BxTxD, enc_BxLxD, enc_mask_BxL, keys: DropoutKeys | None = None):
        t = y_BxTxD.shape[1]
        pos = jnp.arange(t)
        bias = self.relpos(pos, pos)
        self_mask = (pos[None, :] <= pos[:, None])[None, None]
        cross_mask = enc_mask_BxL[:, None, None, :]
        y_BxTxD = dropout(y_BxTxD, self.rate, keys)
        for layer in self.layers:
            y_BxTxD = layer(y_BxTxD, enc_BxLxD, self_mask, cross_mask, bias, keys)
        y_BxTxD = dropout(self.decoder_norm(y_BxTxD), self.rate, keys)
        return self.logits_dense(y_BxTxD).astype(jnp.float32)

    def init_cache(self, enc_BxLxD: jax.Array, max_len: int) -> list[Cache]:
        """Per layer: self-attention keys/values ``k``, ``v`` [B, H, max_len, K] (zeros, filled
        by ``step``) and cross-attention ``ck``, ``cv`` [B, H, L, K], heads-first."""
        b = enc_BxLxD.shape[0]
        caches = []
        for layer in self.layers:
            ca = layer.encoder_decoder_attention
            ck_BxHxLxK = jnp.swapaxes(ca.heads(enc_BxLxD, ca.key), 1, 2)
            cv_BxHxLxK = jnp.swapaxes(ca.heads(enc_BxLxD, ca.value), 1, 2)
            z = jnp.zeros((b, ca.h, max_len, ca.k), ck_BxHxLxK.dtype)
            caches.append({"k": z, "v": z, "ck": ck_BxHxLxK, "cv": cv_BxHxLxK})
        return caches

    def step(self, y_Bx1xD, t, caches: list[Cache], enc_mask_BxL):
        max_len = caches[0]["k"].shape[2]
        bias = self.relpos(jnp.reshape(t, (1,)), jnp.arange(max_len))
        cross_mask = enc_mask_BxL[:, None, None, :]
        new = []
        for layer, cache in zip(self.layers, caches):
            y_Bx1xD, cache = layer.step(y_Bx1xD, t, cache, cross_mask, bias)
            new.append(cache)
        return self.logits_dense(self.decoder_norm(y_Bx1xD)).astype(jnp.float32), new
