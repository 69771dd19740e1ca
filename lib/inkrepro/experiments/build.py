"""``inkrepro results build`` and ``inkrepro reproduce``: sweeps, then every table and figure."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from inkrepro import tracking
from inkrepro.experiments import results, spec, sweep


def build_results(profile: str, out: str | Path | None = None, *, only=None,
                  notebooks: bool = True, parent_run_id: str | None = None,
                  log=print) -> dict[str, str]:
    """Run every results builder (as its notebook, by default); returns {name: failure}.

    One MLflow run ``results-build`` holds the executed notebooks and the index; each builder
    logs its tables and figures to its own child run."""
    rdir = results.results_dir_for(profile, out).resolve()
    rdir.mkdir(parents=True, exist_ok=True)
    names = list(only or results.ORDER)
    failures: dict[str, str] = {}
    nbout = tracking.runs_dir() / "results_notebooks" / profile
    with tracking.run(f"results-build:{profile}", parent_run_id=parent_run_id,
                      tags={"inkrepro_kind": "results_build", "profile": profile}) as r:
        for name in names:
            t0 = time.perf_counter()
            try:
                if notebooks:
                    nb = nbout / f"{name}.ipynb"
                    try:
                        sweep.execute_notebook(name, nb, {
                            "profile": profile, "results_dir": str(rdir),
                            "parent_run_id": r.info.run_id})
                    finally:
                        if nb.exists():
                            tracking.log_artifact(nb, "notebooks")
                else:
                    results.build(name, profile=profile, results_dir=rdir,
                                  parent_run_id=r.info.run_id)
                log(f"results: {name} ({time.perf_counter() - t0:.0f} s)")
            except Exception as e:  # noqa: BLE001 - one broken table never stops the others
                failures[name] = sweep.describe_error(e)[:300]
                log(f"results: {name} FAILED: {failures[name]}", file=sys.stderr)
        idx = results.write_index(rdir, profile, names=list(results.ORDER), failures=failures)
        tracking.log_artifact(idx, "index")
        tracking.log_metrics({"failed_builders": len(failures)})
        if failures:
            tracking.set_tags({"failed": ", ".join(failures)})
    log(f"results: index {idx}")
    return failures


def reproduce(profile: str = "laptop", *, jobs: int = 1, specs=None, out=None,
              notebooks: bool = True, progress: bool = True) -> int:
    """Every sweep's ``profile``, then every table and figure; returns an exit status."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    t0 = time.perf_counter()
    paths = [spec.find_spec(s) for s in specs] if specs else spec.all_spec_paths()
    state = {}
    with tracking.run(f"reproduce:{profile}", tags={"inkrepro_kind": "reproduce",
                                                     "profile": profile}) as r:
        for p in paths:
            s = spec.load_spec(p)
            if profile not in s.profiles:
                print(f"reproduce: {s.name} has no {profile!r} profile; skipped")
                continue
            outcomes = sweep.run_sweep(s, profile, jobs=jobs, progress=progress)
            state[s.name] = [o.state for o in outcomes]
        sweep_s = time.perf_counter() - t0
        failures = build_results(profile, out, notebooks=notebooks, parent_run_id=r.info.run_id)
        wall = time.perf_counter() - t0
        n_failed = sum(st.count("failed") for st in state.values())
        tracking.log_metrics({"wall_seconds": wall, "sweep_seconds": sweep_s,
                              "results_seconds": wall - sweep_s, "failed_jobs": n_failed,
                              "failed_results": len(failures)})
    print(f"reproduce: sweeps {sweep_s / 60:.1f} min, results {(wall - sweep_s) / 60:.1f} min; "
          f"failed jobs {n_failed}, failed tables/figures {len(failures)}")
    return 1 if (n_failed or failures) else 0
