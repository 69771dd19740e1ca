"""Vision Transformer (big_vision style): patch embedding, learned or 2-D sincos position
embeddings, pre-LN blocks, final LayerNorm, no pooling (PaLI feeds every patch token on)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from inkrepro.model.configs import ModelConfig
from inkrepro.model.layers import DropoutKeys, attention, dropout, get_dtype


def posemb_sincos_2d(h: int, w: int, width: int, temperature: float = 10_000.0) -> np.ndarray:
    """big_vision's fixed 2-D sin-cos position embedding, [1, h*w, width]."""
    if width % 4:
        raise ValueError(f"sincos2d needs a width divisible by 4, got {width}")
    y, x = np.mgrid[:h, :w]
    omega = 1.0 / temperature ** (np.arange(width // 4) / (width // 4 - 1 or 1))
    y = y.reshape(-1)[:, None] * omega[None, :]
    x = x.reshape(-1)[:, None] * omega[None, :]
    pe = np.concatenate([np.sin(x), np.cos(x), np.sin(y), np.cos(y)], axis=1)
    return pe[None].astype(np.float32)


class VitBlock(nnx.Module):
    def __init__(self, cfg: ModelConfig, *, rngs: nnx.Rngs):
        d, dt = cfg.vit_width, get_dtype(cfg.dtype)
        self.heads, self.rate = cfg.vit_heads, cfg.vit_dropout
        xavier = nnx.initializers.xavier_uniform()
        self.ln_1 = nnx.LayerNorm(d, epsilon=1e-6, dtype=dt, rngs=rngs)
        self.query = nnx.Linear(d, d, dtype=dt, kernel_init=xavier, rngs=rngs)
        self.key = nnx.Linear(d, d, dtype=dt, kernel_init=xavier, rngs=rngs)
        self.value = nnx.Linear(d, d, dtype=dt, kernel_init=xavier, rngs=rngs)
        self.out = nnx.Linear(d, d, dtype=dt, kernel_init=xavier, rngs=rngs)
        self.ln_2 = nnx.LayerNorm(d, epsilon=1e-6, dtype=dt, rngs=rngs)
        self.mlp_in = nnx.Linear(d, cfg.vit_mlp_dim, dtype=dt, kernel_init=xavier,
                                 bias_init=nnx.initializers.normal(1e-6), rngs=rngs)
        self.mlp_out = nnx.Linear(cfg.vit_mlp_dim, d, dtype=dt, kernel_init=xavier,
                                  bias_init=nnx.initializers.normal(1e-6), rngs=rngs)

    def __call__(self, x_BxNxD: jax.Array, keys: DropoutKeys | None) -> jax.Array:
        b, n, d = x_BxNxD.shape
        split = lambda t: t.reshape(b, n, self.heads, d // self.heads)
        h = self.ln_1(x_BxNxD)
        a = attention(split(self.query(h)), split(self.key(h)), split(self.value(h)),
                      scale=(d // self.heads) ** -0.5)
        x_BxNxD = x_BxNxD + dropout(self.out(a.reshape(b, n, d)), self.rate, keys)
        h = jax.nn.gelu(self.mlp_in(self.ln_2(x_BxNxD)), approximate=False)
        h = dropout(h, self.rate, keys)
        return x_BxNxD + dropout(self.mlp_out(h), self.rate, keys)


class ViT(nnx.Module):
    """Image uint8 [B, S, S, 3] -> patch tokens [B, (S/p)^2, vit_width]."""

    def __init__(self, cfg: ModelConfig, image_size: int, *, rngs: nnx.Rngs):
        p, d = cfg.patch_size, cfg.vit_width
        if image_size % p:
            raise ValueError(f"image size {image_size} is not a multiple of the patch size {p}")
        self.grid = image_size // p
        self.dtype, self.rate = get_dtype(cfg.dtype), cfg.vit_dropout
        if cfg.vit_stem == "patch":
            self.embedding = nnx.Conv(3, d, (p, p), strides=(p, p), padding="VALID",
                                      dtype=self.dtype, rngs=rngs)
            self.stem = None
        elif cfg.vit_stem == "conv":
            n = int(round(np.log2(p)))
            if 2 ** n != p:
                raise ValueError(f"vit_stem='conv' needs a power-of-two patch size, got {p}")
            chans = [3] + [max(d >> (n - 1 - i), 8) for i in range(n - 1)] + [d]
            self.stem = nnx.List([nnx.Conv(a, b, (3, 3), strides=(2, 2), padding="SAME",
                                           dtype=self.dtype, rngs=rngs)
                                  for a, b in zip(chans[:-1], chans[1:])])
            self.embedding = None
        else:
            raise ValueError(f"vit_stem must be 'patch' or 'conv', got {cfg.vit_stem!r}")
        n = self.grid * self.grid
        if cfg.posemb == "learn":
            self.pos_embedding = nnx.Param(
                nnx.initializers.normal(1.0 / np.sqrt(d))(rngs.params(), (1, n, d)))
        elif cfg.posemb == "sincos2d":  # fixed: a constant, not state
            self.pos_embedding = None
        else:
            raise ValueError(f"posemb must be 'learn' or 'sincos2d', got {cfg.posemb!r}")
        self.blocks = nnx.List([VitBlock(cfg, rngs=rngs) for _ in range(cfg.vit_depth)])
        self.encoder_norm = nnx.LayerNorm(d, epsilon=1e-6, dtype=self.dtype, rngs=rngs)

    def __call__(self, image_BxSxSx3: jax.Array, keys: DropoutKeys | None = None) -> jax.Array:
        x = (image_BxSxSx3.astype(jnp.float32) / 127.5 - 1.0).astype(self.dtype)
        if self.stem is None:
            x_BxGxGxD = self.embedding(x)
        else:
            for i, conv in enumerate(self.stem):
                x = conv(x) if i == len(self.stem) - 1 else jax.nn.gelu(conv(x))
            x_BxGxGxD = x
        b, g, _, d = x_BxGxGxD.shape
        pos = (posemb_sincos_2d(g, g, d) if self.pos_embedding is None else self.pos_embedding[...])
        x_BxNxD = x_BxGxGxD.reshape(b, g * g, d) + jnp.asarray(pos).astype(self.dtype)
        x_BxNxD = dropout(x_BxNxD, self.rate, keys)
        for block in self.blocks:
            x_BxNxD = block(x_BxNxD, keys)
        return self.encoder_norm(x_BxNxD)
