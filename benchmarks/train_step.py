"""Train-step throughput of ``tiny`` at the laptop shapes: examples/s and an estimated FLOP
utilisation from XLA's cost analysis. Writes results/benchmarks/train_step.md.

    .venv/bin/python benchmarks/train_step.py [--steps 20] [--peak-gflops N]

The peak is an assumption (default: cores x 2.5 GHz x 32 fp32 FLOP/cycle, AVX2 FMA); say so
when quoting the utilisation.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import jax
import numpy as np
import optax
from flax import nnx

from inkrepro import config, tasks
from inkrepro.model import derenderer
from inkrepro.train import loss_and_metrics, make_optimizer


def lowered_step(cfg, shapes_only: bool = False):
    """The jitted train step of ``cfg`` at its shapes on random data: -> (jstep, (params, opt,
    batch), lowered, model). ``lowered`` has XLA's cost analysis (of the unoptimised program).
    ``shapes_only``: params and optimiser state are shapes (nothing initialised: lower and
    analyse, not run)."""
    dc, tc = cfg.data, cfg.train
    v = dc.vocab_size + 451
    make = derenderer.abstract if shapes_only else derenderer.build
    model = make(cfg.model, image_size=dc.image_size, vocab_size=v)
    g, params, rest = nnx.split(model, nnx.Param, ...)
    tx = make_optimizer(tc, params, cfg.model.freeze_vit)
    opt = jax.eval_shape(tx.init, params) if shapes_only else tx.init(params)
    r = np.random.default_rng(0)
    b, lt = tc.batch_size, dc.max_target_len
    batch = {"image": r.integers(0, 256, (b, dc.image_size, dc.image_size, 3)).astype(np.uint8),
             "encoder_tokens": r.integers(3, 100, (b, dc.max_prompt_len)).astype(np.int32),
             "decoder_inputs": r.integers(3, v, (b, lt)).astype(np.int32),
             "decoder_targets": r.integers(3, v, (b, lt)).astype(np.int32),
             "loss_weights": np.ones((b, lt), np.float32), "task_id": r.integers(0, 5, b).astype(np.int32)}

    def step(params, opt, batch):
        def lf(p):
            logits = nnx.merge(g, p, rest)(batch["image"], batch["encoder_tokens"], batch["decoder_inputs"])
            return loss_and_metrics(logits, batch, len(tasks.TASK_NAMES))[0]
        loss, grads = jax.value_and_grad(lf)(params)
        upd, opt = tx.update(grads, opt, params)
        return optax.apply_updates(params, upd), opt, loss

    jstep = jax.jit(step)
    return jstep, (params, opt, batch), jstep.lower(params, opt, batch), model


def compiled_step(cfg):
    """:func:`lowered_step` compiled: -> (jstep, (params, opt, batch), compiled, model);
    ``compiled`` has XLA's cost and memory analysis."""
    jstep, args, lowered, model = lowered_step(cfg)
    return jstep, args, lowered.compile(), model


def flops_of(compiled) -> float:
    """XLA's FLOP count of a compiled (or lowered) step."""
    ca = compiled.cost_analysis()
    ca = ca[0] if isinstance(ca, list) else ca
    return float(ca.get("flops", 0.0))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="laptop")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--peak-gflops", type=float, default=0.0)
    ap.add_argument("--out", default="results/benchmarks/train_step.md")
    a = ap.parse_args()
    cfg = config.profile(a.profile)
    b, lt = cfg.train.batch_size, cfg.data.max_target_len
    jstep, (params, opt, batch), compiled, model = compiled_step(cfg)
    flops = flops_of(compiled)
    params, opt, loss = jstep(params, opt, batch)
    jax.block_until_ready(loss)
    t = time.perf_counter()
    for _ in range(a.steps):
        params, opt, loss = jstep(params, opt, batch)
    jax.block_until_ready(loss)
    dt = (time.perf_counter() - t) / a.steps
    cores = os.cpu_count() or 1
    peak = a.peak_gflops or cores * 2.5 * 32
    achieved = flops / dt / 1e9
    n_params = derenderer.param_counts(model)["total"]
    rows = [("profile", a.profile), ("device", f"{jax.default_backend()} ({platform.processor() or platform.machine()}, {cores} cores)"),
            ("model params", f"{n_params:,}"), ("batch x target len", f"{b} x {lt}"),
            ("step time", f"{dt * 1000:.1f} ms"), ("examples/s", f"{b / dt:.1f}"),
            ("XLA cost-analysis FLOPs / step", f"{flops / 1e9:.2f} GFLOP"),
            ("achieved", f"{achieved:.1f} GFLOP/s"),
            ("assumed peak", f"{peak:.0f} GFLOP/s (cores x 2.5 GHz x 32 fp32 FLOP/cycle)" if not a.peak_gflops else f"{peak:.0f} GFLOP/s (given)"),
            ("estimated FLOP utilisation", f"{100 * achieved / peak:.1f}%")]
    md = "# Train step (benchmarks/train_step.py)\n\n| item | value |\n|---|---|\n" + "".join(
        f"| {k} | {v} |\n" for k, v in rows)
    md += "\nShared CPU: other processes may have been running; numbers are lower bounds.\n"
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(md)
    print(md)


if __name__ == "__main__":
    main()
