"""Tokens per second of the inference path, counted one way (``inference_speed.py`` and
``decoding.py`` both measure with :func:`measure`).

tokens/s = generated tokens / wall seconds of one compiled decoding call
(``inkrepro.infer.Inference.generate``: ViT + encoder + the decoding loop + the copy of the ids
to the host), after one warm-up (compilation) call; mean ± sd over ``runs`` calls. Generated
tokens: ``inkrepro.infer.count_tokens`` (each row up to and including its EOS; a row that hits
``max_len`` counts ``max_len``). Models are randomly initialised unless a trained workdir is
given: speed depends on the shapes (image size, vocabulary, output length), not on the weights.
"""

from __future__ import annotations

import os
import platform
import time
from types import SimpleNamespace

import jax
import numpy as np

from inkrepro import config, infer
from inkrepro.model import derenderer
from inkrepro.text import EOS_ID, PAD_ID, UNK_ID

PROMPT_IDS = (5, 6, 7)   # a three-token prompt + EOS, padded to the prompt length


def device_name() -> str:
    d = jax.devices()[0]
    if d.platform == "cpu":
        return f"CPU {platform.processor() or platform.machine()} ({os.cpu_count()} cores)"
    return f"{d.platform.upper()} {getattr(d, 'device_kind', '')}".strip()


def random_inference(name: str, *, image_size: int = 0, text_vocab: int = 0, max_len: int = 64,
                     profile: str = "laptop", constrained: bool = infer.CONSTRAINED) -> infer.Inference:
    """A randomly initialised model of config ``name`` at a profile's input settings (image
    size: the profile's for patch < 16, else 224; text vocabulary: the config's own or the
    profile's) behind the inference path."""
    base = config.profile(profile, {"model": name})
    size = image_size or (224 if base.model.patch_size >= 16 else base.data.image_size)
    vocab_size = base.model.vocab_size or (text_vocab or base.data.vocab_size) + 451
    cfg = config.profile(profile, {"model": name, "data.image_size": size,
                                   "data.max_target_len": max_len})
    model = derenderer.build(cfg.model, image_size=size, vocab_size=vocab_size, seed=0)
    ids = SimpleNamespace(ink_offset=vocab_size - 451, size=vocab_size, pad_id=PAD_ID,
                          eos_id=EOS_ID, unk_id=UNK_ID)
    return infer.Inference(cfg, ids, model, infer.Decoding(constrained=constrained))


def inputs(inf: infer.Inference, batch: int) -> tuple[np.ndarray, np.ndarray]:
    s, lp = inf.image_size, inf.cfg.data.max_prompt_len
    img = np.random.default_rng(0).integers(0, 256, (batch, s, s, 3)).astype(np.uint8)
    enc = np.zeros((batch, lp), np.int32)
    enc[:, : len(PROMPT_IDS) + 1] = [*PROMPT_IDS, EOS_ID]
    return img, enc


def measure(inf: infer.Inference, batch: int, runs: int = 5, **generate_kw) -> dict:
    """Mean ± sd tokens/s of ``runs`` timed calls (after one warm-up call)."""
    img, enc = inputs(inf, batch)

    def once() -> tuple[float, int]:
        t = time.perf_counter()
        ids = np.asarray(inf.generate(img, enc, False, **generate_kw))
        return time.perf_counter() - t, infer.count_tokens(ids, EOS_ID)

    once()
    dts, toks = zip(*(once() for _ in range(runs)))
    tps = [n / t for n, t in zip(toks, dts)]
    return {"batch": batch, "image_size": inf.image_size, "max_len": inf.max_len,
            "tokens_per_s": float(np.mean(tps)), "sd": float(np.std(tps)),
            "mean_tokens": float(np.mean(toks)), "seconds": float(np.mean(dts)), "runs": runs}
