"""Share of a sweep job's wall time spent outside training and evaluation (kernel start,
papermill, MLflow bookkeeping). Goal: under 10% for a laptop-profile arm.

Default: runs one fresh laptop arm (``training_tasks`` / ``all_five``, seed 0) in a temporary
runs folder and measures it. ``--from-runs``: instead read every finished laptop job already
recorded under ``runs/`` (e.g. after ``make reproduce``) -- no extra compute.
Writes ``results/benchmarks/sweep_overhead.md``.

    .venv/bin/python benchmarks/sweep_overhead.py [--from-runs] [--profile laptop]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _fresh(profile: str, spec_name: str, arm: str) -> list[dict]:
    from inkrepro.experiments import spec, sweep

    os.environ["INKREPRO_RUNS"] = tempfile.mkdtemp(prefix="inkrepro-overhead-")
    s = spec.load_spec(spec_name)
    spec.load_callable(s.steps["prepare"])(profile=profile)     # the sweep's explicit first step
    jobs = [j for j in spec.expand(s, profile) if j.arm == arm][:1]
    out = sweep.run_job(jobs[0], s, None, force=True)
    if out.state != "done":
        sys.exit(f"benchmark job failed: {out.detail}")
    return [out.metrics | {"arm": arm, "seed": jobs[0].seed}]


def _from_runs(profile: str) -> list[dict]:
    from inkrepro import tracking

    df = tracking.search_runs(f"tags.inkrepro_kind = 'job' and tags.profile = '{profile}' and "
                              "attributes.status = 'FINISHED'")
    rows = []
    for _, r in df.iterrows():
        m = {k[8:]: v for k, v in r.items() if k.startswith("metrics.") and v == v}
        if "job_seconds" in m:
            rows.append(m | {"arm": r["tags.arm"], "seed": r["tags.seed"]})
    if not rows:
        sys.exit(f"no finished {profile} jobs under {tracking.runs_dir()}; run without --from-runs")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="laptop")
    ap.add_argument("--spec", default="training_tasks")
    ap.add_argument("--arm", default="all_five")
    ap.add_argument("--from-runs", action="store_true")
    a = ap.parse_args()
    t0 = time.perf_counter()
    rows = _from_runs(a.profile) if a.from_runs else _fresh(a.profile, a.spec, a.arm)
    lines = ["# Sweep overhead", "",
             f"Share of each sweep job's wall time spent outside the training and evaluation calls "
             f"(kernel start-up, papermill, MLflow). Profile `{a.profile}`; "
             f"{'recorded runs' if a.from_runs else 'one fresh job'}; "
             f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs. Goal: < 10%.", "",
             "| arm | seed | job s | train s | eval s | overhead s | overhead share |",
             "|---|---|---|---|---|---|---|"]
    shares, tot_job, tot_over = [], 0.0, 0.0
    for m in rows:
        job, tr = m["job_seconds"], m.get("train_seconds", 0.0)
        ev, over = m.get("eval_seconds", 0.0), m.get("overhead_seconds", 0.0)
        shares.append(over / job if job else 0.0)
        tot_job, tot_over = tot_job + job, tot_over + over
        lines.append(f"| {m['arm']} | {m['seed']} | {job:.1f} | {tr:.1f} | {ev:.1f} | {over:.1f} | "
                     f"{100 * over / job:.1f}% |")
    total = 100 * tot_over / tot_job if tot_job else 0.0
    lines += ["", f"**Overall: {total:.1f}% of {tot_job:.0f} s job wall time is overhead** "
              f"({'meets' if total < 10 else 'misses'} the < 10% goal). Measured in "
              f"{time.perf_counter() - t0:.0f} s.", "",
              "Jobs that reuse a checkpoint (eval-only arms) have no training time, so their "
              "share is higher; the table lists every job."]
    out = REPO / "results" / "benchmarks" / "sweep_overhead.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
