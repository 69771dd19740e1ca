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
