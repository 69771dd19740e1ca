"""Preemption for real: a SIGTERM mid-run saves the current step (off the checkpoint interval),
exits 143 (a managed job restarts it), and the restart resumes from that step in the same
MLflow run, found again through the launcher's task id. No interval checkpoints (only the
last step's), so the one checkpoint after the SIGTERM is the step it came at."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from mlflow.tracking import MlflowClient

ROOT = Path(__file__).resolve().parents[1]
STEPS = 8
OV = ["train.progress=false", "train.eval_every=0", f"train.steps={STEPS}", "train.checkpoint_every=0",
      "train.log_every=1"]


def _cmd(workdir):
    return [sys.executable, "-m", "inkrepro.cli", "train", "--profile", "smoke", "--workdir", str(workdir),
            *[a for o in OV for a in ("-o", o)]]


def test_sigterm_saves_exits_143_and_resumes_the_same_mlflow_run(tmp_path, monkeypatch):
    w = tmp_path / "w"
    env = {**os.environ, "INKREPRO_RUNS": str(tmp_path / "runs"), "INKREPRO_NO_PROGRESS": "1",
           "SKYPILOT_TASK_ID": "sky-managed-test-1", "INKREPRO_SWEEP": "demo", "INKREPRO_ARM": "base"}
    env.pop("MLFLOW_TRACKING_URI", None)
    p = subprocess.Popen(_cmd(w), env={**env, "INKREPRO_STEP_DELAY_S": "1"}, cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 900
    while not ((w / "metrics.jsonl").exists() and (w / "metrics.jsonl").read_text().count("\n") >= 2):
        assert p.poll() is None, p.stdout.read()[-3000:]
        assert time.time() < deadline, "training made no progress"
        time.sleep(0.1)
    p.send_signal(signal.SIGTERM)        # what a spot VM gets before it goes
    out, _ = p.communicate(timeout=600)
    assert p.returncode == 143, out[-3000:]
    said = re.search(r"preempted \(SIGTERM\): saved step (\d+)", out)
    saved = sorted(int(c.name) for c in (w / "checkpoints").iterdir() if c.name.isdigit())
    assert said and saved == [int(said[1])] and 2 <= saved[0] < STEPS, (saved, out[-3000:])   # the step it was at
    assert (w / "checksums" / f"{saved[0]}.json").exists()      # verified when resumed
    assert not (w / "result.json").exists()
    first_id = (w / "mlflow_run_id.txt").read_text().strip()
    (w / "mlflow_run_id.txt").unlink()   # a new machine: the run is found by the launcher's task id

    r = subprocess.run(_cmd(w), env=env, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((w / "result.json").read_text())
    assert res["run_id"] == first_id and res["steps"] == STEPS
    steps = [json.loads(ln)["step"] for ln in (w / "metrics.jsonl").read_text().splitlines()]
    assert sorted(set(steps)) == list(range(1, STEPS + 1)), steps   # every step logged, none lost
    assert "no checksum manifest" not in r.stdout + r.stderr

    from inkrepro import tracking

    monkeypatch.setenv("INKREPRO_RUNS", str(tmp_path / "runs"))
    df = tracking.search_runs(f"attributes.run_id = '{first_id}'")
    row = df.iloc[0]
    assert row["status"] == "FINISHED" and row["tags.launcher_task_id"] == "sky-managed-test-1"
    assert (row["tags.sweep"], row["tags.arm"], row["tags.seed"]) == ("demo", "base", "0")
    assert len(df) == 1 and row["metrics.train/loss"] > 0
    history = MlflowClient(f"sqlite:///{tmp_path / 'runs' / 'mlflow.db'}").get_metric_history(first_id, "train/loss")
    assert sorted(m.step for m in history) == list(range(1, STEPS + 1))   # none twice after the resume
