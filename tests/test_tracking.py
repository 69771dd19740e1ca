from inkrepro import tracking


def test_parent_child_runs_params_metrics(tmp_path, monkeypatch):
    monkeypatch.setenv("INKREPRO_RUNS", str(tmp_path / "runs"))
    with tracking.run("sweep") as parent:
        pid = parent.info.run_id
    with tracking.run("arm", parent_run_id=pid, tags={"arm": "a", "seed": 1}):
        tracking.log_params({"model": {"depth": 2}, "name": "x" * 7000})
        tracking.log_metrics({"loss": 1.5}, step=3)
        (tmp_path / "f.txt").write_text("hi")
        tracking.log_artifact(tmp_path / "f.txt", "files")
    df = tracking.search_runs("tags.arm = 'a'")
    assert len(df) == 1
    row = df.iloc[0]
    assert row["tags.mlflow.parentRunId"] == pid and row["params.model.depth"] == "2"
    assert row["metrics.loss"] == 1.5 and row["params.name"].endswith("...")
    assert (tmp_path / "runs" / "mlflow.db").exists()


def test_store_follows_inkrepro_runs_and_never_leaks_to_children(tmp_path, monkeypatch):
    """MLflow exports the URI ``setup`` chose; a store chosen by an earlier ``setup`` (another
    test, another sweep) must not stick to this process or reach its children."""
    import os
    import subprocess
    import sys

    import mlflow
    import pytest

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("INKREPRO_RUNS", str(tmp_path / "a"))
    tracking.setup()
    with pytest.MonkeyPatch.context() as mp:    # a test that hides the variable, then restores it
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.setenv("INKREPRO_RUNS", str(tmp_path / "b"))
        tracking.setup()
    monkeypatch.setenv("INKREPRO_RUNS", str(tmp_path / "c"))
    tracking.setup()
    want = f"sqlite:///{tmp_path / 'c' / 'mlflow.db'}"
    assert mlflow.get_tracking_uri() == tracking.tracking_uri() == want
    assert "MLFLOW_TRACKING_URI" not in os.environ
    child = subprocess.run([sys.executable, "-c", "from inkrepro import tracking; print(tracking.tracking_uri())"],
                           capture_output=True, text=True, check=True, cwd=tmp_path)
    assert child.stdout.strip() == want
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'user.db'}")   # the user's wins
    tracking.setup()
    assert mlflow.get_tracking_uri() == f"sqlite:///{tmp_path / 'user.db'}"
