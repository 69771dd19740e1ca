"""The shared tracking server for real: PostgreSQL on loopback, `inkrepro server` (mlflow
server) over it, two smoke trainings writing at the same time: both runs recorded, no locks.
Needs the Debian package ``postgresql`` (``make test`` installs it where root)."""

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from inkrepro import server

ROOT = Path(__file__).resolve().parents[1]


def _pg_bin(name):
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))[-1:]
    return found if isinstance(found, str) else (found[0] if found else None)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_db_user(cmd):
    """PostgreSQL refuses to run as root: run it as the ``postgres`` user then."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture
def postgres():
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL not installed (Debian package 'postgresql'; `make test` installs it as root)")
    pytest.importorskip("psycopg", reason="psycopg missing: pip install -e '.[server]'")
    data = Path(tempfile.mkdtemp(prefix="inkrepro-pg-"))   # reachable by the postgres user
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = _free_port()
    r = subprocess.run(_as_db_user([initdb, "-D", str(data), "-U", "postgres", "--auth=trust"]),
                       capture_output=True, text=True)
    if r.returncode:
        shutil.rmtree(data, ignore_errors=True)
        pytest.fail(f"initdb failed: {r.stderr[-2000:]}")
    r = subprocess.run(_as_db_user([pg_ctl, "-D", str(data), "-w", "-l", str(data / "log"), "-o",
                                    f"-c listen_addresses=127.0.0.1 -p {port} -k {data}", "start"]),
                       capture_output=True, text=True)
    try:
        if r.returncode:
            pytest.fail(f"PostgreSQL did not start: {r.stderr[-2000:]}")
        subprocess.run(_as_db_user([_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                                    "mlflow"]), check=True, capture_output=True)
        yield f"postgresql://postgres@127.0.0.1:{port}/mlflow"
    finally:
        subprocess.run(_as_db_user([pg_ctl, "-D", str(data), "-m", "fast", "stop"]), capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def test_command_is_loopback_by_default():
    cmd = server.command(server.ServerSettings("postgresql://u@db/m", "gs://b/art"))
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert "127.0.0.1:5000" in cmd[cmd.index("--allowed-hosts") + 1].split(",")
    assert cmd[cmd.index("--artifacts-destination") + 1] == "gs://b/art"


def test_two_concurrent_jobs_over_postgres(postgres, tmp_path):
    port = _free_port()
    env = {**os.environ, "INKREPRO_NO_PROGRESS": "1", "INKREPRO_RUNS": str(tmp_path / "local")}
    srv = subprocess.Popen([sys.executable, "-m", "inkrepro.cli", "server", "--backend-store-uri", postgres,
                            "--artifacts-destination", str(tmp_path / "art"), "--port", str(port),
                            "--workers", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, start_new_session=True)   # its own group: mlflow starts helpers
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 600    # first start migrates the database (slow on a busy CI machine)
        while True:
            try:
                urllib.request.urlopen(uri + "/health", timeout=5)
                break
            except OSError:
                assert srv.poll() is None, srv.stdout.read()[-3000:]
                assert time.time() < deadline, "mlflow server did not come up"
                time.sleep(1)
        env["MLFLOW_TRACKING_URI"] = uri
        jobs = [subprocess.Popen([sys.executable, "-m", "inkrepro.cli", "train", "--profile", "smoke",
                                  "--workdir", str(tmp_path / f"w{i}"), "-o", "train.steps=3",
                                  "-o", "train.progress=false", "-o", f"seed={i}"], env=env, cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for i in (0, 1)]
        outs = [j.communicate(timeout=900)[0] for j in jobs]
        for j, out in zip(jobs, outs):
            assert j.returncode == 0, out[-3000:]
            assert "locked" not in out.lower()
        from mlflow.tracking import MlflowClient

        client = MlflowClient(uri)
        exp = client.get_experiment_by_name("inkrepro")
        runs = client.search_runs([exp.experiment_id])
        assert sorted(r.data.tags["seed"] for r in runs) == ["0", "1"]
        assert all(r.info.status == "FINISHED" and r.data.metrics["val/loss"] > 0 for r in runs)
        assert all(len(client.list_artifacts(r.info.run_id)) >= 2 for r in runs)   # config + result
        assert not (tmp_path / "local" / "mlflow.db").exists()    # nothing went to local SQLite
    finally:
        os.killpg(srv.pid, signal.SIGTERM)
        srv.wait(timeout=60)
