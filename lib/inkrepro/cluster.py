"""Many processes, one training: JAX's distributed runtime, the primary process, preemption.

``initialize()`` joins the processes of one job before JAX touches a device:

* given settings: ``--coordinator HOST:PORT --num-processes N --process-id I`` (``inkrepro
  train``) or the same as ``INKREPRO_COORDINATOR`` / ``INKREPRO_NUM_PROCESSES`` /
  ``INKREPRO_PROCESS_ID``;
* a detected cluster (a multi-host TPU slice, SLURM with more than one task, a Kubernetes
  indexed job): ``jax.distributed.initialize()`` with no arguments, JAX reads the rest;
* otherwise (a laptop, one GPU box): nothing, one process.

Every process runs the same training program on its own data shard; only the primary process
(index 0) writes files, logs to MLflow and draws progress bars (``is_primary()``).

Preemption (``Preemption``): spot/preemptible machines get SIGTERM some time before they go.
One process: our SIGTERM handler sets a flag the loop reads after each step. Several
processes: JAX's preemption service (started by ``jax.distributed.initialize``) catches the
signal and agrees on one step for all (``CheckpointManager.reached_preemption``). The loop then
saves that step and raises ``Preempted``; ``inkrepro train`` exits with status 143 so that a
managed job (SkyPilot) restarts it, and the restart resumes from that checkpoint.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import signal
import socket
import subprocess
import threading
from typing import Any

import jax

from inkrepro.errors import UserError

PREEMPTED_EXIT = 143  # 128 + SIGTERM: "killed by the platform, please restart me"
# How long a process waits for the others: to join the job, at a barrier, at the exit (one may
# still be compiling, reading a checkpoint or logging; a loaded 2-core CI machine is slow).
TIMEOUT_S = 900


class Preempted(Exception):  # noqa: N818 - a state, not a failure of ours
    """Raised after the preemption checkpoint of ``step`` is on disk."""

    def __init__(self, step: int, where: str):
        super().__init__(f"preempted (SIGTERM): saved step {step} in {where}; rerun to resume")
        self.step = step


@dataclasses.dataclass(frozen=True)
class Settings:
    coordinator: str | None = None   # HOST:PORT of process 0
    num_processes: int | None = None
    process_id: int | None = None

    def given(self) -> bool:
        return any(v is not None for v in dataclasses.astuple(self))


def settings_from_env(env=None) -> Settings:
    env = os.environ if env is None else env

    def num(key: str) -> int | None:
        v = env.get(key, "").strip()
        if not v:
            return None
        try:
            return int(v)
        except ValueError:
            raise UserError(f"${key}={v!r} is not an integer") from None

    return Settings(env.get("INKREPRO_COORDINATOR") or None, num("INKREPRO_NUM_PROCESSES"),
                    num("INKREPRO_PROCESS_ID"))


def detected_cluster(env=None) -> str | None:
    """The kind of multi-process cluster this process runs in, from its environment."""
    env = os.environ if env is None else env
    if len([h for h in env.get("TPU_WORKER_HOSTNAMES", "").split(",") if h]) > 1:
        return "tpu"
    if env.get("SLURM_JOB_ID") and int(env.get("SLURM_NTASKS", "1") or 1) > 1:
        return "slurm"
    if env.get("KUBERNETES_SERVICE_HOST") and env.get("JOB_COMPLETION_INDEX"):
        return "kubernetes"
    return None


def initialize(s: Settings | None = None) -> str:
    """Join the job's processes (see module docstring); -> how ("given", a cluster kind, or
    "" for a single process). Idempotent; call before any JAX computation."""
    s = settings_from_env() if s is None else s
    if jax.distributed.is_initialized():
        return "already"
    cluster = detected_cluster()
    if not s.given() and cluster is None:
        return ""
    if s.given() and None in (s.coordinator, s.num_processes, s.process_id):
        raise UserError("multi-process training needs all three of --coordinator HOST:PORT, "
                        f"--num-processes and --process-id (got {s})")
    # CPU processes exchange gradients through gloo (TPU/GPU use their own interconnect).
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    if s.given():
        jax.distributed.initialize(s.coordinator, s.num_processes, s.process_id,
                                   initialization_timeout=TIMEOUT_S, shutdown_timeout_seconds=TIMEOUT_S)
        return "given"
    jax.distributed.initialize(initialization_timeout=TIMEOUT_S, shutdown_timeout_seconds=TIMEOUT_S)
    return cluster or ""


def _client():
    """JAX's distributed-runtime client (as Orbax uses it: ``jax._src.distributed``)."""
    client = getattr(getattr(getattr(jax, "_src", None), "distributed", None), "global_state", None)
    client = getattr(client, "client", None)
    if client is None:
        raise UserError("several JAX processes but no distributed client: call cluster.initialize() first")
    return client


_calls = itertools.count()  # every process makes the same calls in the same order: same names


def barrier(name: str) -> None:
    """Wait until every process got here (no-op for one). Before the first collective: gloo
    sets up its context with a 30 s key-value timeout, which slow hosts (or a loaded CI
    machine) miss when one process is still compiling; the coordinator's barrier waits longer."""
    if jax.process_count() == 1:
        return
    _client().wait_at_barrier(f"inkrepro_{name}_{next(_calls)}", TIMEOUT_S * 1000)


def agree(value: str) -> list[str]:
    """Every process's ``value``, in process order (``[value]`` for one process), through the
    coordinator's key-value store: how the processes share a verdict (process 0's is ``[0]``)."""
    if jax.process_count() == 1:
        return [value]
    client, key = _client(), f"inkrepro/agree/{next(_calls)}"
    client.key_value_set(f"{key}/{jax.process_index()}", "=" + value)
    return [client.blocking_key_value_get(f"{key}/{i}", TIMEOUT_S * 1000)[1:]
            for i in range(jax.process_count())]


def is_primary() -> bool:
    return jax.process_index() == 0


class Preemption:
    """``reached(step, mgr)``: True on every process at the same step once SIGTERM came."""

    def __init__(self):
        self.signalled = False
        self._old: Any = None
        self.multi = jax.process_count() > 1

    def __enter__(self):
        if not self.multi and threading.current_thread() is threading.main_thread():
            # several processes: JAX's preemption service owns SIGTERM
            self._old = signal.signal(signal.SIGTERM, self._on_term)
        return self

    def _on_term(self, signum, frame) -> None:
        self.signalled = True

    def __exit__(self, *exc) -> None:
        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)

    def reached(self, step: int, mgr) -> bool:
        if self.multi:
            return bool(mgr.reached_preemption(step))
        return self.signalled


def local_processes(argv: list[str], processes: int, devices: int = 8, env=None, port: int = 0,
                    **popen) -> list:
    """Start ``argv`` as ``processes`` local processes sharing ``devices`` CPU devices, joined
    through a coordinator on localhost (what the multi-process test and benchmark run; also a
    way to try a multi-host setup on one machine). -> the Popen objects, process 0 first."""
    if devices % processes:
        raise UserError(f"{devices} devices do not split over {processes} processes")
    if not port:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    procs = []
    for i in range(processes):
        e = {**(os.environ if env is None else env), "JAX_PLATFORMS": "cpu",
             "JAX_NUM_CPU_DEVICES": str(devices // processes)}
        e.pop("XLA_FLAGS", None)
        if processes > 1:
            e |= {"INKREPRO_COORDINATOR": f"localhost:{port}", "INKREPRO_NUM_PROCESSES": str(processes),
                  "INKREPRO_PROCESS_ID": str(i)}
        procs.append(subprocess.Popen(argv, env=e, **popen))
    return procs
