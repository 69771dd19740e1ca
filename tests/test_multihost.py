"""Multi-host training for real on one machine: 2 processes x 4 CPU devices (gloo collectives,
coordinator on localhost) against 1 process x 8 devices, same config and seed: disjoint data
shards that make up the same global batches, equal final parameters (to float rounding: the
collectives add in another order), exact resume with 2
processes, and a resume with 1 process from a 2-process checkpoint (data repositioned, logged)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

from inkrepro import cluster
from inkrepro.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
OVERRIDES = ["train.track=false", "train.progress=false", "train.eval_every=0", "train.steps=6",
             "train.batch_size=8", "train.mesh_fsdp=2", "train.checkpoint_every=2",
             "train.keep_checkpoints=5", "train.log_every=2"]
CODE = ("import sys; from inkrepro import config, train; "
        "train.train(config.profile('smoke', sys.argv[2:]), sys.argv[1])")


def _launch(workdir: Path, processes: int, trace: Path) -> list[str]:
    """Run the smoke training with ``processes`` local processes (8 CPU devices in all)."""
    env = {**os.environ, "INKREPRO_NO_PROGRESS": "1", "INKREPRO_DATA_TRACE": str(trace)}
    procs = cluster.local_processes([sys.executable, "-c", CODE, str(workdir), *OVERRIDES], processes, 8, env,
                                    cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    outs = []
    for p in procs:
        try:
            out, _ = p.communicate(timeout=900)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise
        outs.append(out)
        assert p.returncode == 0, out[-4000:]
    return outs


def _params(workdir: Path):
    from flax import nnx

    from inkrepro.checkpoint import load_for_inference

    model, _, _ = load_for_inference(workdir)
    return jax.tree.leaves(nnx.state(model, nnx.Param))


def _trace(d: Path, process: int) -> dict[int, list[str]]:
    return {r["step"]: r["rows"] for r in map(json.loads, (d / f"data-{process}.jsonl").read_text().splitlines())}


def _truncate_to(src: Path, dst: Path, step: int) -> None:
    """A copy of workdir ``src`` as it was after the checkpoint of ``step`` (later ones gone)."""
    shutil.copytree(src, dst)
    (dst / "result.json").unlink()
    for c in (dst / "checkpoints").iterdir():
        if c.name.isdigit() and int(c.name) > step:
            shutil.rmtree(c)


def test_two_processes_equal_one_process_and_resume_exactly(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    _launch(one, 1, tmp_path / "trace1")
    _launch(two, 2, tmp_path / "trace2")

    # each process read its own block of every global batch; together the one-process batch
    t1, a, b = _trace(tmp_path / "trace1", 0), _trace(tmp_path / "trace2", 0), _trace(tmp_path / "trace2", 1)
    assert sorted(t1) == sorted(a) == sorted(b) == list(range(1, 7))
    for step in t1:
        assert len(a[step]) == len(b[step]) == 4 and not set(a[step]) & set(b[step])
        assert a[step] + b[step] == t1[step], step
    assert not {r for rows in a.values() for r in rows} & {r for rows in b.values() for r in rows}

    # the same training: equal metrics, parameters equal up to float rounding (gloo's all-reduce
    # adds the two processes' partial gradients in another order than one process does; 1e-8
    # differences, which Adafactor's normalisation lifts to ~5e-5 on near-zero entries)
    ref = _params(one)
    for x, y in zip(ref, _params(two)):
        np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-4)
    m1, m2 = (json.loads((w / "result.json").read_text())["metrics"] for w in (one, two))
    assert m1["train/loss"] == pytest.approx(m2["train/loss"], rel=1e-5)
    steps = [json.loads(ln)["step"] for ln in (two / "metrics.jsonl").read_text().splitlines()]
    assert steps == [json.loads(ln)["step"] for ln in (one / "metrics.jsonl").read_text().splitlines()]
    data_files = sorted(p.name for p in (two / "checkpoints" / "6" / "data").iterdir() if p.suffix == ".json")
    assert data_files == ["process_0-of-2.json", "process_1-of-2.json"]

    # resumed by 2 processes from step 2: continues exactly
    resumed = tmp_path / "resumed"
    _truncate_to(two, resumed, 2)
    _launch(resumed, 2, tmp_path / "trace3")
    assert sorted(_trace(tmp_path / "trace3", 0)) == [3, 4, 5, 6]
    for x, y in zip(_params(two), _params(resumed)):
        np.testing.assert_array_equal(x, y)

    # resumed by 1 process from the 2-process checkpoint of step 4: data repositioned, logged
    changed = tmp_path / "changed"
    _truncate_to(two, changed, 4)
    out = _launch(changed, 1, tmp_path / "trace4")[0]
    assert "data iterator repositioned to step 4 (no process_0-of-1.json" in out
    assert _trace(tmp_path / "trace4", 0) == {s: t1[s] for s in (5, 6)}
    for x, y in zip(ref, _params(changed)):
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
