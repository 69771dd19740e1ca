"""``inkrepro results build`` and ``inkrepro reproduce``: sweeps and records, then every table
and figure, each through its notebook; the executed notebooks (outputs in) are published under
``<results>/notebooks/`` for readers (the sources in ``notebooks/`` stay output-free)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat

from inkrepro import summary, tracking
from inkrepro.experiments import results, spec, sweep


def publish_notebook(executed: Path, dst: Path) -> Path:
    """Copy an executed notebook for readers, without this machine's absolute paths."""
    nb = nbformat.read(str(executed), as_version=4)
    pm_meta = nb.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        if key in pm_meta:
            pm_meta[key] = Path(pm_meta[key]).name
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(dst))
    return dst


def build_results(profile: str, out: str | Path | None = None, *, only=None,
                  notebooks: bool = True, parent_run_id: str | None = None,
                  log=print) -> dict[str, str]:
    """Run every results builder (as its notebook, by default); returns {name: failure}.

    One MLflow run ``results-build`` holds the executed notebooks and the index; each builder
    logs its tables and figures to its own child run."""
    rdir = results.results_dir_for(profile, out).resolve()
    rdir.mkdir(parents=True, exist_ok=True)
    shown_dir = os.path.relpath(rdir) if rdir.is_relative_to(Path.cwd()) else str(rdir)
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
                    (rdir / "notebooks" / nb.name).unlink(missing_ok=True)
                    try:
                        sweep.execute_notebook(name, nb, {
                            "profile": profile, "results_dir": shown_dir,
                            "parent_run_id": r.info.run_id})
                    finally:
                        if nb.exists():
                            tracking.log_artifact(nb, "notebooks")
                    publish_notebook(nb, rdir / "notebooks" / nb.name)
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


def reproduce(profile: str = "laptop", *, workers: int = 1, specs=None, out=None,
              notebooks: bool = True, progress: bool = True) -> int:
    """Every sweep's ``profile`` and the model-variant records, then every table and figure;
    returns an exit status."""
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
            outcomes = sweep.run_sweep(s, profile, workers=workers, progress=progress)
            state[s.name] = [o.state for o in outcomes]
        summary.log_variants(profile, parent_run_id=r.info.run_id)   # `inkrepro model summary --log`
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
