"""Verbs: ``inkrepro sweep``, ``inkrepro results build``, ``inkrepro reproduce`` (the main job);
argument parsing only, each handler imports the module that does the work (see ``inkrepro.cli``)."""

from __future__ import annotations

import argparse
import os
import time


def register(sub) -> None:
    p = sub.add_parser("sweep", help="run an ablation spec (arms x seeds) with papermill + MLflow",
                       description="Expand a sweep spec's arms x seeds for a profile and run each "
                       "train+evaluate notebook pair; finished jobs are skipped, failed ones retried.")
    p.add_argument("spec", help="ablations/<name>.yaml or a spec name (e.g. training_tasks)")
    p.add_argument("--profile", default="laptop", help="smoke | laptop | gpu | paper")
    p.add_argument("--dry-run", action="store_true", help="print the plan and each job's state")
    p.add_argument("--workers", type=int, default=1, help="jobs run in parallel (default 1)")
    p.add_argument("--force", action="store_true", help="rerun jobs even if finished")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_sweep)

    lp = sub.add_parser("launch", help="a sweep's arms x seeds as SkyPilot managed jobs (one training each)",
                        description="Submit each arm x seed of SPEC not trained yet as a SkyPilot managed "
                        "job (task YAMLs in launch/); MLFLOW_TRACKING_URI is passed as a secret.")
    lp.add_argument("spec", help="ablations/<name>.yaml or a spec name")
    lp.add_argument("--profile", default="paper")
    lp.add_argument("--on", default="tpu-v5e", help="tpu-v5e | gpu (launch/*.yaml)")
    lp.add_argument("--bucket", required=True, help="gs://BUCKET/path for workdirs and checkpoints")
    lp.add_argument("--dry-run", action="store_true", help="print each job's resources, envs and command")
    lp.set_defaults(func=_launch)

    r = sub.add_parser("results", help="tables and figures from the MLflow records")
    rs = r.add_subparsers(dest="results_cmd", metavar="CMD")
    b = rs.add_parser("build", help="regenerate every table and figure from existing runs "
                      "(no training)")
    b.add_argument("--profile", default="laptop")
    b.add_argument("--out", default=None, help="results folder (default results/ for laptop, "
                   "results/<profile>/ otherwise)")
    b.add_argument("--only", nargs="*", default=None, help="builder names (default: all)")
    b.add_argument("--direct", action="store_true",
                   help="call the builders in-process instead of executing their notebooks")
    b.set_defaults(func=_results_build)
    r.set_defaults(func=lambda a: (r.print_help(), 1)[1])

    m = sub.add_parser("reproduce", help="the main job: every sweep of a profile, then every "
                       "table and figure")
    m.add_argument("--profile", default="laptop")
    m.add_argument("--workers", type=int, default=1, help="jobs run in parallel (default 1)")
    m.add_argument("--specs", nargs="*", default=None, help="spec names (default: ablations/*)")
    m.add_argument("--out", default=None)
    m.add_argument("--direct", action="store_true")
    m.add_argument("--no-progress", action="store_true")
    m.set_defaults(func=_reproduce)


def _sweep(a: argparse.Namespace) -> int:
    from inkrepro.experiments import spec, sweep

    s = spec.load_spec(a.spec)
    outcomes = sweep.run_sweep(s, a.profile, workers=a.workers, dry_run=a.dry_run, force=a.force,
                               progress=not a.no_progress)
    return 1 if any(o.state == "failed" for o in outcomes) else 0


def _launch(a: argparse.Namespace) -> int:
    from inkrepro import launch
    from inkrepro.experiments import spec

    launches, skipped = launch.plan(spec.load_spec(a.spec), a.profile, a.on, a.bucket)
    for line in skipped:
        print(f"skip {line}")
    if a.dry_run or not launches:
        print(launch.describe(launches) or "nothing to launch")
        return 0
    launch.submit(launches, {k: os.environ.get(k, "") for k in ("MLFLOW_TRACKING_URI",)})
    print(f"launched {len(launches)} managed job(s): {', '.join(x.name for x in launches)}")
    return 0


def _results_build(a: argparse.Namespace) -> int:
    from inkrepro.experiments import build

    failed = build.build_results(a.profile, a.out, only=a.only, notebooks=not a.direct)
    return 1 if failed else 0


def _reproduce(a: argparse.Namespace) -> int:
    from inkrepro.experiments import build

    t0 = time.perf_counter()
    rc = build.reproduce(a.profile, workers=a.workers, specs=a.specs, out=a.out,
                         notebooks=not a.direct, progress=not a.no_progress)
    print(f"inkrepro reproduce --profile {a.profile}: {(time.perf_counter() - t0) / 60:.1f} min wall")
    return rc
