"""SkyPilot launch, offline: the task YAMLs of launch/ against SkyPilot's task schema (its own
parser when ``sky`` is importable), the submitter with ``sky.jobs.launch`` replaced by a recorder,
``--dry-run`` output, and finished configs (found in MLflow) not launched again."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from inkrepro import config, launch, tracking
from inkrepro.errors import UserError
from inkrepro.experiments import spec as spec_mod

ROOT = Path(__file__).resolve().parents[1]
SPEC = {"name": "mini", "title": "Mini", "metric": "eval/hershey/vanilla_derender/char_f1",
        "profiles": {"smoke": {"seeds": [0, 1]}},
        "arms": [{"name": "base"}, {"name": "adam", "overrides": {"train.optimizer": "adam"}},
                 {"name": "base_unconstrained", "from": "base", "evaluate": {"constrained": False}}]}

# The parts of SkyPilot's task schema (sky/utils/schemas.py, get_task_schema and the
# resources schema, v0.14) that our tasks use; additionalProperties false as there.
_RESOURCES = {"type": "object", "additionalProperties": False, "properties": {
    "cloud": {"type": "string"}, "region": {"type": "string"}, "zone": {"type": "string"},
    "infra": {"type": "string"}, "cpus": {"type": ["string", "number"]}, "memory": {"type": ["string", "number"]},
    "accelerators": {"anyOf": [{"type": "string"}, {"type": "object", "maxProperties": 1,
                                                     "additionalProperties": {"type": "number"}}]},
    "instance_type": {"type": "string"}, "use_spot": {"type": "boolean"}, "disk_size": {"type": "integer"},
    "accelerator_args": {"type": "object", "additionalProperties": False, "properties": {
        "runtime_version": {"type": "string"}, "tpu_name": {"type": "string"}, "tpu_vm": {"type": "boolean"}}},
    "job_recovery": {"anyOf": [{"type": "string"}, {"type": "object", "properties": {
        "strategy": {"type": ["string", "null"]}, "max_restarts_on_errors": {"type": "integer", "minimum": 0},
        "recover_on_exit_codes": {"anyOf": [{"type": "integer", "minimum": 0, "maximum": 255},
                                            {"type": "array", "uniqueItems": True,
                                             "items": {"type": "integer", "minimum": 0, "maximum": 255}}]}}}]}}}
TASK_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["resources", "run"], "properties": {
    "name": {"type": "string"}, "workdir": {"type": "string"}, "num_nodes": {"type": "integer"},
    "resources": _RESOURCES, "file_mounts": {"type": "object"}, "setup": {"type": "string"},
    "run": {"type": "string"}, "config": {"type": "object"},
    "envs": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null"]}},
    "secrets": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null"]}}}}


@pytest.fixture
def spec():
    return spec_mod.parse_spec(SPEC, "mini.yaml")


def _never(h):
    return False


@pytest.mark.parametrize("target", list(launch.TARGETS))
def test_task_yamls_fit_skypilot_schema(target, spec):
    jsonschema.validate(launch.load_task(target), TASK_SCHEMA)
    launches, _ = launch.plan(spec, "smoke", target, "gs://b/x", is_finished=_never)
    for ln in launches:
        jsonschema.validate(ln.task, TASK_SCHEMA)
        assert config.from_dict(json.loads(ln.task["envs"]["INKREPRO_CONFIG"])).seed in (0, 1)
    t = launch.load_task(target)
    if target == "tpu-v5e":
        assert t["resources"]["accelerators"].startswith("tpu-v5litepod-")
        assert t["resources"]["accelerator_args"]["runtime_version"] == "v2-alpha-tpuv5-lite"
        assert "--coordinator" not in t["run"]          # JAX reads the TPU worker id itself
    else:
        for var in ("SKYPILOT_NODE_IPS", "SKYPILOT_NODE_RANK", "SKYPILOT_NUM_NODES"):
            assert var in t["run"]
    assert t["resources"]["use_spot"] and 143 in t["resources"]["job_recovery"]["recover_on_exit_codes"]
    assert "MLFLOW_TRACKING_URI" in t["secrets"] and "MLFLOW_TRACKING_URI" not in t["envs"]


def test_tasks_parse_with_skypilot_itself(spec):
    sky = pytest.importorskip("sky", reason="SkyPilot not installed (the 'cloud' extra, too heavy for CI): "
                              "the tasks were checked against its schema above instead")
    for target in launch.TARGETS:
        launches, _ = launch.plan(spec, "smoke", target, "gs://b/x", is_finished=_never)
        task = sky.Task.from_yaml_config({**launches[0].task, "secrets": {"MLFLOW_TRACKING_URI": "http://x"}})
        assert task.num_nodes >= 1


def test_plan_submit_with_a_recorder_and_skip_finished(spec):
    launches, skipped = launch.plan(spec, "smoke", "gpu", "gs://bkt/runs", is_finished=_never)
    assert [ln.task["envs"]["INKREPRO_ARM"] + ln.task["envs"]["INKREPRO_SEED"] for ln in launches] == \
        ["base0", "base1", "adam0", "adam1"]                 # the from-arm shares base's training
    assert len(skipped) == 2 and all("same config" in s for s in skipped)
    ln = launches[0]
    assert ln.task["envs"]["INKREPRO_WORKDIR"] == f"gs://bkt/runs/work/{ln.config_hash}"
    assert ln.task["envs"]["INKREPRO_CONFIG_HASH"] == ln.config_hash and ln.task["secrets"] == {
        "MLFLOW_TRACKING_URI": None}

    done = {launches[1].config_hash}
    again, why = launch.plan(spec, "smoke", "gpu", "gs://bkt/runs", is_finished=lambda h: h in done)
    assert [x.name for x in again] == [launches[0].name, launches[2].name, launches[3].name]
    assert any("finished earlier" in s for s in why)

    calls = []
    with pytest.raises(UserError, match="MLFLOW_TRACKING_URI not set"):
        launch.submit(again, {}, launch_fn=lambda t, n: calls.append((t, n)))
    launch.submit(again, {"MLFLOW_TRACKING_URI": "http://mlflow:5000"}, launch_fn=lambda t, n: calls.append((t, n)))
    assert [n for _, n in calls] == [x.name for x in again]
    assert all(t["secrets"] == {"MLFLOW_TRACKING_URI": "http://mlflow:5000"} for t, _ in calls)
    assert again[0].task["secrets"] == {"MLFLOW_TRACKING_URI": None}       # the plan is untouched
    with pytest.raises(UserError, match="bucket URI"):
        launch.plan(spec, "smoke", "gpu", "runs/local")


def test_finished_found_in_mlflow(tmp_path, monkeypatch, spec):
    monkeypatch.setenv("INKREPRO_RUNS", str(tmp_path / "runs"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    launches, _ = launch.plan(spec, "smoke", "tpu-v5e", "gs://b", is_finished=_never)
    h = launches[0].config_hash
    assert not launch.finished(h)
    with tracking.run("t", tags={"inkrepro_kind": "train", "job_config_hash": h}):
        pass
    assert launch.finished(h) and not launch.finished(launches[2].config_hash)
    left, why = launch.plan(spec, "smoke", "tpu-v5e", "gs://b")
    assert h not in {x.config_hash for x in left} and any(h in s for s in why)


def test_dry_run_prints_resources_envs_and_command(tmp_path):
    p = tmp_path / "mini.yaml"
    p.write_text(yaml.safe_dump(SPEC))
    env = {**os.environ, "INKREPRO_RUNS": str(tmp_path / "runs")}
    env.pop("MLFLOW_TRACKING_URI", None)
    r = subprocess.run([sys.executable, "-m", "inkrepro.cli", "launch", str(p), "--profile", "smoke", "--on",
                        "tpu-v5e", "--bucket", "gs://b/x", "--dry-run"], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.count("== inkrepro-mini-") == 4 and "tpu-v5litepod-16" in r.stdout
    assert "inkrepro train --config" in r.stdout and "INKREPRO_WORKDIR" in r.stdout
    assert "secrets: MLFLOW_TRACKING_URI" in r.stdout and "skip base_unconstrained/seed0" in r.stdout
