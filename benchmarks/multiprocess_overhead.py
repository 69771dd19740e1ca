"""Multi-process overhead per training step: the smoke model on the same 8 CPU devices as one
process (8 devices) and as two processes x 4 devices (gloo collectives, coordinator on
localhost). Step time = the mean of the logged windows after the first (compilation excluded).
Writes results/benchmarks/multiprocess_overhead.md.

    .venv/bin/python benchmarks/multiprocess_overhead.py [--steps 40]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from inkrepro import cluster

ROOT = Path(__file__).resolve().parents[1]
CODE = ("import sys; from inkrepro import config, train; "
        "train.train(config.profile('smoke', sys.argv[2:]), sys.argv[1])")


def step_time(processes: int, steps: int, every: int) -> float:
    with tempfile.TemporaryDirectory() as d:
        ov = ["train.track=false", "train.progress=false", "train.eval_every=0", f"train.steps={steps}",
              "train.batch_size=8", "train.mesh_fsdp=2", f"train.checkpoint_every={steps}",
              f"train.log_every={every}"]
        env = {**os.environ, "INKREPRO_NO_PROGRESS": "1"}
        procs = cluster.local_processes([sys.executable, "-c", CODE, f"{d}/w", *ov], processes, 8, env, cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for p in procs:
            out, _ = p.communicate(timeout=1800)
            if p.returncode:
                raise SystemExit(out[-3000:])
        rows = [json.loads(x) for x in Path(f"{d}/w/metrics.jsonl").read_text().splitlines()]
        eps = [r["train/examples_per_s"] for r in rows if "train/examples_per_s" in r][1:]
        return 8 / (sum(eps) / len(eps))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--out", default="results/benchmarks/multiprocess_overhead.md")
    a = ap.parse_args()
    one, two = step_time(1, a.steps, a.every), step_time(2, a.steps, a.every)
    md = ("# Multi-process overhead (benchmarks/multiprocess_overhead.py)\n\n"
          "Smoke model, global batch 8, data=4 x fsdp=2 mesh on 8 CPU devices; step time is the mean over\n"
          f"logged windows after the first ({a.steps} steps, windows of {a.every}).\n\n"
          "| setup | step time |\n|---|---|\n"
          f"| 1 process x 8 devices | {one * 1000:.1f} ms |\n"
          f"| 2 processes x 4 devices (gloo) | {two * 1000:.1f} ms |\n"
          f"| **ratio 2-process / 1-process** | **{two / one:.2f}** |\n\n"
          f"Machine: {os.cpu_count()} CPU cores, shared with other jobs at the time (load: "
          f"{os.getloadavg()[0]:.1f}); the ratio is what to quote, not the absolute times.\n")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(md)
    print(md)


if __name__ == "__main__":
    main()
