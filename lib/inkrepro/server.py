"""`inkrepro server`: one MLflow tracking server for many machines (a sweep's managed jobs).

    inkrepro server --backend-store-uri postgresql://mlflow:PW@DBHOST:5432/mlflow \\
                    --artifacts-destination gs://BUCKET/mlflow-artifacts [--host 0.0.0.0 --allowed-hosts mlflow.example.org]
    export MLFLOW_TRACKING_URI=http://SERVER:5000   # on every job (a SkyPilot secret)

PostgreSQL takes concurrent writers from many hosts (SQLite, the one-machine default in
``runs/mlflow.db``, locks). Artifacts go to the bucket through the server. Loopback by
default: binding elsewhere is explicit, and ``--allowed-hosts`` names who may call it.
Needs ``psycopg`` (the ``server`` extra; SQLAlchemy 2.1 drives postgresql:// with it) for a ``postgresql://`` store.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys

from inkrepro.errors import UserError


@dataclasses.dataclass(frozen=True)
class ServerSettings:
    backend_store_uri: str
    artifacts_destination: str
    host: str = "127.0.0.1"
    port: int = 5000
    allowed_hosts: tuple[str, ...] = ()
    workers: int = 2


def command(s: ServerSettings) -> list[str]:
    """The ``mlflow server`` command line for ``s``."""
    if not s.backend_store_uri.startswith(("postgresql", "mysql", "sqlite:")):
        raise UserError(f"--backend-store-uri {s.backend_store_uri!r}: give a database URI "
                        "(postgresql://USER:PW@HOST:5432/DB; sqlite:///file.db for one machine)")
    mlflow = shutil.which("mlflow", path=os.path.dirname(sys.executable)) or shutil.which("mlflow") or "mlflow"
    allowed = s.allowed_hosts or (f"{s.host}:{s.port}", f"localhost:{s.port}", f"127.0.0.1:{s.port}")
    return [mlflow, "server", "--backend-store-uri", s.backend_store_uri,
            "--artifacts-destination", s.artifacts_destination, "--serve-artifacts",
            "--host", s.host, "--port", str(s.port), "--workers", str(s.workers),
            "--allowed-hosts", ",".join(allowed)]


def register(subparsers) -> None:
    p = subparsers.add_parser("server", help="a shared MLflow tracking server (PostgreSQL + bucket)",
                              description=__doc__.splitlines()[0])
    p.add_argument("--backend-store-uri", required=True, help="postgresql://USER:PW@HOST:5432/DB")
    p.add_argument("--artifacts-destination", required=True, help="gs://BUCKET/path (or a folder)")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--allowed-hosts", default="", help="comma-separated Host headers accepted")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--print", action="store_true", help="print the command instead of running it")
    p.set_defaults(func=_server)


def _server(a) -> int:
    s = ServerSettings(a.backend_store_uri, a.artifacts_destination, a.host, a.port,
                       tuple(h for h in a.allowed_hosts.split(",") if h), a.workers)
    cmd = command(s)
    if a.print:
        print(" ".join(cmd))
        return 0
    os.execvp(cmd[0], cmd)   # the server replaces us (signals reach it directly)
    return 0
