"""Every notebook through papermill with the `smoke` profile (the real train/evaluate steps),
then checks that each table and figure exists in every format and came from MLflow records."""

from __future__ import annotations

import ast
import json

import nbformat
import pandas as pd
import pytest

from inkrepro import tracking
from inkrepro.experiments import build, notebooks, results
from inkrepro.experiments.tables import common


def test_notebooks_match_generator_and_have_one_literal_parameters_cell():
    made = notebooks.notebooks()
    assert set(made) == {p.stem for p in notebooks.OUT.glob("*.ipynb")}
    for name, nb in made.items():
        disk = nbformat.read(str(notebooks.OUT / f"{name}.ipynb"), as_version=4)
        assert [c.source for c in disk.cells] == [c.source for c in nb.cells], (
            f"notebooks/{name}.ipynb is stale: run python -m inkrepro.experiments.notebooks")
        params = [c for c in disk.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(params) == 1, name
        for stmt in ast.parse(params[0].source).body:
            assert isinstance(stmt, ast.Assign), (name, ast.dump(stmt))
            ast.literal_eval(stmt.value)  # literals only
        for c in disk.cells:
            assert not c.get("outputs"), f"{name}: committed with outputs"


def test_table_formats_and_separation_text(tmp_path):
    df = pd.DataFrame({"arm": ["a", "a", "b", "b", "c", "c"],
                       "m": [1.0, 1.1, 2.0, 2.2, 1.05, 1.5]})
    text = common.separation_text(df, "m", "a", ["a", "b", "c"], {"a": "A", "b": "B", "c": "C"})
    assert "1 of 2 arms separate" in text and "B (higher by 1.050)" in text
    assert "no claim at this scale" in text and "C" in text
    assert common.mean_sd([1.0, 3.0]) == "2.000 ± 1.414"
    out = results.Output("t", "T")
    common.save_table(out, pd.DataFrame({"a_b": ["x & y"], "v": [0.5]}), "t", tmp_path,
                       caption="c")
    tex = (tmp_path / "t.tex").read_text()
    assert r"a\_b" in tex and r"x \& y" in tex and r"\caption{c}" in tex
    assert (tmp_path / "t.md").read_text().count("|") >= 6
    assert pd.read_csv(tmp_path / "t.csv")["v"].tolist() == [0.5]


@pytest.mark.slow
def test_reproduce_smoke_every_table_and_figure_from_mlflow(tmp_path, monkeypatch):
    monkeypatch.setenv("INKREPRO_RUNS", str(tmp_path / "runs"))
    rdir = tmp_path / "results"
    rc = build.reproduce("smoke", out=rdir, progress=False)
    index = (rdir / "README.md").read_text()
    assert rc == 0, index
    for name in results.ORDER:
        meta = json.loads((rdir / f"{name}.sources.json").read_text())
        assert meta["tables"] or meta["figures"], name
        for t in meta["tables"]:
            stem = t[:-3]
            for ext in (".md", ".csv", ".tex"):
                assert (rdir / (stem + ext)).stat().st_size > 0, (name, stem + ext)
        for f in meta["figures"]:
            stem = f[:-4]
            assert stem.startswith(name), (name, f)      # figures are named after their table
            for ext in (".png", ".pdf"):
                assert (rdir / (stem + ext)).stat().st_size > 0, (name, stem + ext)
            assert f in index
        # logged to MLflow, and every source run exists there
        logged = tracking.search_runs(f"tags.inkrepro_kind = 'results' and tags.builder = '{name}'")
        assert len(logged) >= 1, name
        all_ids = set(tracking.search_runs("")["run_id"])
        assert set(meta["mlflow_runs"]) <= all_ids, name
        # executed through papermill, and published for readers with their outputs
        assert (tracking.runs_dir() / "results_notebooks" / "smoke" / f"{name}.ipynb").exists()
        executed = nbformat.read(str(rdir / "notebooks" / f"{name}.ipynb"), as_version=4)
        assert any(c.get("outputs") for c in executed.cells), name
        assert f"[executed](notebooks/{name}.ipynb)" in index
    # calibrated: floors and ceiling beside the model; the learning curve has every kept
    # checkpoint against training minutes; each claim has a verdict from its CI
    auto = pd.read_csv(rdir / "automated_evaluation.csv")
    assert {"floor: empty output", "floor: constant string", "floor: untrained model (smoke)",
            "ceiling: reference ink at the training spacing"} <= set(auto["model"])
    assert "char_f1 position" in auto
    curve = pd.read_csv(rdir / "learning_curve.csv")
    assert curve["step"].tolist() == [4, 8] and (curve["minutes"] > 0).all()
    assert curve["minutes"].is_monotonic_increasing
    claims = pd.read_csv(rdir / "paper_claims.csv")
    b = claims[claims["claim"] == "b"]
    assert set(b["metric"]) == {"char_f1", "ldtw (lower is better)"}
    assert set(b["verdict"]) <= {"reproduced", "not reproduced", "inconclusive at this scale"}
    assert claims[claims["claim"] == "a"]["verdict"].iloc[0].startswith("not run in smoke")
    # the numbers in the ablation table are the metrics of the evaluation runs the jobs link to
    runs = pd.read_csv(rdir / "ablation_training_tasks_runs.csv")
    done = runs[runs["state"] == "done"]
    assert len(done) >= 2
    evals = tracking.search_runs("tags.inkrepro_kind = 'evaluate'").set_index("run_id")
    jobs = tracking.search_runs("tags.inkrepro_kind = 'job'").set_index("run_id")
    metric = "eval/hershey/vanilla_derender/dtw"
    for _, r in done.iterrows():
        assert jobs.loc[r["run_id"], "tags.eval_run"] == r["eval_run"]
        assert r[metric] == pytest.approx(evals.loc[r["eval_run"], f"metrics.{metric}"])
    assert "train/loss" in runs and "train/train/loss" not in runs
    # jobs carry their executed notebooks; the eval-only arm reused a checkpoint
    unc = jobs[jobs["tags.arm"] == "unconstrained"]
    assert len(unc) == 1 and unc.iloc[0]["tags.trained"].startswith("reused:")
    # a second reproduce skips every finished job (idempotent)
    from inkrepro.experiments import spec, sweep

    again = sweep.run_sweep(spec.load_spec("training_tasks"), "smoke", progress=False,
                            log=lambda *a, **k: None)
    assert {o.state for o in again} == {"skipped"}


def test_human_evaluation_table_from_rating_records(tmp_path, monkeypatch):
    monkeypatch.setenv("INKREPRO_RUNS", str(tmp_path / "runs"))
    from inkrepro.evaluate import human

    ids = human.log({"model": {"n_samples": 30.0, "raters_per_sample": 3.0, "valid": 0.6,
                               "human_like": 0.4}})
    out = results.build("human_evaluation", profile="laptop", results_dir=tmp_path / "res")
    table = pd.read_csv(tmp_path / "res" / "human_evaluation.csv")
    assert table["valid (good+okay)"].tolist() == ["87%", "60%"]
    assert table["human-like"].tolist() == ["67%", "40%"]
    assert out.sources == ids
    for ext in (".md", ".csv", ".tex", ".png", ".pdf", ".sources.json"):
        assert (tmp_path / "res" / f"human_evaluation{ext}").exists()
