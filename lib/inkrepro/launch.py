"""`inkrepro launch SPEC --profile P --on tpu-v5e|gpu --bucket gs://B`: a sweep's arms x seeds
as SkyPilot managed jobs, one training each.

Each job is a task YAML of ``launch/`` (resources, setup, run) with its envs filled: the
resolved training config as JSON (settings travel as data), its config hash, the workdir on the
bucket (``<bucket>/work/<config hash>``: checkpoints survive preemption), sweep, arm and seed
(MLflow tags); ``MLFLOW_TRACKING_URI`` goes as a SkyPilot secret (``inkrepro server``).
A config already trained (a FINISHED run with that config hash in MLflow, launched or from a
local sweep) is not launched again; arms that only evaluate another arm's training share it.
``--dry-run`` prints each job's resources, envs and command. SkyPilot (the ``cloud`` extra) is
imported only to submit.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import yaml

from inkrepro import tracking
from inkrepro.errors import UserError
from inkrepro.experiments import spec as spec_mod

LAUNCH_DIR = Path(__file__).resolve().parents[2] / "launch"
TARGETS = {"tpu-v5e": "tpu-v5e.yaml", "gpu": "gpu-multinode.yaml"}


@dataclasses.dataclass(frozen=True)
class Launch:
    name: str
    task: dict[str, Any]       # the SkyPilot task config (YAML mapping), envs filled
    config_hash: str


def load_task(target: str) -> dict[str, Any]:
    if target not in TARGETS:
        raise UserError(f"--on {target!r}: targets are {', '.join(TARGETS)}")
    return yaml.safe_load((LAUNCH_DIR / TARGETS[target]).read_text())


def finished(config_hash: str) -> bool:
    """A training of this config finished before (launched, or in a local sweep)."""
    for flt in (f"tags.job_config_hash = '{config_hash}' and attributes.status = 'FINISHED'",
                f"tags.config_hash = '{config_hash}' and tags.inkrepro_kind = 'job' "
                "and attributes.status = 'FINISHED'"):
        if not tracking.search_runs(flt, max_results=1).empty:
            return True
    return False


def plan(spec: spec_mod.Spec, profile: str, target: str, bucket: str, *,
         is_finished=finished) -> tuple[list[Launch], list[str]]:
    """-> (jobs to launch, lines saying what was skipped and why)."""
    if "://" not in bucket:
        raise UserError(f"--bucket {bucket!r}: give a bucket URI (gs://BUCKET/path): every host "
                        "of every job reads and writes checkpoints there")
    template = load_task(target)
    out, skipped, seen = [], [], set()
    for job in spec_mod.expand(spec, profile):
        if job.config_hash in seen:
            skipped.append(f"{job.key}: trains the same config as an earlier job ({job.config_hash})")
            continue
        seen.add(job.config_hash)
        if is_finished(job.config_hash):
            skipped.append(f"{job.key}: finished earlier (config {job.config_hash} found in MLflow)")
            continue
        task = copy.deepcopy(template)
        name = f"inkrepro-{spec.name}-{job.arm}-s{job.seed}".replace("_", "-").lower()
        task["name"] = name
        task["envs"] = {**task.get("envs", {}), "INKREPRO_PROFILE": profile,
                        "INKREPRO_CONFIG": json.dumps(job.config, sort_keys=True),
                        "INKREPRO_CONFIG_HASH": job.config_hash,
                        "INKREPRO_WORKDIR": f"{bucket.rstrip('/')}/work/{job.config_hash}",
                        "INKREPRO_SWEEP": spec.name, "INKREPRO_ARM": job.arm, "INKREPRO_SEED": str(job.seed)}
        out.append(Launch(name, task, job.config_hash))
    return out, skipped


def describe(launches: list[Launch]) -> str:
    """What ``--dry-run`` prints: per job its resources, envs (the config abbreviated) and command."""
    lines = []
    for ln in launches:
        envs = {k: (v if k != "INKREPRO_CONFIG" else f"<{len(v)} chars of JSON>")
                for k, v in ln.task["envs"].items()}
        lines += [f"== {ln.name} (config {ln.config_hash})",
                  f"  resources: {json.dumps(ln.task['resources'], sort_keys=True)}  "
                  f"num_nodes: {ln.task.get('num_nodes', 1)}",
                  f"  envs: {json.dumps(envs, sort_keys=True)}",
                  f"  secrets: {', '.join(ln.task.get('secrets', {})) or 'none'}",
                  "  run: " + ln.task["run"].strip().replace("\n", "\n       ")]
    return "\n".join(lines)


def sky_launch(task_config: dict[str, Any], name: str) -> Any:
    """Submit one managed job through SkyPilot's Python API (the seam tests replace)."""
    try:
        import sky  # optional extra: pip install -e '.[cloud]'
    except ImportError:
        raise UserError("SkyPilot is not installed: pip install -e '.[cloud]'") from None
    task = sky.Task.from_yaml_config(task_config)
    return sky.jobs.launch(task, name=name)


def submit(launches: list[Launch], secrets: dict[str, str], launch_fn=None) -> list[Any]:
    """Launch every job with the secrets filled in (their values never printed)."""
    launch_fn = launch_fn or sky_launch
    missing = [k for ln in launches for k, v in ln.task.get("secrets", {}).items()
               if v is None and not secrets.get(k)]
    if missing:
        raise UserError(f"secret(s) {', '.join(sorted(set(missing)))} not set: export them (e.g. "
                        "MLFLOW_TRACKING_URI=http://SERVER:5000 of `inkrepro server`)")
    out = []
    for ln in launches:
        task = copy.deepcopy(ln.task)
        task["secrets"] = {k: secrets.get(k, v) for k, v in task.get("secrets", {}).items()}
        out.append(launch_fn(task, ln.name))
    return out
