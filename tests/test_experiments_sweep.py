"""Sweep mechanics with stub steps (tests/experiments_stub_steps.py): plan, skip, retry, a
failing arm, Ctrl-C and rerun. Real kernels and papermill; the product steps are tested in
test_notebooks_smoke.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from inkrepro import configlib, tracking
from inkrepro.errors import UserError
from inkrepro.experiments import spec as spec_mod
from inkrepro.experiments import sweep

TESTS = Path(__file__).resolve().parent

STUB_SPEC = textwrap.dedent("""\
    name: stubsweep
    title: Stub sweep
    metric: eval/hershey/vanilla_derender/char_f1
    steps:
      prepare: stub.prepare
      resolve: stub.resolve
      train: stub.train
      evaluate: stub.evaluate
    profiles:
      smoke: {seeds: [0]}
      laptop: {seeds: [0, 1]}
    arms:
      - {name: good, overrides: {stub.arm: good, stub.quality: 0.9}}
      - {name: bad, overrides: {stub.arm: bad, stub.quality: 0.2}}
      - {name: unconstrained, from: good, evaluate: {constrained: false}}
    """)


@pytest.fixture
def env(tmp_path, monkeypatch):
    stub = tmp_path / "stub"
    stub.mkdir()
    monkeypatch.setenv("INKREPRO_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("INKREPRO_STUB_DIR", str(stub))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.syspath_prepend(str(TESTS))
    (tmp_path / "stub.yaml").write_text(STUB_SPEC)
    return tmp_path


def _calls(env) -> list[str]:
    f = env / "stub" / "calls.log"
    return f.read_text().splitlines() if f.exists() else []


def test_plan_shares_training_and_checks_spec(env):
    s = spec_mod.load_spec(env / "stub.yaml")
    plan = spec_mod.expand(s, "laptop")
    assert [j.key for j in plan] == ["good/seed0", "good/seed1", "bad/seed0", "bad/seed1",
                                     "unconstrained/seed0", "unconstrained/seed1"]
    good0, unc0 = plan[0], plan[4]
    assert good0.config_hash == unc0.config_hash and good0.job_hash != unc0.job_hash
    assert plan[0].config_hash != plan[1].config_hash  # the seed is part of the config
    assert good0.config == {"profile": "laptop", "seed": 0, "stub.arm": "good", "stub.quality": 0.9}
    assert good0.config_hash == configlib.config_hash({k: v for k, v in good0.config.items()
                                                       if k != "name"})
    text = spec_mod.describe_plan(s, plan)
    assert "evaluate checkpoint of good/seed0" in text
    with pytest.raises(UserError, match="no profile 'paper'"):
        spec_mod.expand(s, "paper")
    bad = {"name": "x", "arms": [{"name": "a", "from": "nope"}]}
    with pytest.raises(UserError, match="unknown arm 'nope'"):
        spec_mod.parse_spec(bad)
    with pytest.raises(UserError, match="unknown key"):
        spec_mod.parse_spec({"arms": [{"name": "a", "overide": {}}]})
    with pytest.raises(UserError, match="eval-only"):
        spec_mod.parse_spec({"arms": [{"name": "a"}, {"name": "b", "from": "a",
                                                       "overrides": {"x": 1}}]})


def test_failing_arm_skip_and_retry(env):
    s = spec_mod.load_spec(env / "stub.yaml")
    (env / "stub" / "fail-bad").write_text("1")
    out = sweep.run_sweep(s, "smoke", progress=False, log=lambda *a, **k: None)
    assert {o.job.arm: o.state for o in out} == {"good": "done", "bad": "failed",
                                                  "unconstrained": "done"}
    # the eval-only arm reused good's checkpoint: one training call for good
    assert [c for c in _calls(env) if c.startswith("train")] == ["train good 0", "train bad 0"]
    assert _calls(env)[0] == "prepare smoke"            # once, before any job
    runs = tracking.search_runs("tags.inkrepro_kind = 'job'")
    assert len(runs) == 3
    failed = runs[runs["tags.arm"] == "bad"].iloc[0]
    assert failed["status"] == "FAILED" and "stub failure" in failed["tags.error"]
    good = runs[runs["tags.arm"] == "good"].iloc[0]
    for tag in ("seed", "profile", "config_hash", "job_hash", "git_commit", "mlflow.parentRunId",
                "train_run", "eval_run"):
        assert good[f"tags.{tag}"], tag
    # the job's run links to its runs and copies none of their metrics
    assert not [c for c in runs.columns if c.startswith(("metrics.eval/", "metrics.train/"))]
    assert good["metrics.job_seconds"] >= good["metrics.eval_seconds"] == pytest.approx(0.1)

    def linked(job, tag, metric):
        return tracking.search_runs(f"attributes.run_id = '{job[f'tags.{tag}']}'").iloc[0][metric]

    assert linked(good, "eval_run", "metrics.eval/hershey/vanilla_derender/char_f1") == pytest.approx(0.95)
    assert linked(good, "train_run", "metrics.train/loss") == pytest.approx(0.1)
    unc = runs[runs["tags.arm"] == "unconstrained"].iloc[0]
    assert linked(unc, "eval_run", "metrics.eval/hershey/vanilla_derender/char_f1") == pytest.approx(0.9)
    assert unc["tags.trained"] == f"reused:{good['tags.train_run']}"
    assert unc["tags.train_run"] == good["tags.train_run"]
    # the failed run keeps its executed notebook as an artifact
    art = tracking.runs_dir() / "artifacts"
    assert list(art.rglob(f"{failed['run_id']}/artifacts/notebooks/train.ipynb"))
    # rerun: finished jobs skipped, the failed one retried (and now passes)
    (env / "stub" / "fail-bad").unlink()
    out2 = sweep.run_sweep(s, "smoke", progress=False, log=lambda *a, **k: None)
    assert {o.job.arm: o.state for o in out2} == {"good": "skipped", "bad": "done",
                                                   "unconstrained": "skipped"}
    assert [c for c in _calls(env) if c.startswith("train")] == [
        "train good 0", "train bad 0", "train bad 0"]
    parents = tracking.search_runs("tags.inkrepro_kind = 'sweep'")
    assert len(parents) == 2 and set(parents["tags.state"]) == {"complete"}


def test_ctrl_c_leaves_consistent_state_and_rerun_finishes(env):
    (env / "stub" / "sleep").write_text("60")
    code = ("import argparse, sys; from inkrepro.experiments import cli; "
            "p = argparse.ArgumentParser(); cli.register(p.add_subparsers()); "
            "a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))")
    cmd = [sys.executable, "-c", code, "sweep",
           str(env / "stub.yaml"), "--profile", "smoke", "--no-progress"]
    penv = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    proc = subprocess.Popen(cmd, cwd=env, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=penv)
    deadline = time.time() + 120
    while not any(c.startswith("train good") for c in _calls(env)):
        assert proc.poll() is None and time.time() < deadline, proc.stdout.read()
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    out, _ = proc.communicate(timeout=300)   # the stub step may finish its 60 s sleep first
    assert proc.returncode in (130, -signal.SIGINT), out
    assert "not run" in out and "interrupted" in out
    runs = tracking.search_runs("tags.inkrepro_kind = 'job'")
    assert len(runs) == 1 and runs.iloc[0]["status"] == "FAILED"
    assert runs.iloc[0]["tags.state"] == "interrupted"
    parent = tracking.search_runs("tags.inkrepro_kind = 'sweep'").iloc[0]
    assert parent["tags.state"] == "interrupted"
    # rerun after the interruption: everything finishes
    (env / "stub" / "sleep").unlink()
    s = spec_mod.load_spec(env / "stub.yaml")
    out2 = sweep.run_sweep(s, "smoke", progress=False, log=lambda *a, **k: None)
    assert [o.state for o in out2] == ["done", "done", "done"]


def test_two_sweeps_at_once_run_each_job_once(env):
    """Two sweeps of one spec started together on a fresh runs/ folder: the store is created
    once, every job is trained and evaluated exactly once (the other sweep waits, then skips),
    and neither prints a traceback."""
    (env / "stub" / "sleep").write_text("2")
    code = ("import sys; from inkrepro.cli import main; sys.exit(main(sys.argv[1:]))")
    cmd = [sys.executable, "-c", code, "sweep", str(env / "stub.yaml"), "--profile", "laptop",
           "--no-progress"]
    penv = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    procs = [subprocess.Popen(cmd, cwd=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env=penv) for _ in range(2)]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    for p, out in zip(procs, outs):
        assert p.returncode == 0 and "Traceback" not in out, out[-3000:]
    calls = _calls(env)
    trains = sorted(c for c in calls if c.startswith("train"))
    assert trains == ["train bad 0", "train bad 1", "train good 0", "train good 1"], calls
    evals = [c for c in calls if c.startswith("evaluate")]
    assert len(evals) == len(set(evals)) == 6, calls
    runs = tracking.search_runs("tags.inkrepro_kind = 'job' and attributes.status = 'FINISHED'")
    assert len(runs) == 6 and runs["tags.job_hash"].nunique() == 6
    assert any("held by another sweep" in out for out in outs)
