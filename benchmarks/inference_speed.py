"""Inference speed in tokens/s as the paper measured it (mean of five runs), per model config
and batch size, on the present device; the paper's Titan RTX / T4 / V100 figures beside ours.

    .venv/bin/python benchmarks/inference_speed.py [--configs tiny,small] [--batch-sizes 1,8]
        [--max-len 256] [--runs 5] [--out results/benchmarks/inference_speed.md]

Models are randomly initialised (speed does not depend on the weights, only on the decoded
length). Tokens/s = tokens produced (up to and including EOS, all rows) / seconds of one
``decode.generate`` call (greedy, KV cache, at most ``max_len`` per row), after one warm-up
(compilation) call; the mean tokens per call is reported beside it. The paper does not state
its batch size or output length.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

PAPER = {"Titan RTX": 114.43, "T4": 47.14, "V100": 139.14}   # tokens/s, InkSight paper


def device_name() -> str:
    import jax

    d = jax.devices()[0]
    if d.platform == "cpu":
        return f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} threads)"
    return f"{d.platform.upper()} {getattr(d, 'device_kind', '')}".strip()


def measure(config: str, batch: int, max_len: int, runs: int, image_size: int = 224) -> dict:
    import jax
    import numpy as np

    from inkrepro.model import configs, decode, derenderer

    mcfg = configs.get(config)
    vocab_size = mcfg.vocab_size if config != "tiny" else 1451
    model = derenderer.build(mcfg, image_size=image_size, vocab_size=vocab_size, seed=0)
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (batch, image_size, image_size, 3), dtype=np.uint8)
    enc = np.zeros((batch, 16), np.int32)
    enc[:, :4] = [5, 6, 7, 1]

    def once():
        t = time.perf_counter()
        ids = np.asarray(jax.block_until_ready(decode.generate(model, img, enc, max_len=max_len)))
        dt = time.perf_counter() - t
        produced = int((ids != 0).sum())
        return dt, produced

    once()   # compile
    times, toks = [], []
    for _ in range(runs):
        dt, n = once()
        times.append(dt)
        toks.append(n)
    tps = [n / t for n, t in zip(toks, times)]
    return {"config": config, "batch": batch, "max_len": max_len,
            "tokens_per_s": float(np.mean(tps)), "sd": float(np.std(tps)),
            "mean_tokens": float(np.mean(toks)), "seconds": float(np.mean(times))}


def table(rows: list[dict], device: str) -> str:
    max_len = sorted({r["max_len"] for r in rows})
    lines = ["# Inference speed (tokens/s, mean of five runs)", "",
             f"Ours on **{device}** (JAX {__import__('jax').__version__}); randomly initialised "
             f"weights, greedy KV-cached decoding of at most {max_len} tokens per row, tokens "
             "counted up to EOS; command: `python benchmarks/inference_speed.py`. The paper's figures "
             "are for its Small model on the GPUs named; batch size and output length are not "
             "published, so the rows are not like for like.", "",
             "| source | device | config | batch | tokens/s | sd | mean tokens/call |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| ours | {device} | {r['config']} | {r['batch']} | {r['tokens_per_s']:.2f} | "
                     f"{r['sd']:.2f} | {r['mean_tokens']:.0f} |")
    for dev, v in PAPER.items():
        lines.append(f"| paper (InkSight Small) | {dev} | Small | ? | {v:.2f} | — | — |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--configs", default="tiny")
    p.add_argument("--batch-sizes", default="1,8")
    p.add_argument("--max-len", type=int, default=128)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--out", default="results/benchmarks/inference_speed.md")
    a = p.parse_args(argv)
    os.environ.setdefault("JAX_PLATFORMS", "")
    rows = []
    for c in a.configs.split(","):
        for b in (int(x) for x in a.batch_sizes.split(",")):
            try:
                r = measure(c, b, a.max_len, a.runs)
            except Exception as e:  # noqa: BLE001 - e.g. out of memory for a large config
                print(f"{c} batch {b}: skipped ({type(e).__name__}: {str(e)[:120]})", file=sys.stderr)
                continue
            rows.append(r)
            print(f"{c:6s} batch {b:3d}: {r['tokens_per_s']:.2f} tokens/s (sd {r['sd']:.2f})")
            out = Path(a.out)   # rewritten after every row: a killed run keeps what it measured
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(table(rows, device_name()))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
