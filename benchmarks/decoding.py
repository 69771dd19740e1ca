"""Decoding speed: ours KV-cached vs ours full recomputation vs Hugging Face ``transformers``
T5 ``generate`` (PyTorch) at the same width/depth/vocabulary, greedy, same lengths, same CPU.
Writes results/benchmarks/decoding.md with ratios.

    .venv/bin/python benchmarks/decoding.py [--len 64] [--batches 1,32]

Ours is measured exactly as ``inference_speed.py`` measures (``benchmarks/_speed.py``: one
compiled call of the inference path, mean of runs after a warm-up, generated tokens counted up
to EOS), here with EOS suppressed (``min_len = len``) so that every row has the same length as
the peer's; with the same config, image size and length the "ours cached" column is the
inference-speed figure. PyTorch is optional (not a dependency): if ``import torch,
transformers`` fails the peer rows say how to install it (``.venv/bin/python -m pip install
torch==2.13.0 transformers``). The T5 peer decodes from the same-length encoder input (image
patches + prompt) given as ``inputs_embeds``, so both do the same encoder and decoder work;
ViT time is included in ours only (small for tiny).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

import _speed as speed


def _time(fn, reps: int) -> float:
    fn()                                  # compile / warm up
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.mean(times))


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
    ap.add_argument("--len", type=int, default=64)
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--out", default="results/benchmarks/decoding.md")
    a = ap.parse_args()
    inf = speed.random_inference(a.config, max_len=a.len)
    cfg, vocab = inf.cfg.model, inf.vocab.size
    enc_len = inf.model.num_patches + inf.cfg.data.max_prompt_len
    rows = []
    for b in [int(x) for x in a.batches.split(",")]:
        res = {name: speed.measure(inf, b, a.reps, use_cache=cache, min_len=a.len)["tokens_per_s"]
               for name, cache in (("cached", True), ("full", False))}
        tt, note = torch_peer(cfg, vocab, enc_len, b, a.len, a.reps)
        row = {"batch": b, **res, "torch": b * a.len / tt if tt else None, "note": note}
        rows.append(row)
        print(row)
    md = (f"# Decoding speed (benchmarks/decoding.py)\n\nModel `{a.config}` (T5 d_model {cfg.d_model}, "
          f"{cfg.enc_layers}+{cfg.dec_layers} layers, vocab {vocab}), {inf.image_size} px input, "
          f"encoder input {enc_len} positions, greedy {'constrained' if inf.decoding.constrained else 'unconstrained'}, "
          f"{a.len} generated tokens per row, {speed.device_name()} (shared), mean of {a.reps} "
          "calls after a warm-up (counted as benchmarks/inference_speed.py counts).\n\n"
          "| batch | ours cached tok/s | ours full recompute tok/s | HF T5 PyTorch tok/s "
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
