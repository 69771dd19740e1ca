"""Small shared pieces: dropout with explicit keys, dot-product attention, dtype lookup."""

from __future__ import annotations

import jax
import jax.numpy as jnp

NEG_INF = -1e9


class DropoutKeys:
    """Hands out a fresh key per dropout site (``None`` = deterministic, no dropout).

    Keys are ``fold_in(key, i)`` with ``i`` the site's trace order, so a training step's
    randomness depends only on the step key it was given (exact resume)."""

    def __init__(self, key: jax.Array | None):
        self.key, self.i = key, 0

    def __call__(self) -> jax.Array:
        self.i += 1
        return jax.random.fold_in(self.key, self.i)


def dropout(x: jax.Array, rate: float, keys: DropoutKeys | None) -> jax.Array:
    if keys is None or keys.key is None or rate <= 0.0:
        return x
    keep = jax.random.bernoulli(keys(), 1.0 - rate, x.shape)
    return jnp.where(keep, x / (1.0 - rate), 0).astype(x.dtype)


def attention(q_BxQxHxK: jax.Array, k_BxTxHxK: jax.Array, v_BxTxHxK: jax.Array,
              mask_BxHxQxT: jax.Array | None = None, bias_BxHxQxT: jax.Array | None = None,
              scale: float = 1.0) -> jax.Array:
    """Softmax attention in float32; masked positions get ``NEG_INF``. Returns BxQxHxK."""
    logits = jnp.einsum("bqhk,bthk->bhqt", q_BxQxHxK, k_BxTxHxK)
    probs = _softmax(logits, mask_BxHxQxT, bias_BxHxQxT, scale).astype(v_BxTxHxK.dtype)
    return jnp.einsum("bhqt,bthk->bqhk", probs, v_BxTxHxK)


def cached_attention(q_BxQxHxK: jax.Array, k_BxHxTxK: jax.Array, v_BxHxTxK: jax.Array,
                     mask_BxHxQxT: jax.Array | None = None, bias_BxHxQxT: jax.Array | None = None,
                     scale: float = 1.0) -> jax.Array:
    """:func:`attention` with keys/values stored heads-first (a decoding cache): the cache is
    read in place each step instead of being transposed (on CPU that per-step copy of every
    layer's cache cost more than the step itself at batch 8). Returns BxQxHxK."""
    logits = jnp.einsum("bqhk,bhtk->bhqt", q_BxQxHxK, k_BxHxTxK)
    probs = _softmax(logits, mask_BxHxQxT, bias_BxHxQxT, scale).astype(v_BxHxTxK.dtype)
    return jnp.einsum("bhqt,bhtk->bqhk", probs, v_BxHxTxK)


def _softmax(logits_BxHxQxT, mask_BxHxQxT, bias_BxHxQxT, scale: float) -> jax.Array:
    logits = logits_BxHxQxT.astype(jnp.float32) * scale
    if bias_BxHxQxT is not None:
        logits = add_bias(logits, bias_BxHxQxT.astype(jnp.float32))
    if mask_BxHxQxT is not None:
        logits = jnp.where(mask_BxHxQxT, logits, NEG_INF)
    return jax.nn.softmax(logits, axis=-1)


@jax.custom_vjp
def add_bias(logits_BxHxQxT: jax.Array, bias_1xHxQxT: jax.Array) -> jax.Array:
    """``logits + bias`` for a position bias shared by the batch. Its gradient sums the batch
    as one matrix-vector product: XLA's CPU reduction of that broadcast took ~10% of a
    ``tiny`` training step (the decoder's 16x4x160x160 relative-bias gradient)."""
    return logits_BxHxQxT + bias_1xHxQxT


def _add_bias_fwd(logits_BxHxQxT, bias_1xHxQxT):
    return logits_BxHxQxT + bias_1xHxQxT, bias_1xHxQxT.shape


def _add_bias_bwd(bias_shape, g_BxHxQxT):
    g = g_BxHxQxT
    if bias_shape[0] == 1 and g.shape[0] > 1:   # the batch sum as ones @ [B, H*Q*T]
        b = g.shape[0]
        g = (jnp.ones((1, b), g.dtype) @ g.reshape(b, -1)).reshape((1,) + g.shape[1:])
    other = tuple(i for i, (n, m) in enumerate(zip(bias_shape, g.shape)) if n == 1 and m > 1)
    return g_BxHxQxT, g.sum(other, keepdims=True) if other else g


add_bias.defvjp(_add_bias_fwd, _add_bias_bwd)


def get_dtype(name: str):
    return {"float32": jnp.float32, "bfloat16": jnp.bfloat16, "float16": jnp.float16}[name]
