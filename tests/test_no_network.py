"""No network at runtime: a smoke train + evaluate in a fresh process (no CI/pytest markers in
its environment, which would make MLflow turn its telemetry off by itself) with every
non-loopback ``socket.getaddrinfo`` / ``socket.connect`` recorded and refused by an audit hook
(``sys.addaudithook`` in a sitecustomize). None may happen; the hook's own self-check (one
lookup of a ``.invalid`` name at the end) must be recorded, so the test can fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

SITECUSTOMIZE = textwrap.dedent('''\
    import ipaddress, json, os, sys
    LOG = os.environ["INKREPRO_NET_LOG"]
    def _loopback(host):
        if host in (None, "", "localhost", b"localhost"):
            return True
        try:
            return ipaddress.ip_address(host.decode() if isinstance(host, bytes) else host).is_loopback
        except ValueError:
            return False
    def _hook(event, args):
        if event == "socket.getaddrinfo":
            host = args[0]
        elif event == "socket.connect":
            addr = args[1]
            if not isinstance(addr, tuple):   # AF_UNIX path
                return
            host = addr[0]
        else:
            return
        if _loopback(host):
            return
        with open(LOG, "a") as f:
            f.write(json.dumps({"event": event, "host": str(host)}) + "\\n")
        raise OSError(f"network blocked by the test: {event} {host}")
    sys.addaudithook(_hook)
    ''')

SCRIPT = textwrap.dedent('''\
    import socket, sys
    from inkrepro import config
    from inkrepro.experiments import steps
    wd = sys.argv[1]
    cfg = config.profile("smoke", ["train.steps=4", "train.progress=false"])
    steps.train(config=__import__("inkrepro.configlib").configlib.to_dict(cfg), workdir=wd)
    steps.prepare(profile="smoke")
    steps.evaluate(profile="smoke", workdir=wd, options={"n": 2, "gallery_n": 0})
    try:
        socket.getaddrinfo("audit-self-check.invalid", 443)
    except OSError:
        pass
    print("DONE")
    ''')

CI_MARKERS = ("PYTEST_CURRENT_TEST", "CI", "GITHUB_ACTIONS", "CIRCLECI", "GITLAB_CI",
              "JENKINS_URL", "TRAVIS", "BUILDKITE", "CODEBUILD_BUILD_ID", "TF_BUILD",
              "MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK")


def test_smoke_train_and_evaluate_make_no_network_connection(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "net.log"
    env = {k: v for k, v in os.environ.items() if k not in CI_MARKERS}
    env.update(PYTHONPATH=os.pathsep.join([str(site), env.get("PYTHONPATH", "")]),
               INKREPRO_NET_LOG=str(log), INKREPRO_NO_PROGRESS="1", TQDM_DISABLE="1",
               INKREPRO_RUNS=str(tmp_path / "runs"))
    env.pop("MLFLOW_TRACKING_URI", None)
    p = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "w")], env=env,
                       cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert p.returncode == 0 and "DONE" in p.stdout, (p.stdout + p.stderr)[-3000:]
    records = [json.loads(ln) for ln in log.read_text().splitlines()] if log.exists() else []
    assert records[-1:] == [{"event": "socket.getaddrinfo", "host": "audit-self-check.invalid"}]
    assert records[:-1] == [], records
    assert Path(tmp_path / "runs" / "mlflow.db").exists()
