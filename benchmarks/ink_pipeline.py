"""Ink pipeline throughput on one core: render(224) + augment + tokenise of a word-sized ink,
against plain Pillow ImageDraw rendering with 4x supersampling, measured in the same run.

    .venv/bin/python benchmarks/ink_pipeline.py [--seconds 3] [--out results/benchmarks/ink_pipeline.md]

Goal: >= 300 examples/s per core for the full path. (The paper's TPU v5e-64 run consumes
about 1,500 examples/s over 16 hosts: ~92 per host.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from inkrepro.ink import augment, geometry, render, tokens  # noqa: E402
from inkrepro.ink.demo import hershey_ink  # noqa: E402

SIZE = 224
WIDTH = 3.0


def word_ink():
    """'handwriting' in Hershey cursive, fitted to the 224 frame (22 strokes, ~215 points)."""
    ink, _ = geometry.fit_to_frame(hershey_ink("handwriting", "cursive").without_time(), SIZE, margin=8)
    return ink


def pillow_4x(ink, width: float = WIDTH) -> np.ndarray:
    """Baseline: Pillow ImageDraw at 4x with round joints and caps, box-downsampled to 224."""
    k = 4
    im = Image.new("RGB", (SIZE * k, SIZE * k), (255, 255, 255))
    d = ImageDraw.Draw(im)
    w, r = int(round(width * k)), width * k / 2
    for s in ink.strokes:
        pts = (s.xy * k).ravel().tolist()
        if len(s) > 1:
            d.line(pts, fill=(0, 0, 0), width=w, joint="curve")
        for x, y in (pts[:2], pts[-2:]):
            d.ellipse((x - r, y - r, x + r, y + r), fill=(0, 0, 0))
    return np.asarray(im.reduce(k))


def rate(fn, seconds: float) -> float:
    """Examples per CPU-second of this process (pinned to one core): CPU time, not wall time,
    so that other processes sharing the machine do not count against us."""
    for _ in range(5):
        fn()
    n, t0 = 0, time.process_time()
    while time.process_time() - t0 < seconds:
        fn()
        n += 1
    return n / (time.process_time() - t0)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="per measurement (3 repeats each)")
    ap.add_argument("--out", default="results/benchmarks/ink_pipeline.md")
    args = ap.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    ink = word_ink()
    cfg = augment.AugmentConfig()
    rng = np.random.default_rng(0)

    def full():
        img, target = augment.render_augmented(ink, SIZE, cfg, rng)
        return tokens.encode(geometry.quantize(target))

    cases = {
        "full path: render 224 + augment + quantise + tokenise": full,
        "augment config none (render + composite only)": lambda: augment.render_augmented(
            ink, SIZE, augment.AugmentConfig.none(WIDTH), rng),
        "render only (aggdraw, anti-aliased)": lambda: render.render(ink, SIZE, width=WIDTH),
        "baseline: Pillow ImageDraw 4x supersampled render": lambda: pillow_4x(ink),
    }
    res = {}
    for name, fn in cases.items():
        res[name] = float(np.median([rate(fn, args.seconds) for _ in range(3)]))
        print(f"{res[name]:9.1f} ex/s  {name}")
    names = list(cases)
    full_r, base_r, rend_r = res[names[0]], res[names[3]], res[names[2]]
    print(f"full path / Pillow-4x render: {full_r / base_r:.2f}x; "
          f"aggdraw render / Pillow-4x render: {rend_r / base_r:.2f}x; "
          f"goal >= 300 ex/s: {'met' if full_r >= 300 else 'NOT met'}")

    lines = [
        f"## Ink pipeline throughput ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"One core (`sched_setaffinity`), {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, numpy {np.__version__}; ink: 'handwriting' in Hershey "
        f"cursive, {ink.num_strokes} strokes, {ink.num_points} points, width {WIDTH} px; default "
        f"`AugmentConfig()`. Median of 3 runs of {args.seconds:g} CPU-seconds each (examples per CPU-second). "
        "Command: `.venv/bin/python benchmarks/ink_pipeline.py`.",
        "",
        "| path | examples/s |",
        "|---|---:|",
        *[f"| {k} | {v:.0f} |" for k, v in res.items()],
        "",
        f"Full path vs Pillow 4x render: **{full_r / base_r:.2f}x**; aggdraw render vs Pillow 4x "
        f"render: **{rend_r / base_r:.2f}x**. Goal >= 300 examples/s per core: "
        f"**{'met' if full_r >= 300 else 'not met'}** ({full_r:.0f}).",
        "",
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("# Ink pipeline benchmark\n\n" + "\n".join(lines), encoding="utf-8")
    print(f"wrote {out}")
    return res


if __name__ == "__main__":
    main()
