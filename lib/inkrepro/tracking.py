"""The one place that talks to MLflow (train, evaluate, recognizer and experiments use it).

Default store: SQLite at ``runs/mlflow.db`` with artifacts under ``runs/artifacts`` relative
to the working directory, overridable with ``INKREPRO_RUNS`` (a folder) or
``MLFLOW_TRACKING_URI``.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import mlflow

from inkrepro.configlib import flatten

logging.getLogger("alembic").setLevel(logging.WARNING)
logging.getLogger("mlflow").setLevel(logging.WARNING)

EXPERIMENT = "inkrepro"


def runs_dir() -> Path:
    return Path(os.environ.get("INKREPRO_RUNS", "runs")).resolve()


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` when the user set it, else SQLite under ``runs_dir()``. Only a
    user's value ever sits in the environment (``setup`` takes back the one MLflow exports for
    our default), so a child process (a sweep's job, a test's) derives the same store from
    ``INKREPRO_RUNS`` and never inherits a store an earlier ``setup`` of this process chose."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{runs_dir() / 'mlflow.db'}"


@contextlib.contextmanager
def locked(path: str | Path, *, wait: bool = True) -> Iterator[bool]:
    """An exclusive ``fcntl.flock`` on ``path`` (created) for the ``with`` block, shared by
    processes and threads; yields False without the lock when ``wait`` is False and another
    holder has it. Released when the block ends or the process dies."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with open(p, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def setup(experiment: str = EXPERIMENT):
    """Point MLflow at our store and select (creating if needed) the experiment. The store's
    creation (tables, experiment) holds ``runs/.store.lock``, so processes started at once on a
    fresh folder do not race to create it."""
    runs_dir().mkdir(parents=True, exist_ok=True)
    uri = tracking_uri()
    ours = "MLFLOW_TRACKING_URI" not in os.environ
    mlflow.set_tracking_uri(uri)
    if ours:  # mlflow exported it for child processes: they get INKREPRO_RUNS (absolute) instead
        os.environ.pop("MLFLOW_TRACKING_URI", None)
        os.environ.setdefault("INKREPRO_RUNS", str(runs_dir()))
    with locked(runs_dir() / ".store.lock"):
        if mlflow.get_experiment_by_name(experiment) is None:
            # a tracking server (http://, `inkrepro server`) keeps artifacts where it was told;
            # jobs on other machines (the lock is this machine's) may create it first
            art = None if uri.startswith("http") else (runs_dir() / "artifacts").as_uri()
            try:
                mlflow.create_experiment(experiment, artifact_location=art)
            except mlflow.exceptions.MlflowException:
                if mlflow.get_experiment_by_name(experiment) is None:
                    raise
        mlflow.set_experiment(experiment)
    return mlflow


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5, cwd=Path(__file__).parent)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


@contextlib.contextmanager
def run(name: str, *, parent_run_id: str | None = None, run_id: str | None = None,
        tags: Mapping[str, Any] | None = None, experiment: str = EXPERIMENT) -> Iterator[Any]:
    """Start (or resume, with ``run_id``) an MLflow run; nested under ``parent_run_id``."""
    setup(experiment)
    all_tags = {"git_commit": git_commit(), **{k: str(v) for k, v in (tags or {}).items()}}
    if parent_run_id:
        all_tags["mlflow.parentRunId"] = parent_run_id
    nested = mlflow.active_run() is not None  # e.g. a sweep's child run inside its parent
    with mlflow.start_run(run_id=run_id, run_name=None if run_id else name, tags=all_tags,
                          nested=nested) as r:
        yield r


# Who launched this job: a sweep arm x seed run as a managed job (``inkrepro launch``) carries
# these; SkyPilot keeps SKYPILOT_TASK_ID across the recoveries of a managed job.
LAUNCH_ENV = {"sweep": "INKREPRO_SWEEP", "arm": "INKREPRO_ARM", "job_config_hash": "INKREPRO_CONFIG_HASH",
              "launcher_task_id": "SKYPILOT_TASK_ID"}


def launch_tags(env=None) -> dict[str, str]:
    env = os.environ if env is None else env
    return {tag: env[var] for tag, var in LAUNCH_ENV.items() if env.get(var)}


def find_run(tags: Mapping[str, Any], experiment: str = EXPERIMENT) -> str | None:
    """The newest run carrying all ``tags`` (e.g. the run a preempted job started), or None."""
    if not tags:
        return None
    flt = " and ".join(f"tags.{k} = '{v}'" for k, v in tags.items())
    df = search_runs(flt, experiment, order_by=["attributes.start_time DESC"], max_results=1)
    return None if df.empty else str(df.iloc[0]["run_id"])


def log_params(params: Mapping[str, Any]) -> None:
    """Flattened params; values longer than MLflow's limit are truncated visibly."""
    flat = {k: (str(v) if len(str(v)) < 6000 else str(v)[:5990] + "...") for k, v in
            flatten(params).items()}
    items = list(flat.items())
    for i in range(0, len(items), 100):
        mlflow.log_params(dict(items[i:i + 100]))


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    mlflow.log_metrics({k: float(v) for k, v in metrics.items()}, step=step)


def log_artifact(path: str | Path, artifact_path: str | None = None) -> None:
    p = Path(path)
    if p.is_dir():
        mlflow.log_artifacts(str(p), artifact_path)
    else:
        mlflow.log_artifact(str(p), artifact_path)


def set_tags(tags: Mapping[str, Any]) -> None:
    mlflow.set_tags({k: str(v) for k, v in tags.items()})


def search_runs(filter_string: str = "", experiment: str = EXPERIMENT, **kw):
    """``mlflow.search_runs`` over our experiment as a pandas DataFrame."""
    setup(experiment)
    return mlflow.search_runs(experiment_names=[experiment], filter_string=filter_string, **kw)


def metric_history(run_id: str, key: str) -> list[tuple[int, float]]:
    """Every logged ``(step, value)`` of one metric of a run, ordered by step."""
    setup()
    hist = mlflow.tracking.MlflowClient().get_metric_history(run_id, key)
    return sorted((int(m.step), float(m.value)) for m in hist)


def artifact(run_id: str, path: str) -> Path:
    """A local path of one artifact of a run (copied from the store when it is remote)."""
    setup()
    return Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path))
