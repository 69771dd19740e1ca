"""Records per second of `inkrepro data prepare` on one CPU core: an image dataset (IAM offline
words, PNG word crops) and an ink dataset (IAM-OnDB lineStrokes XML), both generated here in the
datasets' native formats. Writes results/benchmarks/prepare.md.

    .venv/bin/python benchmarks/prepare.py [--words 600] [--lines 300] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from inkrepro.data import prepare

REPO = Path(__file__).resolve().parents[1]


def make_iam_words(root: Path, n: int, rng: np.random.Generator) -> None:
    (root / "ascii").mkdir(parents=True)
    lines = []
    for i in range(n):
        form, line, word = f"a{i // 100:02d}-{i // 10 % 10:03d}u", i // 5 % 2, i % 5
        wid = f"{form}-{line:02d}-{word:02d}"
        h, w = int(rng.integers(40, 90)), int(rng.integers(60, 260))  # IAM-like word crops
        img = np.full((h, w), 235, np.uint8)
        for _ in range(6):  # a few dark strokes so PNG has something to compress
            y, x = int(rng.integers(0, h)), int(rng.integers(0, w - 20))
            img[max(0, y - 2):y + 2, x:x + 20] = 30
        p = root / "words" / form.split("-")[0] / form / f"{wid}.png"
        p.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img, mode="L").save(p)
        lines.append(f"{wid} ok 154 0 0 {w} {h} NN word{i}")
    (root / "ascii" / "words.txt").write_text("# words\n" + "\n".join(lines) + "\n")


def make_iamondb(root: Path, n: int, rng: np.random.Generator) -> None:
    for i in range(n):
        form = f"a{i // 20:02d}-{i // 20 % 1000:03d}u"
        k = i % 20 + 1
        d = root / "lineStrokes" / form[:3] / form[:7]
        d.mkdir(parents=True, exist_ok=True)
        strokes, t = [], 0.0
        for _ in range(int(rng.integers(20, 40))):  # a text line: ~30 strokes of ~25 points
            m = int(rng.integers(10, 40))
            xy = np.cumsum(rng.normal(0, 5, (m, 2)), axis=0) + rng.integers(0, 5000, 2)
            pts = "".join(f'<Point x="{int(x)}" y="{int(y)}" time="{t + j * 0.01:.2f}"/>'
                          for j, (x, y) in enumerate(xy))
            strokes.append(f'<Stroke colour="black" start_time="{t}" end_time="{t + m * 0.01}">{pts}</Stroke>')
            t += m * 0.01 + 0.2
        (d / f"{form}-{k:02d}.xml").write_text(
            "<WhiteboardCaptureSession><StrokeSet>" + "".join(strokes) + "</StrokeSet></WhiteboardCaptureSession>")
        a = root / "ascii" / form[:3] / form[:7]
        a.mkdir(parents=True, exist_ok=True)
        (a / f"{form}.txt").write_text("CSR:\n\n" + "\n".join(f"line {j}" for j in range(1, 21)) + "\n")


def bench(name: str, root: Path, tmp: Path, repeats: int) -> tuple[int, list[float]]:
    rates = []
    n = 0
    for r in range(repeats + 1):  # the first run warms the file cache and is discarded
        out = tmp / f"out-{name}-{r}"
        t0 = time.perf_counter()
        rep = prepare.prepare(name, root, out, progress=False)
        dt = time.perf_counter() - t0
        n = rep["examples"]
        if r:
            rates.append(n / dt)
    return n, rates


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=600)
    ap.add_argument("--lines", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=str(REPO / "results" / "benchmarks" / "prepare.md"))
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        make_iam_words(tmp / "iam", args.words, rng)
        make_iamondb(tmp / "iamondb", args.lines, rng)
        rows = []
        for name, what in (("iam", "image: IAM words, PNG crops 60-260 x 40-90 px"),
                           ("iamondb", "ink: IAM-OnDB lines, ~30 strokes x ~25 points, XML")):
            n, rates = bench(name, tmp / name, tmp, args.repeats)
            rows.append((name, what, n, statistics.median(rates), min(rates), max(rates)))
            print(f"{name}: {n} records, median {statistics.median(rates):.1f} records/s", file=sys.stderr)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# prepare throughput (one CPU core)", "",
             f"`{' '.join(['benchmarks/prepare.py'] + sys.argv[1:])}` on {platform.processor() or platform.machine()}, "
             f"Python {platform.python_version()}; read + decode + encode (PNG) + Parquet write, "
             f"median of {args.repeats} runs after a warm-up run (files generated in the native "
             "formats by the script).",
             f"Load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on "
             f"{os.cpu_count()} CPUs (numbers on a shared machine vary by several times).", "",
             "| dataset | records | records/s (median) | min | max |", "|---|---:|---:|---:|---:|"]
    for name, what, n, med, lo, hi in rows:
        lines.append(f"| {name} ({what}) | {n} | {med:.1f} | {lo:.1f} | {hi:.1f} |")
    out.write_text("\n".join(lines) + "\n")
    print(out.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
