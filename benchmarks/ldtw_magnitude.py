"""LDTW cost per sample at coordinate magnitudes 1e3 vs 1e7: it must not grow with magnitude.

    .venv/bin/python benchmarks/ldtw_magnitude.py [--repeats 5] [--out results/benchmarks/ldtw_magnitude.md]

The reference is a word ink in the 224 frame; the prediction is the same word scaled so that its
largest coordinate is 1e3 or 1e7 (a model or file gone wrong). Measured on one core, CPU time
per call (median of ``--repeats``): ``metrics.ldtw_distance`` itself (resampling at 2 px, capped
at ``LDTW_MAX_POINTS`` points per ink) and ``metrics.geometry_metrics`` (the per-sample bundle the
evaluation runs, where coordinates beyond ``COORD_LIMIT`` make the sample invalid and it is scored
as the empty stand-in). Goal: time ratio 1e7 / 1e3 about 1 (before the cap, 1e7 took 25 s and
1.9 GB per sample).
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

from inkrepro.evaluate import metrics as M  # noqa: E402
from inkrepro.ink import geometry  # noqa: E402
from inkrepro.ink.core import Ink  # noqa: E402
from inkrepro.ink.demo import hershey_ink  # noqa: E402

MAGNITUDES = (1e3, 1e7)


def word_ink() -> Ink:
    """'handwriting' in Hershey cursive, fitted to the 224 frame."""
    ink, _ = geometry.fit_to_frame(hershey_ink("handwriting", "cursive").without_time(), 224, margin=8)
    return ink


def scaled(ink: Ink, magnitude: float) -> Ink:
    return ink.scale(magnitude / float(np.abs(ink.points).max()))


def cpu_seconds(fn, repeats: int) -> float:
    fn()  # warm-up (imports, first allocation)
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return float(np.median(times))


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default="results/benchmarks/ldtw_magnitude.md")
    args = ap.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    ref = word_ink()
    rows = []
    for mag in MAGNITUDES:
        pred = scaled(ref, mag)
        n_pts = M._resample(pred, M.LDTW_SPACING, M.LDTW_MAX_POINTS).num_points
        t_ldtw = cpu_seconds(lambda pred=pred: M.ldtw_distance(pred, ref), args.repeats)
        t_geom = cpu_seconds(lambda pred=pred: M.geometry_metrics(pred, ref), args.repeats)
        valid = M.is_valid(pred)
        rows.append((mag, n_pts, t_ldtw, t_geom, valid))
        print(f"1e{int(np.log10(mag))}: {n_pts} resampled points, ldtw_distance {t_ldtw * 1e3:.1f} ms, "
              f"geometry_metrics {t_geom * 1e3:.1f} ms (valid={valid})")
    r_ldtw = rows[1][2] / rows[0][2]
    r_geom = rows[1][3] / rows[0][3]
    print(f"ratio 1e7 / 1e3: ldtw_distance {r_ldtw:.2f}, geometry_metrics {r_geom:.2f}")

    lines = [
        f"## LDTW cost vs coordinate magnitude ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"One core (`sched_setaffinity`), {platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}, numpy {np.__version__}. Reference: 'handwriting' in Hershey "
        f"cursive in the 224 frame ({ref.num_strokes} strokes, {ref.num_points} points); prediction: the "
        f"same ink scaled to the magnitude. CPU time per sample, median of {args.repeats} calls. "
        f"LDTW spacing {M.LDTW_SPACING:g} px, at most {M.LDTW_MAX_POINTS} points per ink; coordinates "
        f"beyond {M.COORD_LIMIT:g} are invalid. Command: `.venv/bin/python benchmarks/ldtw_magnitude.py`.",
        "",
        "| largest coordinate | resampled points | `ldtw_distance` ms | `geometry_metrics` ms | valid |",
        "|---|---:|---:|---:|---|",
        *[f"| {m:.0e} | {n} | {a * 1e3:.1f} | {b * 1e3:.1f} | {v} |" for m, n, a, b, v in rows],
        "",
        f"Time ratio 1e7 / 1e3: `ldtw_distance` **{r_ldtw:.2f}**, `geometry_metrics` **{r_geom:.2f}** "
        "(goal: about 1 or below; before the point cap, 1e7 took 25 s and 1.9 GB per sample, as issue 16 measured).",
        "",
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("# LDTW magnitude benchmark\n\n" + "\n".join(lines), encoding="utf-8")
    print(f"wrote {out}")
    return {"ratio_ldtw": r_ldtw, "ratio_geometry": r_geom}


if __name__ == "__main__":
    main()
