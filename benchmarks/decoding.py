"""Decoding speed: ours KV-cached vs ours full recomputation vs Hugging Face ``transformers``
T5 ``generate`` (PyTorch) at the same width/depth/vocabulary, greedy, same lengths, same CPU.
Writes results/benchmarks/decoding.md with ratios.

    .venv/bin/python benchmarks/decoding.py [--len 64] [--batches 1,32]

PyTorch is optional (not a dependency): if ``import torch, transformers`` fails the peer rows
say how to install it (``.venv/bin/python -m pip install torch==2.13.0 transformers``).
The T5 peer decodes from the same-length encoder input (image patches + prompt) given as
``inputs_embeds``, so both do the same encoder and decoder work; ViT time is included in
ours only (small for tiny). Lengths are fixed with min_len = max_len (EOS suppressed).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import jax
import numpy as np

from inkrepro.model import configs, decode, derenderer


def _time(fn, reps: int) -> float:
    fn()                                  # compile / warm up
    best = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best.append(time.perf_counter() - t)
    return float(np.median(best))


def torch_peer(cfg, vocab: int, enc_len: int, b: int, n: int, reps: int):
    try:
        import torch
        from transformers import T5Config, T5ForConditionalGeneration
    except ImportError as e:
        return None, f"skipped: {e.name} not installed (.venv/bin/python -m pip install torch==2.13.0 transformers)"
    torch.set_num_threads(os.cpu_count() or 1)
    tc = T5Config(vocab_size=vocab, d_model=cfg.d_model, d_kv=cfg.d_kv, d_ff=cfg.d_ff,
                  num_layers=cfg.enc_layers, num_decoder_layers=cfg.dec_layers, num_heads=cfg.num_heads,
                  relative_attention_num_buckets=cfg.rel_buckets, relative_attention_max_distance=cfg.rel_max_distance,
                  feed_forward_proj="gated-gelu", tie_word_embeddings=False, dropout_rate=0.0,
                  decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
    m = T5ForConditionalGeneration(tc).eval()
    emb = torch.randn(b, enc_len, cfg.d_model)
    mask = torch.ones(b, enc_len, dtype=torch.long)

    def run():
        with torch.inference_mode():
            m.generate(inputs_embeds=emb, attention_mask=mask, max_new_tokens=n, min_new_tokens=n,
                       do_sample=False, num_beams=1, use_cache=True)

    return _time(run, reps), f"torch {torch.__version__}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="tiny")
    ap.add_argument("--image-size", type=int, default=64)
    ap.add_argument("--vocab", type=int, default=2000 + 451)
    ap.add_argument("--len", type=int, default=64)
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default="results/benchmarks/decoding.md")
    a = ap.parse_args()
    cfg = configs.get(a.config)
    model = derenderer.build(cfg, image_size=a.image_size, vocab_size=a.vocab)
    lp = 16
    enc_len = model.num_patches + lp
    rows = []
    for b in [int(x) for x in a.batches.split(",")]:
        r = np.random.default_rng(0)
        img = r.integers(0, 256, (b, a.image_size, a.image_size, 3)).astype(np.uint8)
        enc = r.integers(3, 100, (b, lp)).astype(np.int32)
        res = {}
        for name, cache in (("cached", True), ("full", False)):
            f = lambda img=img, enc=enc, cache=cache: jax.block_until_ready(
                decode.generate(model, img, enc, max_len=a.len, min_len=a.len, use_cache=cache))
            res[name] = _time(f, a.reps)
        tt, note = torch_peer(cfg, a.vocab, enc_len, b, a.len, a.reps)
        tok = b * a.len
        row = {"batch": b, "cached": tok / res["cached"], "full": tok / res["full"],
               "torch": tok / tt if tt else None, "note": note}
        rows.append(row)
        print(row)
    md = (f"# Decoding speed (benchmarks/decoding.py)\n\nModel `{a.config}` (T5 d_model {cfg.d_model}, "
          f"{cfg.enc_layers}+{cfg.dec_layers} layers, vocab {a.vocab}), encoder input {enc_len} "
          f"positions, greedy, {a.len} generated tokens per row, CPU ({os.cpu_count()} cores, shared), "
          f"median of {a.reps}.\n\n| batch | ours cached tok/s | ours full recompute tok/s | HF T5 PyTorch tok/s "
          "| cached / full | cached / PyTorch |\n|---|---|---|---|---|---|\n")
    for r in rows:
        tor = f"{r['torch']:.0f}" if r["torch"] else "n/a"
        ratio = f"{r['cached'] / r['torch']:.2f}x" if r["torch"] else r["note"]
        md += f"| {r['batch']} | {r['cached']:.0f} | {r['full']:.0f} | {tor} | {r['cached'] / r['full']:.2f}x | {ratio} |\n"
    md += f"\nPeer: {rows[0]['note']}. Shared CPU: absolute numbers vary with load; ratios are from the same run.\n"
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(md)
    print(md)


if __name__ == "__main__":
    main()
