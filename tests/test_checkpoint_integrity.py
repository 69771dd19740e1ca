"""Checkpoints you can trust: checksums written once Orbax finishes a step and verified on
restore; a corrupt (same-size overwrite) or truncated latest step is reported in one line and
moved aside, training resumes from the previous good step and ends with the same parameters,
MLflow history has no duplicate steps; a read-only workdir is one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from inkrepro import tracking
from inkrepro.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
OVERRIDES = ["train.steps=8", "train.checkpoint_every=4", "train.keep_checkpoints=2",
             "train.log_every=1", "train.progress=false"]


def _train(workdir: Path) -> str:
    code = ("import sys; from inkrepro.cli import main; sys.exit(main(sys.argv[1:]))")
    args = ["train", "--profile", "smoke", "--workdir", str(workdir)]
    for o in OVERRIDES:
        args += ["-o", o]
    p = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True,
                       text=True, timeout=900,
                       # the store this process reads (mlflow exports MLFLOW_TRACKING_URI when an
                       # earlier test of this worker set another store: never inherit that)
                       env={**os.environ, "INKREPRO_NO_PROGRESS": "1",
                            "MLFLOW_TRACKING_URI": tracking.tracking_uri()})
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-3000:]
    return out


def _params(workdir):
    from flax import nnx

    from inkrepro.checkpoint import load_for_inference

    model, _, _ = load_for_inference(workdir)
    return [np.asarray(x) for x in jax.tree.leaves(nnx.state(model, nnx.Param))]


def _largest_file(step_dir: Path) -> Path:
    return max((p for p in step_dir.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)


@pytest.mark.parametrize("damage", ["overwrite", "truncate"])
def test_corrupt_latest_step_falls_back_to_previous_good_one(tmp_path, damage):
    wd = tmp_path / "w"
    _train(wd)
    ckpt = wd / "checkpoints"
    assert sorted(int(p.name) for p in ckpt.iterdir() if p.name.isdigit()) == [4, 8]
    assert sorted(p.name for p in (wd / "checksums").iterdir()) == ["4.json", "8.json"]
    good = _params(wd)
    f = _largest_file(ckpt / "8")
    data = bytearray(f.read_bytes())
    if damage == "overwrite":      # same size: only a checksum can tell
        mid = len(data) // 2
        data[mid:mid + 64] = bytes(b ^ 0xFF for b in data[mid:mid + 64])
        f.write_bytes(bytes(data))
    else:
        f.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(UserError, match="is corrupt"):
        _params(wd)
    out = _train(wd)                                   # resumes: falls back to step 4
    notes = [ln for ln in out.splitlines() if "is corrupt" in ln]
    assert len(notes) == 1 and "using the previous good step 4" in notes[0], out[-3000:]
    assert "Traceback" not in out and "asyncio" not in out, out[-3000:]
    assert len([p for p in (wd / "corrupt").iterdir()]) == 1      # moved aside, not deleted
    for a, b in zip(good, _params(wd), strict=True):              # retrained 5..8 identically
        np.testing.assert_array_equal(a, b)
    run_id = json.loads((wd / "result.json").read_text())["run_id"]
    history = MlflowClient(tracking.tracking_uri()).get_metric_history(run_id, "train/loss")
    steps = [m.step for m in history]
    assert sorted(steps) == list(range(1, 9)), steps               # no duplicate after resume


def test_read_only_workdir_is_one_line(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as root: permissions are not enforced")
        code = ("import sys; from inkrepro.cli import main; sys.exit(main(sys.argv[1:]))")
        p = subprocess.run([sys.executable, "-c", code, "train", "--profile", "smoke",
                            "--workdir", str(ro / "w")], cwd=ROOT, capture_output=True,
                           text=True, timeout=600)
        err = p.stderr.strip().splitlines()
        assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr[-2000:]
        assert "cannot write to the workdir" in err[-1] and str(ro / "w") in err[-1]
    finally:
        ro.chmod(0o700)
