"""The gpu profile, proven on one accelerator (run by benchmarks/gpu_check.sh):

1. XLA's cost and memory analysis of the compiled train step (bf16 activations): FLOPs per step
   and the memory it needs, before anything runs (also on CPU);
2. the step time of that step -> how many steps fit in ``--minutes``;
3. a real training of the profile for that many steps (``inkrepro.train``), then a gallery of
   test derenderings;
4. ``gpu_check.json`` / ``gpu_check.md`` in ``--out``: tokens/s, step time, MFU, peak memory.

    .venv/bin/python benchmarks/gpu_check.py --out results/gpu [--minutes 6] [--profile gpu]

MFU = XLA FLOPs per step / step time / the device's peak bf16 FLOP/s (a table of known
devices, or ``--peak-tflops``). On CPU (``--profile smoke -o ...``) it checks the path only.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import jax

from inkrepro import config, train
from inkrepro.evaluate.gallery import make_gallery
from train_step import compiled_step, flops_of

PEAK_BF16_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L4": 121.0, "A10": 125.0,
                    "TPU v5 lite": 197.0, "TPU v4": 275.0}


def peak_tflops(device) -> float | None:
    kind = getattr(device, "device_kind", "")
    return next((v for k, v in PEAK_BF16_TFLOPS.items() if k in kind), None)


def memory_estimate(compiled) -> dict[str, float]:
    """XLA's memory analysis of the compiled step, in MiB (None fields where XLA gives none)."""
    m = compiled.memory_analysis()
    out = {}
    for k in ("argument_size_in_bytes", "output_size_in_bytes", "temp_size_in_bytes",
              "generated_code_size_in_bytes"):
        v = getattr(m, k, None) if m is not None else None
        out[k.replace("_in_bytes", "_mib")] = None if v is None else v / 2**20
    parts = [v for v in out.values() if v is not None]
    out["total_mib"] = sum(parts) if parts else None
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="gpu")
    ap.add_argument("-o", "--override", action="append", default=[])
    ap.add_argument("--minutes", type=float, default=6.0, help="training time budget")
    ap.add_argument("--max-steps", type=int, default=0, help="cap (0: what fits in --minutes)")
    ap.add_argument("--peak-tflops", type=float, default=0.0)
    ap.add_argument("--out", default="results/gpu")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = config.profile(a.profile, a.override + ["train.eval_every=0", "train.progress=false"])
    dev = jax.devices()[0]
    if jax.default_backend() == "cpu" and a.profile != "smoke":
        raise SystemExit(f"gpu_check: JAX sees no GPU/TPU (devices: {jax.devices()}); the {a.profile} "
                         "profile on CPU would take hours. On CPU check the path with --profile smoke")

    jstep, (params, opt, batch), compiled, _ = compiled_step(cfg)
    flops, mem = flops_of(compiled), memory_estimate(compiled)
    params, opt, loss = jstep(params, opt, batch)
    jax.block_until_ready(loss)
    t = time.perf_counter()
    n = 3
    for _ in range(n):
        params, opt, loss = jstep(params, opt, batch)
    jax.block_until_ready(loss)
    step_s = (time.perf_counter() - t) / n
    del params, opt
    steps = max(2, int(a.minutes * 60 / step_s))
    if a.max_steps:
        steps = min(steps, a.max_steps)

    cfg = config.profile(a.profile, a.override + [
        "train.eval_every=0", "train.progress=false", f"train.steps={steps}",
        f"train.warmup_steps={max(1, min(cfg.train.warmup_steps, steps // 10))}",
        f"train.checkpoint_every={steps}", f"train.log_every={max(1, min(100, steps // 2))}"])
    t0 = time.perf_counter()
    res = train.train(cfg, out / "workdir")
    wall = time.perf_counter() - t0
    make_gallery(out / "workdir", out / "gallery.png", n=8, max_len=min(256, cfg.data.max_target_len))

    b, lt = cfg.train.batch_size, cfg.data.max_target_len
    ex_s = res["metrics"]["train/examples_per_s"]
    peak = a.peak_tflops or peak_tflops(dev)
    stats = dev.memory_stats() if hasattr(dev, "memory_stats") else None
    rep = {"device": f"{jax.default_backend()}: {getattr(dev, 'device_kind', '?')}", "profile": a.profile,
           "dtype": cfg.model.dtype, "batch": b, "target_len": lt, "steps": steps, "train_wall_s": wall,
           "step_time_s_measured": step_s, "step_time_s_training": b / ex_s,
           "examples_per_s": ex_s, "target_tokens_per_s": ex_s * lt,
           "xla_flops_per_step": flops, "achieved_tflops": flops * ex_s / b / 1e12,
           "peak_bf16_tflops": peak, "mfu": (flops * ex_s / b / 1e12 / peak) if peak else None,
           "xla_memory_estimate": mem,
           "peak_memory_mib": (stats or {}).get("peak_bytes_in_use", 0) / 2**20 if stats else None,
           "train_loss": res["metrics"].get("train/loss"), "val_loss": res["metrics"].get("val/loss"),
           "gallery": "gallery.png"}
    (out / "gpu_check.json").write_text(json.dumps(rep, indent=1))
    md = "# gpu profile check (benchmarks/gpu_check.sh)\n\n| item | value |\n|---|---|\n" + "".join(
        f"| {k} | {v} |\n" for k, v in rep.items())
    (out / "gpu_check.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
