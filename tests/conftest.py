"""Shared test setup: every test writes runs, caches and MLflow stores under a temp dir."""

import os

import pytest

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="session", autouse=True)
def _isolated_dirs(tmp_path_factory):
    base = tmp_path_factory.mktemp("inkrepro")
    old = {k: os.environ.get(k) for k in ("INKREPRO_RUNS", "INKREPRO_CACHE", "MLFLOW_TRACKING_URI")}
    os.environ["INKREPRO_RUNS"] = str(base / "runs")
    os.environ["INKREPRO_CACHE"] = str(base / "cache")
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    yield base
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
