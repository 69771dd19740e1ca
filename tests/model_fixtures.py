"""Session-scoped micro models and synthetic batches in the batch contract's format."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

V_TEXT, V = 100, 100 + 451          # a fake vocabulary: 100 text ids + 451 ink ids
IMG, LP, LT = 16, 8, 24


def micro_config(**kw):
    from inkrepro.model import configs

    base = dataclasses.replace(configs.tiny(), name="micro", patch_size=8, vit_width=16, vit_depth=1,
                               vit_mlp_dim=32, vit_heads=2, d_model=32, num_heads=2, d_kv=16, d_ff=64,
                               enc_layers=1, dec_layers=2, rel_buckets=8, rel_max_distance=32)
    return dataclasses.replace(base, **kw)


def token_ids() -> dict[str, int]:
    """The ids decoding needs, for the fake vocabulary (as ``inkrepro.infer`` passes them)."""
    return {"ink_offset": V_TEXT, "vocab_limit": V}


def random_batch(b: int = 4, seed: int = 0) -> dict[str, np.ndarray]:
    r = np.random.default_rng(seed)
    tgt = r.integers(3, V, (b, LT)).astype(np.int32)
    n = r.integers(4, LT, b)
    w = (np.arange(LT)[None] < n[:, None]).astype(np.float32)
    tgt = np.where(w > 0, tgt, 0)
    tgt[np.arange(b), n - 1] = 1
    dec_in = np.zeros_like(tgt)
    dec_in[:, 1:] = tgt[:, :-1]
    enc = r.integers(3, V_TEXT, (b, LP)).astype(np.int32)
    enc[:, LP - 2:] = 0
    return {"image": r.integers(0, 256, (b, IMG, IMG, 3)).astype(np.uint8), "encoder_tokens": enc,
            "decoder_inputs": dec_in, "decoder_targets": tgt, "loss_weights": w,
            "task_id": r.integers(0, 5, b).astype(np.int32)}


@pytest.fixture(scope="session")
def micro_model():
    from inkrepro.model import derenderer

    return derenderer.build(micro_config(), image_size=IMG, vocab_size=V, seed=0)


@pytest.fixture(scope="session")
def micro_batch():
    return random_batch()


@pytest.fixture(scope="session")
def micro_apply(micro_model):
    """Jitted forward of the micro model: apply(image, enc, dec) -> logits (compiled once per shape)."""
    import jax
    from flax import nnx

    g, state = nnx.split(micro_model)
    f = jax.jit(lambda s, i, e, d: nnx.merge(g, s)(i, e, d))
    return lambda i, e, d: f(state, i, e, d)


@pytest.fixture(scope="session")
def smoke_checkpoint(_isolated_dirs):
    """A workdir trained with the `smoke` profile (seconds; the numbers mean nothing): for the
    tests that exercise the real checkpoint -> inference plumbing."""
    from inkrepro import config, train

    workdir = _isolated_dirs / "smoke-checkpoint"
    cfg = config.profile("smoke", ["train.progress=false", "train.track=false", "train.eval_every=0"])
    train.train(cfg, workdir)
    return workdir
