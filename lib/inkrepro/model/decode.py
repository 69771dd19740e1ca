"""Autoregressive decoding in one compiled loop (``jax.lax.while_loop``): greedy, beam search,
temperature sampling; KV-cached (default) or full recomputation (for tests and benchmarks).

    ids_BxL = generate(model, image_BxSxSx3, encoder_tokens_BxLp, max_len=256,
                       method="greedy", constrained=True, ink_offset=T, vocab_limit=T + 451)

Output: int32 [B, max_len]: the tokens up to and including EOS, then 0 (pad). A row without
EOS hit ``max_len``. The loop stops early once every row has emitted EOS.

The model knows no vocabulary: the ids decoding needs come as plain ints (``ink_offset``: the
first of the 451 ink ids; ``vocab_limit``: ids at or above it are never produced;
``pad_id``/``eos_id``/``unk_id``, T5's 0/1/2 by default). ``inkrepro.infer`` passes them from
the run's vocabulary.

Grammar-constrained ink decoding (``constrained=True``, needs ``ink_offset``): the output must be
``text* (450 (x y)+)+ EOS`` in ink-token terms: optional text (``allow_text``), then strokes,
each a start-of-stroke 450 followed by at least one x (0..224), y (225..449) pair; EOS only
after a complete point. Every constrained output therefore decodes to at least one stroke
(unless cut by ``max_len``, whose dangling ids the released parser skips). Pad, unk and ids
from ``vocab_limit`` on (a model vocabulary padded larger) are never produced.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from inkrepro.ink.tokens import NUM_INK_TOKENS, START_STROKE, Y_OFFSET

METHODS = ("greedy", "beam", "sample")
NEG = -1e9

# Token categories and grammar states for constrained decoding.
C_TEXT, C_X, C_Y, C_START, C_EOS, C_NEVER = range(6)
S_TEXT, S_AFTER_START, S_AFTER_X, S_AFTER_Y, S_DONE = range(5)
_NEXT = np.full((5, 6), S_DONE, np.int32)
_NEXT[S_TEXT, C_TEXT], _NEXT[S_TEXT, C_START] = S_TEXT, S_AFTER_START
_NEXT[S_AFTER_START, C_X] = S_AFTER_X
_NEXT[S_AFTER_X, C_Y] = S_AFTER_Y
_NEXT[S_AFTER_Y, C_X], _NEXT[S_AFTER_Y, C_START] = S_AFTER_X, S_AFTER_START


def _allowed(allow_text: bool) -> np.ndarray:
    a = np.zeros((5, 6), bool)
    a[S_TEXT, C_TEXT], a[S_TEXT, C_START] = allow_text, True
    a[S_AFTER_START, C_X] = True
    a[S_AFTER_X, C_Y] = True
    a[S_AFTER_Y, [C_X, C_START, C_EOS]] = True
    return a


def token_categories(model_vocab: int, ink_offset: int, vocab_limit: int, *, pad_id: int = 0,
                     eos_id: int = 1, unk_id: int = 2) -> np.ndarray:
    """Category (C_*) of every id of a ``model_vocab``-wide output layer."""
    ids = np.arange(model_vocab)
    cat = np.full(model_vocab, C_TEXT, np.int32)
    k = ids - ink_offset
    cat[(k >= 0) & (k < Y_OFFSET)] = C_X
    cat[(k >= Y_OFFSET) & (k < START_STROKE)] = C_Y
    cat[k == START_STROKE] = C_START
    cat[ids == eos_id] = C_EOS
    cat[(ids == pad_id) | (ids == unk_id) | (ids >= vocab_limit)] = C_NEVER
    return cat


def _setup(model, graph_static):
    constrained, ink_offset, vocab_limit, allow_text, pad_id, eos_id, unk_id = graph_static
    v = model.vocab_size
    cat = token_categories(v, ink_offset if constrained else v, vocab_limit, pad_id=pad_id,
                           eos_id=eos_id, unk_id=unk_id)
    if constrained:
        allowed_SxV = jnp.asarray(_allowed(allow_text)[:, cat])
    else:  # only never-ids masked; every state allows the rest
        allowed_SxV = jnp.asarray(np.broadcast_to(cat != C_NEVER, (5, v)))
    return jnp.asarray(cat), allowed_SxV, jnp.asarray(_NEXT)


def _mask(logits_BxV, state_B, allowed_SxV, eos_id: int, t=None, min_len: int = 0):
    logits_BxV = jnp.where(allowed_SxV[state_B], logits_BxV, NEG)
    if min_len:   # no EOS before position min_len (benchmarks: fixed lengths)
        logits_BxV = logits_BxV.at[:, eos_id].set(jnp.where(t < min_len, NEG, logits_BxV[:, eos_id]))
    return logits_BxV


def _logits_fn(model, enc, enc_mask, image, max_len: int, use_cache: bool, batch: int):
    """(init_state, step(state, tok_B, t) -> (logits_BxV, state), reorder(state, idx))"""
    if use_cache:
        state = {"caches": model.init_cache(enc, max_len), "pen": model.init_pen(batch)}

        def step(c, tok_B, t):
            pen = model.pen_update(c["pen"], tok_B)
            logits, caches = model.decode_step(tok_B, t, c["caches"], enc_mask, image, pen)
            return logits, {"caches": caches, "pen": pen}

        def reorder(c, idx):
            caches = [{k: (v[idx] if k in ("k", "v") else v) for k, v in layer.items()} for layer in c["caches"]]
            return {"caches": caches, "pen": jax.tree.map(lambda a: a[idx], c["pen"])}

        return state, step, reorder

    buf = jnp.zeros((batch, max_len), jnp.int32)

    def step_full(b, tok_B, t):
        b = b.at[:, t].set(tok_B)
        logits = model.decode(enc, enc_mask, b, image_BxSxSx3=image)
        return jax.lax.dynamic_index_in_dim(logits, t, axis=1, keepdims=False), b

    return buf, step_full, lambda b, idx: b[idx]


@partial(jax.jit, static_argnames=("graphdef", "max_len", "method", "use_cache", "graph_static",
                                   "beam_size", "min_len"))
def _generate(graphdef, state, image, encoder_tokens, rng, temperature, length_penalty, *,
              max_len: int, method: str, use_cache: bool, graph_static, beam_size: int, min_len: int = 0):
    model = nnx.merge(graphdef, state)
    cat_V, allowed_SxV, next_SxC = _setup(model, graph_static)
    pad_id, eos_id = graph_static[4], graph_static[5]
    enc, enc_mask = model.encode(image, encoder_tokens)
    b = image.shape[0]
    if method == "beam":
        return _beam(model, enc, enc_mask, image, cat_V, allowed_SxV, next_SxC, max_len, use_cache,
                     beam_size, length_penalty, pad_id, eos_id, min_len)
    dstate, step, _ = _logits_fn(model, enc, enc_mask, image, max_len, use_cache, b)

    def cond(c):
        return (c["t"] < max_len) & ~jnp.all(c["done"])

    def body(c):
        logits, ds = step(c["ds"], c["tok"], c["t"])
        logits = _mask(logits, c["gs"], allowed_SxV, eos_id, c["t"], min_len)
        if method == "sample":
            key = jax.random.fold_in(rng, c["t"])
            nxt = jax.random.categorical(key, logits / jnp.maximum(temperature, 1e-6), axis=-1)
        else:
            nxt = jnp.argmax(logits, axis=-1)
        nxt = jnp.where(c["done"], pad_id, nxt).astype(jnp.int32)
        out = jax.lax.dynamic_update_slice_in_dim(c["out"], nxt[:, None], c["t"], axis=1)
        gs = jnp.where(c["done"], c["gs"], next_SxC[c["gs"], cat_V[nxt]])
        return {"t": c["t"] + 1, "tok": nxt, "ds": ds, "out": out, "gs": gs,
                "done": c["done"] | (nxt == eos_id)}

    init = {"t": jnp.int32(0), "tok": jnp.zeros((b,), jnp.int32), "ds": dstate,
            "out": jnp.zeros((b, max_len), jnp.int32), "gs": jnp.zeros((b,), jnp.int32),
            "done": jnp.zeros((b,), bool)}
    return jax.lax.while_loop(cond, body, init)["out"]


def _beam(model, enc, enc_mask, image, cat_V, allowed_SxV, next_SxC, max_len, use_cache, k, alpha,
          pad_id, eos_id, min_len=0):
    b = enc.shape[0]
    enc_k = jnp.repeat(enc, k, axis=0)
    mask_k = jnp.repeat(enc_mask, k, axis=0)
    image_k = jnp.repeat(image, k, axis=0)
    dstate, step, reorder = _logits_fn(model, enc_k, mask_k, image_k, max_len, use_cache, b * k)
    v = model.vocab_size
    pad_only_V = jnp.full((v,), NEG).at[pad_id].set(0.0)

    def cond(c):
        return (c["t"] < max_len) & ~jnp.all(c["done"])

    def body(c):
        logits, ds = step(c["ds"], c["tok"].reshape(-1), c["t"])
        logits = _mask(logits, c["gs"].reshape(-1), allowed_SxV, eos_id, c["t"], min_len)
        logp_BxKxV = jax.nn.log_softmax(logits, axis=-1).reshape(b, k, v)
        logp_BxKxV = jnp.where(c["done"][..., None], pad_only_V, jnp.maximum(logp_BxKxV, NEG))
        cand_BxKV = (c["score"][..., None] + logp_BxKxV).reshape(b, k * v)
        score, idx = jax.lax.top_k(cand_BxKV, k)
        parent, tok = idx // v, (idx % v).astype(jnp.int32)
        flat = (jnp.arange(b)[:, None] * k + parent).reshape(-1)
        take = lambda x: jnp.take_along_axis(x, parent, axis=1)
        out = jnp.take_along_axis(c["out"], parent[..., None], axis=1)
        out = jax.lax.dynamic_update_slice_in_dim(out, tok[..., None], c["t"], axis=2)
        done, gs = take(c["done"]), take(c["gs"])
        gs = jnp.where(done, gs, next_SxC[gs, cat_V[tok]])
        length = take(c["len"]) + (~done).astype(jnp.int32)
        return {"t": c["t"] + 1, "tok": tok, "ds": reorder(ds, flat), "out": out, "gs": gs,
                "done": done | (tok == eos_id), "score": score, "len": length}

    init = {"t": jnp.int32(0), "tok": jnp.zeros((b, k), jnp.int32), "ds": dstate,
            "out": jnp.zeros((b, k, max_len), jnp.int32), "gs": jnp.zeros((b, k), jnp.int32),
            "done": jnp.zeros((b, k), bool),
            "score": jnp.tile(jnp.asarray([0.0] + [NEG] * (k - 1)), (b, 1)),
            "len": jnp.zeros((b, k), jnp.int32)}
    c = jax.lax.while_loop(cond, body, init)
    norm = c["score"] / ((5.0 + c["len"]) / 6.0) ** alpha   # GNMT length penalty
    best = jnp.argmax(norm, axis=1)
    return jnp.take_along_axis(c["out"], best[:, None, None], axis=1)[:, 0]


def generate(model, image, encoder_tokens, *, max_len: int, method: str = "greedy",
             constrained: bool = False, ink_offset: int | None = None,
             vocab_limit: int | None = None, pad_id: int = 0, eos_id: int = 1, unk_id: int = 2,
             rng: jax.Array | int | None = None, temperature: float = 1.0, beam_size: int = 4,
             length_penalty: float = 0.6, allow_text: bool = True, use_cache: bool = True,
             min_len: int = 0) -> jax.Array:
    """Decode a batch; see the module docstring. ``rng`` (key or int seed) is for sampling;
    ``min_len`` forbids EOS before that many tokens (fixed-length benchmarks)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if constrained and ink_offset is None:
        raise ValueError("constrained decoding needs the first ink id (ink_offset=...)")
    limit = model.vocab_size if vocab_limit is None else vocab_limit
    graph_static = (bool(constrained), int(ink_offset or 0), int(limit), bool(allow_text),
                    int(pad_id), int(eos_id), int(unk_id))
    if rng is None or isinstance(rng, int):
        rng = jax.random.key(rng or 0)
    graphdef, state = nnx.split(model)
    return _generate(graphdef, state, jnp.asarray(image), jnp.asarray(encoder_tokens, jnp.int32),
                     rng, jnp.float32(temperature), jnp.float32(length_penalty),
                     max_len=int(max_len), method=method, use_cache=bool(use_cache),
                     graph_static=graph_static, beam_size=int(beam_size) if method == "beam" else 0,
                     min_len=int(min_len))


def is_valid_grammar(ids, *, ink_offset: int, vocab_limit: int, pad_id: int = 0, eos_id: int = 1,
                     unk_id: int = 2, allow_text: bool = True) -> bool:
    """Does an id sequence follow the constrained grammar (up to EOS or its end)?"""
    cat = token_categories(max(vocab_limit, ink_offset + NUM_INK_TOKENS), ink_offset, vocab_limit,
                           pad_id=pad_id, eos_id=eos_id, unk_id=unk_id)
    allowed, s = _allowed(allow_text), S_TEXT
    for i in ids:
        i = int(i)
        if s == S_DONE:
            if i != pad_id:
                return False
            continue
        c = cat[i]
        if not allowed[s, c]:
            return False
        s = _NEXT[s, c]
    return True
