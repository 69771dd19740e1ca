"""The sweep runner: arms x seeds -> papermill train/evaluate notebooks, one MLflow child run each.

State lives in MLflow (one parent run per invocation, one child run per arm x seed) and in
content-addressed work folders ``runs/work/<config_hash>`` holding checkpoints. Rules:
- the spec's ``prepare`` step runs once before any job (e.g. trains the recognizer);
- a job whose ``job_hash`` has a FINISHED child run is skipped (idempotent reruns);
- a job whose training config already finished training (``<workdir>/result.json``, written by
  the trainer) only evaluates it (shared arms across sweeps, eval-only arms);
- the train notebook gets the job's resolved config (a mapping), the evaluate notebook the
  job's evaluation settings; the job's run links to the train and evaluate runs (tags
  ``train_run`` and ``eval_run``) and records only its own timing, no copy of their metrics:
  ``job_seconds``, ``train_seconds`` (the trainer's own wall time, 0 when reused),
  ``eval_seconds`` (the evaluation's own) and ``overhead_seconds`` (the rest: kernel start-up,
  imports, papermill, MLflow);
- a failing job is recorded FAILED with its executed notebook attached, and the sweep goes on;
  the next invocation retries it (training resumes from its last checkpoint);
- Ctrl-C marks the running job FAILED (tag ``state=interrupted``), prints the summary and exits;
- concurrent sweeps on one ``runs/`` are safe: a job runs holding ``runs/locks/<config_hash>.lock``
  (its work folder; ``tracking.locked``), so a second sweep waits for a job another process
  holds and then finds it finished (skipped) or trained (evaluate only); the MLflow store is
  created under ``tracking.setup``'s lock.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import json
import logging
import os
import signal
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import papermill as pm
from tqdm import tqdm

from inkrepro import tracking
from inkrepro.experiments.spec import Job, Spec, describe_plan, expand, load_callable

REPO = Path(__file__).resolve().parents[3]
NOTEBOOKS = REPO / "notebooks"
KERNEL = "inkrepro"


@dataclasses.dataclass
class Outcome:
    job: Job
    state: str                 # done | skipped | failed | interrupted | not run
    run_id: str = ""
    seconds: float = 0.0
    detail: str = ""
    metrics: dict[str, float] = dataclasses.field(default_factory=dict)


# ---------------------------------------------------------------- kernel + papermill

def ensure_kernel(name: str = KERNEL) -> str:
    """A Jupyter kernelspec running *this* Python (the venv's), installed at first use under
    ``sys.prefix/share/jupyter/kernels`` (works from a fresh clone, touches nothing in $HOME)."""
    d = Path(sys.prefix) / "share" / "jupyter" / "kernels" / name
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                     "--IPKernelApp.log_level=CRITICAL"],
            "display_name": f"Python ({name})", "language": "python",
            "metadata": {"debugger": False}}
    f = d / "kernel.json"
    try:
        if not f.exists() or json.loads(f.read_text()).get("argv") != spec["argv"]:
            d.mkdir(parents=True, exist_ok=True)
            tmp = f.with_suffix(".tmp")
            tmp.write_text(json.dumps(spec, indent=1))
            tmp.replace(f)
    except OSError:
        return "python3"  # read-only prefix: jupyter maps "python" to sys.executable
    return name


def execute_notebook(name: str, out: Path, parameters: dict[str, Any],
                     cwd: Path | None = None) -> Path:
    """Run ``notebooks/<name>.ipynb`` with papermill into ``out`` (kept even when it fails)."""
    logging.getLogger("papermill").setLevel(logging.WARNING)
    out.parent.mkdir(parents=True, exist_ok=True)
    # the kernel inherits the environment: no tqdm bars inside executed notebooks
    old = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = "1"
    seen: list[int] = []   # a Ctrl-C that papermill/nbclient absorbed (it interrupts the kernel)
    prev = None
    if threading.current_thread() is threading.main_thread():
        prev = signal.getsignal(signal.SIGINT)

        def on_sigint(signum, frame):
            seen.append(signum)
            raise KeyboardInterrupt

        signal.signal(signal.SIGINT, on_sigint)
    try:
        pm.execute_notebook(str(NOTEBOOKS / f"{name}.ipynb"), str(out), parameters=parameters,
                            kernel_name=ensure_kernel(), progress_bar=False, log_output=False,
                            cwd=str(cwd or Path.cwd()))
    except Exception as e:
        e._inkrepro_notebook = f"{name}.ipynb"
        if seen:
            raise KeyboardInterrupt from e
        raise
    finally:
        if prev is not None:
            signal.signal(signal.SIGINT, prev)
        if old is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = old
    if seen:   # interrupted, even if the notebook ran to its end
        raise KeyboardInterrupt
    return out


# ---------------------------------------------------------------- MLflow state

def _q(v: str) -> str:
    return "'" + str(v).replace("'", "") + "'"


def find_finished(job_hash: str) -> dict[str, Any] | None:
    df = tracking.search_runs(f"tags.job_hash = {_q(job_hash)} and tags.inkrepro_kind = 'job'"
                              " and attributes.status = 'FINISHED'",
                              order_by=["attributes.start_time DESC"], max_results=1)
    return None if df.empty else df.iloc[0].to_dict()


def work_dir(config_hash: str) -> Path:
    return tracking.runs_dir() / "work" / config_hash


def trained(workdir: Path) -> dict[str, Any] | None:
    """The record of a finished training in ``workdir`` (``result.json``), or None."""
    try:
        return json.loads((workdir / "result.json").read_text())
    except (OSError, ValueError):
        return None


def evaluation_run(job_run_id: str) -> dict[str, Any] | None:
    """The newest finished evaluation run nested under a job's run."""
    df = tracking.search_runs(f"tags.mlflow.parentRunId = {_q(job_run_id)} and "
                              "tags.inkrepro_kind = 'evaluate' and attributes.status = 'FINISHED'",
                              order_by=["attributes.start_time DESC"], max_results=1)
    return None if df.empty else df.iloc[0].to_dict()


# ---------------------------------------------------------------- one job

class _JobFailed(Exception):
    pass


def describe_error(e: BaseException) -> str:
    """One line: for a failed notebook, the kernel's exception (not papermill's banner)."""
    if hasattr(e, "ename") and hasattr(e, "evalue"):
        where = getattr(e, "_inkrepro_notebook", "notebook")
        return f"{where}: {e.ename}: {e.evalue}"[:1000]
    return f"{type(e).__name__}: {e}".strip()[:1000]


def job_lock(config_hash: str) -> Path:
    return tracking.runs_dir() / "locks" / f"{config_hash}.lock"


def run_job(job: Job, spec: Spec, parent_run_id: str | None, *, force: bool = False,
            log=print) -> Outcome:
    """Train (unless its config's checkpoint exists) then evaluate one arm x seed, holding the
    lock of its work folder (waits while another sweep holds it)."""
    with tracking.locked(job_lock(job.config_hash), wait=False) as free:
        if free:
            return _run_job(job, spec, parent_run_id, force=force)
    log(f"{job.key}: work folder {job.config_hash} is held by another sweep; waiting for it")
    with tracking.locked(job_lock(job.config_hash)):
        return _run_job(job, spec, parent_run_id, force=force)


def _run_job(job: Job, spec: Spec, parent_run_id: str | None, *, force: bool) -> Outcome:
    if not force:
        prev = find_finished(job.job_hash)
        if prev is not None:
            mets = {k[8:]: v for k, v in prev.items() if k.startswith("metrics.") and v == v}
            return Outcome(job, "skipped", prev["run_id"], 0.0, "finished earlier", mets)
    wd = work_dir(job.config_hash)
    nbdir = tracking.runs_dir() / "notebooks" / job.sweep / job.profile / f"{job.arm}-seed{job.seed}"
    tags = {"inkrepro_kind": "job", "sweep": job.sweep, "arm": job.arm, "label": job.label,
            "seed": job.seed, "profile": job.profile, "config_hash": job.config_hash,
            "job_hash": job.job_hash, "from_arm": job.from_arm or "", "state": "running",
            "workdir": str(wd)}
    t0 = time.perf_counter()
    outcome = Outcome(job, "failed")
    try:
        with tracking.run(f"{job.sweep}:{job.key}", parent_run_id=parent_run_id, tags=tags) as r:
            outcome.run_id = r.info.run_id
            tracking.log_params({"evaluate": job.evaluate,
                                 "overrides": json.dumps(job.overrides, sort_keys=True)})
            try:
                metrics = _execute(job, spec, wd, nbdir, r.info.run_id)
            except KeyboardInterrupt:
                tracking.set_tags({"state": "interrupted"})
                _attach(nbdir)
                raise
            except Exception as e:  # noqa: BLE001 - one failing arm never stops the others
                msg = describe_error(e)
                tracking.set_tags({"state": "failed", "error": msg[:500]})
                _attach(nbdir)
                outcome.detail = msg.splitlines()[0][:300] if msg else type(e).__name__
                raise _JobFailed from e
            _attach(nbdir)
            metrics["job_seconds"] = time.perf_counter() - t0
            metrics["overhead_seconds"] = (metrics["job_seconds"] - metrics["train_seconds"]
                                           - metrics["eval_seconds"])
            tracking.log_metrics(metrics)
            tracking.set_tags({"state": "done"})
            outcome.state, outcome.metrics = "done", metrics
    except _JobFailed:
        outcome.state = "failed"
    except KeyboardInterrupt:
        outcome.state, outcome.detail = "interrupted", "Ctrl-C"
        outcome.seconds = time.perf_counter() - t0
        raise _Interrupted(outcome) from None
    outcome.seconds = time.perf_counter() - t0
    return outcome


class _Interrupted(Exception):
    def __init__(self, outcome: Outcome):
        self.outcome = outcome


def _attach(nbdir: Path) -> None:
    if nbdir.exists():
        for f in sorted(nbdir.glob("*.ipynb")):
            tracking.log_artifact(f, "notebooks")


def _execute(job: Job, spec: Spec, wd: Path, nbdir: Path, run_id: str) -> dict[str, float]:
    """Train (unless done) and evaluate; -> the job's own timing metrics."""
    result = trained(wd)
    train_seconds = 0.0
    if result is None:
        execute_notebook("train", nbdir / "train.ipynb", {
            "config": job.config, "workdir": str(wd), "parent_run_id": run_id,
            "train_fn": spec.steps["train"]})
        result = trained(wd)
        if result is None:
            raise RuntimeError(f"the train step finished without a training record ({wd / 'result.json'})")
        train_seconds = float(result.get("seconds", 0.0))
        tracking.set_tags({"trained": "here"})
    else:
        tracking.set_tags({"trained": f"reused:{result.get('run_id') or '?'}"})
    tracking.set_tags({"train_run": result.get("run_id", ""),
                       "checkpoint": result.get("checkpoint", "")})
    execute_notebook("evaluate", nbdir / "evaluate.ipynb", {
        "profile": job.profile, "workdir": str(wd), "options": job.evaluate,
        "parent_run_id": run_id, "evaluate_fn": spec.steps["evaluate"]})
    ev = evaluation_run(run_id)
    if ev is None:
        raise RuntimeError("the evaluate step finished without an evaluation run in MLflow")
    tracking.set_tags({"eval_run": ev["run_id"],
                       "recognizer_version": ev.get("tags.recognizer_version") or ""})
    eval_seconds = float(ev.get("metrics.eval/seconds") or 0.0)
    return {"train_seconds": train_seconds,
            "eval_seconds": eval_seconds if eval_seconds == eval_seconds else 0.0}


# ---------------------------------------------------------------- the sweep

class _Progress:
    """tqdm bar over jobs with the running arm's ETA (mean seconds of finished jobs)."""

    def __init__(self, jobs: list[Job], enabled: bool):
        self.left = defaultdict(int)
        for j in jobs:
            self.left[j.arm] += 1
        self.times: list[float] = []
        self.bar = tqdm(total=len(jobs), unit="job", disable=not enabled, dynamic_ncols=True,
                        file=sys.stderr)

    def start(self, job: Job) -> None:
        mean = sum(self.times) / len(self.times) if self.times else None
        eta = f"{self.left[job.arm] * mean / 60:.1f} min" if mean else "?"
        self.bar.set_description(f"{job.key} (arm ETA {eta})")

    def done(self, o: Outcome) -> None:
        self.left[o.job.arm] -= 1
        if o.state in ("done", "failed"):
            self.times.append(o.seconds)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def summary_table(outcomes: list[Outcome]) -> str:
    lines = ["| arm | seed | state | minutes | run | detail |", "|---|---|---|---|---|---|"]
    for o in outcomes:
        lines.append(f"| {o.job.arm} | {o.job.seed} | {o.state} | {o.seconds / 60:.2f} | "
                     f"{o.run_id[:8]} | {o.detail.replace('|', '/')[:120]} |")
    return "\n".join(lines)


def run_sweep(spec: Spec, profile: str, *, workers: int = 1, dry_run: bool = False,
              force: bool = False, progress: bool = True, log=print) -> list[Outcome]:
    """Run every arm x seed of ``spec`` for ``profile`` (``workers`` jobs at a time); returns
    one Outcome per job."""
    plan = expand(spec, profile)
    if dry_run:
        states = {}
        for j in plan:
            prev = find_finished(j.job_hash)
            done = trained(work_dir(j.config_hash)) is not None
            states[j.key] = "done: skip" if prev else ("trained: evaluate only" if done
                                                        else "to run")
        log(describe_plan(spec, plan, states))
        return []
    os.environ.setdefault("MPLBACKEND", "Agg")
    load_callable(spec.steps["prepare"])(profile=profile)
    outcomes: dict[int, Outcome] = {}
    bar = _Progress(plan, progress)
    interrupted = False
    with tracking.run(f"sweep:{spec.name}:{profile}",
                      tags={"inkrepro_kind": "sweep", "sweep": spec.name, "profile": profile,
                            "spec": spec.path}) as parent:
        pid = parent.info.run_id
        # Phase 1: jobs that train a new config; phase 2: jobs sharing a config (eval-only).
        seen: set[str] = set()
        phases: list[list[int]] = [[], []]
        for i, j in enumerate(plan):
            phases[j.config_hash in seen].append(i)
            seen.add(j.config_hash)
        try:
            for phase in phases:
                if workers <= 1:
                    for i in phase:
                        bar.start(plan[i])
                        outcomes[i] = run_job(plan[i], spec, pid, force=force, log=log)
                        bar.done(outcomes[i])
                else:
                    _parallel(plan, phase, spec, pid, force, workers, bar, outcomes, log)
        except _Interrupted as e:
            interrupted = True
            idx = plan.index(e.outcome.job)
            outcomes[idx] = e.outcome
        except KeyboardInterrupt:
            interrupted = True
        finally:
            bar.close()
        result = [outcomes.get(i, Outcome(j, "not run", detail="interrupted" if interrupted
                                          else "")) for i, j in enumerate(plan)]
        counts = defaultdict(int)
        for o in result:
            counts[o.state] += 1
        tracking.log_metrics({f"jobs_{k.replace(' ', '_')}": v for k, v in counts.items()})
        tracking.set_tags({"state": "interrupted" if interrupted else "complete"})
        table = summary_table(result)
        sdir = tracking.runs_dir() / "sweeps"
        sdir.mkdir(parents=True, exist_ok=True)
        spath = sdir / f"{spec.name}-{profile}-{pid[:8]}.md"
        spath.write_text(f"# sweep {spec.name} ({profile})\n\n{table}\n")
        tracking.log_artifact(spath, "summary")
    log(f"\nsweep {spec.name} ({profile}): " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    log(table)
    if interrupted:
        raise KeyboardInterrupt
    return result


def _parallel(plan, phase, spec, pid, force, workers, bar, outcomes, log) -> None:
    with cf.ThreadPoolExecutor(max_workers=workers) as ex:
        futs = {}
        for i in phase:
            bar.start(plan[i])
            futs[ex.submit(run_job, plan[i], spec, pid, force=force, log=log)] = i
        for f in cf.as_completed(futs):
            i = futs[f]
            try:
                outcomes[i] = f.result()
            except _Interrupted as e:
                outcomes[i] = e.outcome
            bar.done(outcomes[i])
