"""Multi-host training for real on one machine: 2 processes x 4 CPU devices (gloo collectives,
coordinator on localhost) against 1 process x 8 devices, same config and seed: disjoint data
shards that make up the same global batches, equal final parameters (to float rounding: the
collectives add in another order), exact resume with 2 processes, and a resume with 1 process
from a 2-process checkpoint (data repositioned, logged); a damaged newest checkpoint found by
process 0's checksums and left by both processes for the previous good one.

Kept short for CI (2 cores, pytest -n 2): 4 smoke steps, a checkpoint every 2 (the resumes
start at step 2), two trainings at a time (one overlaps the other's compiles and barrier waits),
JAX's persistent compilation cache under the session's INKREPRO_CACHE (process 0 and the
one-process runs reuse compiled programs; JAX writes it from process 0 only)."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np
import pytest

from inkrepro import cluster
from inkrepro.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
STEPS = 4
OVERRIDES = ["train.track=false", "train.progress=false", "train.eval_every=0", f"train.steps={STEPS}",
             "train.batch_size=8", "train.mesh_fsdp=2", "train.checkpoint_every=2",
             "train.keep_checkpoints=2", "train.log_every=2"]
CODE = ("import sys; from inkrepro import config, train; "
        "train.train(config.profile('smoke', sys.argv[2:]), sys.argv[1])")


def _start(workdir: Path, processes: int, trace: Path) -> tuple[Path, list[subprocess.Popen]]:
    """Start the smoke training with ``processes`` local processes (8 CPU devices in all); their
    output goes to ``<workdir>.log`` (a file: a full pipe would stall a process mid-collective)."""
    env = {**os.environ, "INKREPRO_NO_PROGRESS": "1", "INKREPRO_DATA_TRACE": str(trace)}
    with open(f"{workdir}.log", "w") as log:
        procs = cluster.local_processes([sys.executable, "-c", CODE, str(workdir), *OVERRIDES], processes, 8,
                                        env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    return workdir, procs


def _wait(*launches, timeout_s: float = 1200) -> list[str]:
    """Wait for every process of ``launches`` (started side by side: they overlap one another's
    compiles and barrier waits); -> each launch's output. The first failure stops them all."""
    procs = [p for _, ps in launches for p in ps]
    deadline = time.time() + timeout_s
    try:
        while any(p.poll() is None for p in procs) and not any(p.poll() for p in procs):
            assert time.time() < deadline, "multi-process training did not finish"
            time.sleep(0.5)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    outs = [Path(f"{w}.log").read_text() for w, _ in launches]
    for (w, ps), out in zip(launches, outs):
        assert all(p.returncode == 0 for p in ps), f"{w.name}: {[p.returncode for p in ps]}\n{out[-4000:]}"
    return outs


def _params(workdir: Path):
    from flax import nnx

    from inkrepro.checkpoint import load_for_inference

    model, _, _ = load_for_inference(workdir)
    return jax.tree.leaves(nnx.state(model, nnx.Param))


def _trace(d: Path, process: int) -> dict[int, list[str]]:
    return {r["step"]: r["rows"] for r in map(json.loads, (d / f"data-{process}.jsonl").read_text().splitlines())}


def _truncate_to(src: Path, dst: Path, step: int) -> None:
    """A copy of workdir ``src`` as it was after the checkpoint of ``step`` (later step folders
    gone; their checksum manifests stay, as after a user deleted a step: a new save replaces it)."""
    shutil.copytree(src, dst)
    (dst / "result.json").unlink()
    for c in (dst / "checkpoints").iterdir():
        if c.name.isdigit() and int(c.name) > step:
            shutil.rmtree(c)


def _damage(step_dir: Path) -> None:
    """Flip bytes in the middle of the step's largest file (same size: only a checksum tells)."""
    f = max((p for p in step_dir.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    data = bytearray(f.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 64] = bytes(b ^ 0xFF for b in data[mid:mid + 64])
    f.write_bytes(bytes(data))


def test_two_processes_equal_one_process_and_resume_exactly(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    _wait(_start(one, 1, tmp_path / "trace1"), _start(two, 2, tmp_path / "trace2"))

    # each process read its own block of every global batch; together the one-process batch
    t1, a, b = _trace(tmp_path / "trace1", 0), _trace(tmp_path / "trace2", 0), _trace(tmp_path / "trace2", 1)
    assert sorted(t1) == sorted(a) == sorted(b) == list(range(1, STEPS + 1))
    for step in t1:
        assert len(a[step]) == len(b[step]) == 4 and not set(a[step]) & set(b[step])
        assert a[step] + b[step] == t1[step], step
    assert not {r for rows in a.values() for r in rows} & {r for rows in b.values() for r in rows}

    # the same training: equal metrics, parameters equal up to float rounding (gloo's all-reduce
    # adds the two processes' partial gradients in another order than one process does; 1e-8
    # differences, which Adafactor's normalisation lifts to ~5e-5 on near-zero entries)
    ref = _params(one)
    for x, y in zip(ref, _params(two), strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-4)
    m1, m2 = (json.loads((w / "result.json").read_text())["metrics"] for w in (one, two))
    assert m1["train/loss"] == pytest.approx(m2["train/loss"], rel=1e-5)
    steps = [json.loads(ln)["step"] for ln in (two / "metrics.jsonl").read_text().splitlines()]
    assert steps == [json.loads(ln)["step"] for ln in (one / "metrics.jsonl").read_text().splitlines()]
    data_files = sorted(p.name for p in (two / "checkpoints" / str(STEPS) / "data").iterdir() if p.suffix == ".json")
    assert data_files == ["process_0-of-2.json", "process_1-of-2.json"]
    assert sorted(p.name for p in (two / "checksums").iterdir()) == ["2.json", f"{STEPS}.json"]   # process 0's

    # resumed by 2 processes with the newest step damaged: process 0's checksums find it, both
    # processes fall back to step 2 and continue exactly; and (side by side) resumed by 1
    # process from the 2-process checkpoint of step 2: data repositioned, logged
    resumed, changed = tmp_path / "resumed", tmp_path / "changed"
    _truncate_to(two, resumed, STEPS)
    _damage(resumed / "checkpoints" / str(STEPS))
    _truncate_to(two, changed, 2)
    outs = _wait(_start(resumed, 2, tmp_path / "trace3"), _start(changed, 1, tmp_path / "trace4"))
    notes = [ln for ln in outs[0].splitlines() if "is corrupt" in ln]
    assert len(notes) == 1 and "using the previous good step 2" in notes[0], outs[0][-3000:]
    assert len(list((resumed / "corrupt").iterdir())) == 1           # moved aside once, by process 0
    assert sorted(_trace(tmp_path / "trace3", 0)) == list(range(3, STEPS + 1))
    for x, y in zip(_params(two), _params(resumed), strict=True):
        np.testing.assert_array_equal(x, y)
    assert "data iterator repositioned to step 2 (no process_0-of-1.json" in outs[1]
    assert _trace(tmp_path / "trace4", 0) == {s: t1[s] for s in range(3, STEPS + 1)}
    for x, y in zip(ref, _params(changed), strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-4)


def test_cluster_settings_and_detection():
    assert cluster.settings_from_env({}) == cluster.Settings()
    s = cluster.settings_from_env({"INKREPRO_COORDINATOR": "10.0.0.1:1234", "INKREPRO_NUM_PROCESSES": "4",
                                   "INKREPRO_PROCESS_ID": "3"})
    assert s == cluster.Settings("10.0.0.1:1234", 4, 3) and s.given()
    with pytest.raises(UserError, match="INKREPRO_NUM_PROCESSES"):
        cluster.settings_from_env({"INKREPRO_NUM_PROCESSES": "two"})
    with pytest.raises(UserError, match="needs all three"):
        cluster.initialize(cluster.Settings(coordinator="localhost:1"))
    assert cluster.detected_cluster({}) is None
    assert cluster.detected_cluster({"TPU_WORKER_HOSTNAMES": "a,b,c,d"}) == "tpu"
    assert cluster.detected_cluster({"TPU_WORKER_HOSTNAMES": "a"}) is None     # one host: one process
    assert cluster.detected_cluster({"SLURM_JOB_ID": "7", "SLURM_NTASKS": "2"}) == "slurm"
    assert cluster.detected_cluster({"KUBERNETES_SERVICE_HOST": "x", "JOB_COMPLETION_INDEX": "0"}) == "kubernetes"
    assert cluster.initialize(cluster.Settings()) in ("", "already")   # a laptop: nothing to join
