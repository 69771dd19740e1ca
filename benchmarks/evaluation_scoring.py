"""Evaluation scoring: the two costs that dominated the laptop evaluations, each against the way
it was done before, in the same run on the same inputs.

    .venv/bin/python benchmarks/evaluation_scoring.py [--n 96] [--out results/benchmarks/evaluation_scoring.md]

1. Tesseract on N word inks (``reader.read_inks``'s rendering), 2 threads: one Tesseract process
   per image (``reader._ocr``, the baseline: pytesseract starts the binary and loads its model
   every call) vs one process per list of images (``reader._ocr_many`` via ``_ocr_parallel``,
   split back at Tesseract's page separator). The texts must be equal.
2. Chamfer to an image, nearest neighbours of ~4,000 ink pixels and a long prediction (an
   untrained model's scribble): all pairs in chunks (the baseline) vs a k-d tree
   (``metrics._nn_mean``). The distances must be equal.

Wall seconds, median of ``--repeats`` after a warm-up; ratio = baseline / ours.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from inkrepro.evaluate import metrics as M
from inkrepro.evaluate import reader
from inkrepro.ink import geometry
from inkrepro.ink.core import Ink
from inkrepro.ink.demo import hershey_ink

WORDS = ("handwriting", "derender", "minimum", "paper", "ink", "stroke", "model", "word")


def median_seconds(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def word_inks(n: int) -> list[Ink]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        ink, _ = geometry.fit_to_frame(hershey_ink(WORDS[i % len(WORDS)], "cursive").without_time(), 224, margin=8)
        out.append(ink.translate(*rng.normal(0, 2, 2)))
    return out


def all_pairs_nn_mean(a: np.ndarray, b: np.ndarray, chunk: int = 2048) -> float:
    out = []
    for i in range(0, len(a), chunk):
        d = ((a[i:i + chunk, None, :] - b[None, :, :]) ** 2).sum(-1)
        out.append(np.sqrt(d.min(axis=1)))
    return float(np.concatenate(out).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=96, help="word inks read by Tesseract")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="results/benchmarks/evaluation_scoring.md")
    a = ap.parse_args()
    rows = []

    if reader.available():
        imgs = [reader.render_for_ocr(i) for i in word_inks(a.n)]

        def per_image():
            with ThreadPoolExecutor(2) as ex:
                return list(ex.map(reader._ocr, imgs))

        def per_list():
            return reader._ocr_parallel(imgs, 2, "eng")

        assert per_image() == per_list(), "the list reader must read what the per-image reader reads"
        base, ours = median_seconds(per_image, a.repeats), median_seconds(per_list, a.repeats)
        rows.append((f"Tesseract, {a.n} word inks, 2 threads", "one process per image", base,
                     "one process per list", ours))
    else:
        rows.append(("Tesseract", "not installed: " + reader.INSTALL_HINT, float("nan"), "", float("nan")))

    rng = np.random.default_rng(1)
    pix = rng.uniform(0, 224, (4000, 2))
    scribble = np.cumsum(rng.normal(0, 3, (4000, 2)), 0) % 224
    assert abs(all_pairs_nn_mean(scribble, pix) - M._nn_mean(scribble, pix)) < 1e-9
    base = median_seconds(lambda: (all_pairs_nn_mean(scribble, pix), all_pairs_nn_mean(pix, scribble)), a.repeats)
    ours = median_seconds(lambda: (M._nn_mean(scribble, pix), M._nn_mean(pix, scribble)), a.repeats)
    rows.append(("Chamfer to image, 4,000 ink pixels x 4,000 predicted points", "all pairs", base,
                 "k-d tree (scipy)", ours))

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = ["# Evaluation scoring: Tesseract and Chamfer against their baselines", "",
             f"`benchmarks/evaluation_scoring.py` on {platform.machine()}, Python {platform.python_version()}, "
             f"{dt.date.today()}; wall seconds, median of {a.repeats} after a warm-up; ratio = baseline / ours. "
             "Outputs are checked equal before timing.",
             f"Load average at the end: {load} on {os.cpu_count()} CPUs (a shared machine varies).", "",
             "| what | baseline | s | ours | s | ratio |", "|---|---|---:|---|---:|---:|"]
    for what, bname, b, oname, o in rows:
        lines.append(f"| {what} | {bname} | {b:.3f} | {oname} | {o:.3f} | {b / o:.1f}x |")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
