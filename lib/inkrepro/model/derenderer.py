"""The PaLI-style derenderer: ViT patches (projected to the text width) ++ embedded prompt ->
T5 encoder; the T5 decoder predicts one joint text + ink vocabulary.

    logits_BxTxV = Derenderer(cfg, image_size=S, vocab_size=V, rngs=nnx.Rngs(0))(
        image_BxSxSx3, encoder_tokens_BxLp, decoder_inputs_BxT, deterministic=True)

Training passes ``deterministic=False, dropout_key=key``. With ``cfg.freeze_vit`` no gradient
flows into the ViT (``stop_gradient``; the optimiser also leaves its parameters unchanged).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from inkrepro.ink.tokens import FRAME_MAX, NUM_INK_TOKENS, Y_OFFSET  # ink ids close the vocabulary
from inkrepro.model import t5
from inkrepro.model.configs import ModelConfig
from inkrepro.model.layers import DropoutKeys, get_dtype
from inkrepro.model.vit import ViT
from inkrepro.model.vit_convert import load_vit_params

FRAME_VALUES = FRAME_MAX + 1   # coordinates 0..224: x ids 0..224, y ids 225..449


Pen = dict[str, jax.Array]   # the pen state of cached decoding: x, y, valid, pending x


def pen_positions(tokens_BxT: jax.Array, ink_offset: int):
    """For every position t, the last complete point (x id at j-1, y id at j, j <= t) among
    ``tokens[:, :t+1]``: (x_BxT, y_BxT, valid_BxT); the frame centre where there is none."""
    k = tokens_BxT - ink_offset
    is_x = (k >= 0) & (k <= FRAME_MAX)
    is_y = (k >= Y_OFFSET) & (k <= Y_OFFSET + FRAME_MAX)
    prev_x = jnp.pad(is_x[:, :-1], ((0, 0), (1, 0)))
    pos = jnp.arange(tokens_BxT.shape[1])
    last = jax.lax.cummax(jnp.where(is_y & prev_x, pos, -1), axis=1)
    valid = last >= 0
    j = jnp.maximum(last, 1)
    x = jnp.take_along_axis(k, j - 1, axis=1)
    y = jnp.take_along_axis(k, j, axis=1) - Y_OFFSET
    centre = FRAME_MAX // 2
    return jnp.where(valid, x, centre), jnp.where(valid, y, centre), valid


def glimpse_crops(image_BxSxSx3: jax.Array, x_BxT: jax.Array, y_BxT: jax.Array, size: int) -> jax.Array:
    """[B, T, size, size, 3] image pixels (scaled to -1..1) centred on the 224-frame points
    (x, y); outside the image reads as black, like the letterbox bars."""
    b, s = image_BxSxSx3.shape[0], image_BxSxSx3.shape[1]
    half = size // 2
    img = jnp.pad(image_BxSxSx3, ((0, 0), (half, half + 1), (half, half + 1), (0, 0)))
    k = s / (FRAME_MAX + 1)
    cx = jnp.clip(jnp.round(x_BxT * k).astype(jnp.int32), 0, s - 1)
    cy = jnp.clip(jnp.round(y_BxT * k).astype(jnp.int32), 0, s - 1)
    off = jnp.arange(size)
    rows = (cy[..., None] + off)[..., :, None]        # B T size 1  (padded coordinates)
    cols = (cx[..., None] + off)[..., None, :]        # B T 1 size
    crops = img[jnp.arange(b)[:, None, None, None], rows, cols]
    return crops.astype(jnp.float32) / 127.5 - 1.0


class Derenderer(nnx.Module):
    def __init__(self, cfg: ModelConfig, *, image_size: int, vocab_size: int, rngs: nnx.Rngs,
                 ink_offset: int | None = None):
        self.cfg = cfg
        self.image_size, self.vocab_size = image_size, vocab_size
        self.ink_offset = vocab_size - NUM_INK_TOKENS if ink_offset is None else ink_offset
        dt = get_dtype(cfg.dtype)
        self.vit = ViT(cfg, image_size, rngs=rngs)
        self.img_proj = nnx.Linear(cfg.vit_width, cfg.d_model, dtype=dt, rngs=rngs)
        self.token_embed = nnx.Embed(vocab_size, cfg.d_model, dtype=dt,
                                     embedding_init=nnx.initializers.normal(1.0), rngs=rngs)
        self.encoder = t5.Encoder(cfg, rngs=rngs)
        self.decoder = t5.Decoder(cfg, vocab_size, rngs=rngs)
        self.glimpse_proj = (nnx.Linear(cfg.glimpse * cfg.glimpse * 3, cfg.d_model, dtype=dt, rngs=rngs)
                             if cfg.glimpse else None)

    @property
    def num_patches(self) -> int:
        return self.vit.grid ** 2

    def encode(self, image_BxSxSx3, encoder_tokens_BxLp, keys: DropoutKeys | None = None):
        """-> (encoded [B, N+Lp, D], mask [B, N+Lp])"""
        patches_BxNxW = self.vit(image_BxSxSx3, keys)
        if self.cfg.freeze_vit:
            patches_BxNxW = jax.lax.stop_gradient(patches_BxNxW)
        img_BxNxD = self.img_proj(patches_BxNxW)
        if self.cfg.patch_coord_scale:
            code_NxD = patch_coordinate_codes(self.vit.grid, self.image_size, self.cfg.d_model)
            img_BxNxD = img_BxNxD + self.cfg.patch_coord_scale * jnp.asarray(code_NxD, img_BxNxD.dtype)
        txt_BxLpxD = self.token_embed(encoder_tokens_BxLp)
        x_BxLxD = jnp.concatenate([img_BxNxD, txt_BxLpxD.astype(img_BxNxD.dtype)], axis=1)
        b, n = img_BxNxD.shape[:2]
        mask_BxL = jnp.concatenate([jnp.ones((b, n), bool), encoder_tokens_BxLp > 0], axis=1)
        return self.encoder(x_BxLxD, mask_BxL, keys), mask_BxL

    def glimpse(self, image_BxSxSx3, x_BxT, y_BxT, valid_BxT) -> jax.Array:
        """Pen-glimpse embeddings [B, T, D] (zero where no point has been written yet)."""
        crops = glimpse_crops(image_BxSxSx3, x_BxT, y_BxT, self.cfg.glimpse)
        b, t = x_BxT.shape
        emb_BxTxD = self.glimpse_proj(crops.reshape(b, t, -1).astype(get_dtype(self.cfg.dtype)))
        return emb_BxTxD * valid_BxT[..., None].astype(emb_BxTxD.dtype)

    def embed_decoder_inputs(self, decoder_inputs_BxT, image_BxSxSx3=None) -> jax.Array:
        y_BxTxD = self.token_embed(decoder_inputs_BxT)
        if self.glimpse_proj is not None:
            if image_BxSxSx3 is None:
                raise ValueError("a model with a pen glimpse needs the image to decode")
            x, y, valid = pen_positions(decoder_inputs_BxT, self.ink_offset)
            y_BxTxD = y_BxTxD + self.glimpse(image_BxSxSx3, x, y, valid)
        return y_BxTxD

    def decode(self, enc_BxLxD, enc_mask_BxL, decoder_inputs_BxT, keys: DropoutKeys | None = None,
               image_BxSxSx3=None):
        return self.decoder(self.embed_decoder_inputs(decoder_inputs_BxT, image_BxSxSx3),
                            enc_BxLxD, enc_mask_BxL, keys)

    def __call__(self, image_BxSxSx3, encoder_tokens_BxLp, decoder_inputs_BxT, *,
                 deterministic: bool = True, dropout_key: jax.Array | None = None) -> jax.Array:
        keys = None if deterministic or dropout_key is None else DropoutKeys(dropout_key)
        enc, mask = self.encode(image_BxSxSx3, encoder_tokens_BxLp, keys)
        return self.decode(enc, mask, decoder_inputs_BxT, keys, image_BxSxSx3)

    # ------------------------------------------------------------------ cached decoding
    def init_cache(self, enc_BxLxD, max_len: int) -> list[t5.Cache]:
        return self.decoder.init_cache(enc_BxLxD, max_len)

    def init_pen(self, batch: int) -> Pen:
        c = jnp.full((batch,), FRAME_MAX // 2, jnp.int32)
        return {"x": c, "y": c, "valid": jnp.zeros((batch,), bool), "px": c,
                "pending": jnp.zeros((batch,), bool)}

    def pen_update(self, pen: Pen, token_B) -> Pen:
        """The pen state after reading ``token_B`` (same rule as ``pen_positions``)."""
        k = token_B - self.ink_offset
        is_x = (k >= 0) & (k <= FRAME_MAX)
        done = (k >= Y_OFFSET) & (k <= Y_OFFSET + FRAME_MAX) & pen["pending"]
        return {"x": jnp.where(done, pen["px"], pen["x"]), "y": jnp.where(done, k - Y_OFFSET, pen["y"]),
                "valid": pen["valid"] | done, "px": jnp.where(is_x, k, pen["px"]), "pending": is_x}

    def decode_step(self, token_B, t, caches, enc_mask_BxL, image_BxSxSx3=None, pen: Pen | None = None):
        """Logits [B, V] for position ``t`` given the token at ``t`` (the previous output);
        with a pen glimpse, ``pen`` is the state after reading ``token_B``."""
        y_Bx1xD = self.token_embed(token_B[:, None])
        if self.glimpse_proj is not None:
            y_Bx1xD = y_Bx1xD + self.glimpse(image_BxSxSx3, pen["x"][:, None], pen["y"][:, None],
                                             pen["valid"][:, None])
        logits_Bx1xV, caches = self.decoder.step(y_Bx1xD, t, caches, enc_mask_BxL)
        return logits_Bx1xV[:, 0], caches


def build(cfg: ModelConfig, *, image_size: int, vocab_size: int, seed: int = 0) -> Derenderer:
    """A freshly initialised model (``cfg.vocab_size`` wins over ``vocab_size`` when set)."""
    v = cfg.vocab_size or vocab_size
    if v < vocab_size:
        raise ValueError(f"model.vocab_size={cfg.vocab_size} is smaller than the data vocabulary ({vocab_size})")
    ctor = lambda: Derenderer(cfg, image_size=image_size, vocab_size=v, rngs=nnx.Rngs(params=seed),
                              ink_offset=vocab_size - NUM_INK_TOKENS)
    graphdef, _ = nnx.split(nnx.eval_shape(ctor))
    state = jax.jit(lambda: nnx.split(ctor())[1])()   # one compiled init instead of op-by-op
    model = nnx.merge(graphdef, state)
    if cfg.coord_embed_init == "sincos":
        init_coordinate_embeddings(model, ink_offset=vocab_size - NUM_INK_TOKENS, seed=seed)
    elif cfg.coord_embed_init != "normal":
        raise ValueError(f"model.coord_embed_init must be 'sincos' or 'normal', not {cfg.coord_embed_init!r}")
    if cfg.vit_init:
        load_vit_params(model, cfg.vit_init)
    return model


def coordinate_features(num: int, dim: int, values: np.ndarray | None = None) -> np.ndarray:
    """[n, dim] sin/cos of coordinate ``values`` (default 0..num-1) at ``dim // 2`` geometric
    frequencies (wavelengths 4 .. 4*num), unit RMS per row."""
    half = dim // 2
    wavelength = 4.0 * num ** (np.arange(half) / max(half - 1, 1))
    v = np.arange(num, dtype=np.float64) if values is None else np.asarray(values, np.float64)
    ang = v[:, None] * (2 * np.pi / wavelength)[None, :]
    f = np.zeros((len(v), dim), np.float32)
    f[:, :half], f[:, half:2 * half] = np.sin(ang), np.cos(ang)
    return f / np.sqrt((f ** 2).mean(1, keepdims=True))


def patch_coordinate_codes(grid: int, image_size: int, d: int) -> np.ndarray:
    """[grid*grid, d]: each patch centre's position in the 224 frame coded like the coordinate
    ids (``init_coordinate_embeddings``): x's code in the first half, y's in the second."""
    half = d // 2
    centre = (np.arange(grid) + 0.5) * (image_size / grid) * (FRAME_VALUES - 1) / image_size
    code = coordinate_features(FRAME_VALUES, half, centre) * np.sqrt(d / half)
    out = np.zeros((grid, grid, d), np.float32)
    out[:, :, :half] = code[None, :, :]          # x varies along columns
    out[:, :, half:2 * half] = code[:, None, :]  # y along rows
    return out.reshape(grid * grid, d)


def init_coordinate_embeddings(model: Derenderer, *, ink_offset: int, seed: int = 0,
                               mix: float = 0.8) -> None:
    """Give the x ids (``ink_offset + 0..224``) and y ids (``+ 225..449``) structured initial
    embeddings and output columns: x uses the first half of the width, y the second, each a
    sin/cos code of the coordinate (weight ``mix``) plus the random init (``1 - mix``), at the
    random init's scale. The start-of-stroke id and text ids keep their random init."""
    if ink_offset < 0:
        return
    d = model.cfg.d_model
    half = d // 2
    code = coordinate_features(FRAME_VALUES, half)
    struct = np.zeros((2 * FRAME_VALUES, d), np.float32)
    struct[:FRAME_VALUES, :half] = code
    struct[FRAME_VALUES:, half:2 * half] = code
    struct *= np.sqrt(d / half)                      # unit RMS over the full width
    ids = slice(ink_offset, ink_offset + 2 * FRAME_VALUES)
    a, b = np.sqrt(1.0 - mix ** 2), mix
    emb = model.token_embed.embedding
    e = emb[...]
    emb[...] = e.at[ids].set(a * e[ids] + b * jnp.asarray(struct))
    ker = model.decoder.logits_dense.kernel                     # [D, V], init std D^-0.5
    k = ker[...]
    ker[...] = k.at[:, ids].set(a * k[:, ids] + b * d ** -0.5 * jnp.asarray(struct.T))


def abstract(cfg: ModelConfig, *, image_size: int, vocab_size: int) -> Derenderer:
    """Shape-only model (nothing allocated) for counting and checkpoint restore targets."""
    return nnx.eval_shape(lambda: Derenderer(cfg, image_size=image_size,
                                             vocab_size=cfg.vocab_size or vocab_size,
                                             rngs=nnx.Rngs(params=0),
                                             ink_offset=vocab_size - NUM_INK_TOKENS))


def param_counts(model: Derenderer) -> dict[str, int]:
    """Parameters per component and total (works on abstract models); ``decoder`` includes
    its untied output layer, also given alone as ``decoder.output_layer``."""
    def count(m) -> int:
        return sum(int(x.size) for x in jax.tree.leaves(nnx.state(m, nnx.Param)))

    parts = {"vit": count(model.vit), "img_proj": count(model.img_proj),
             "token_embed": count(model.token_embed), "encoder": count(model.encoder),
             "decoder": count(model.decoder), "decoder.output_layer": count(model.decoder.logits_dense)}
    parts["total"] = count(model)
    return parts
