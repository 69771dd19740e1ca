"""Tiny stub steps: ONLY for the sweep-mechanics tests (never the product). They keep the
product's contracts (inkrepro.experiments.steps): train writes ``<workdir>/result.json`` and
logs a train run; evaluate logs an evaluation run nested under the job's run.

The config is the overrides mapping itself. Control files (env INKREPRO_STUB_DIR):
``fail-<arm>`` makes that arm's training raise; ``sleep`` makes training sleep that many seconds.
Every call appends a line to ``calls.log`` so tests can count what ran.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from inkrepro import tracking


def _dir() -> Path:
    return Path(os.environ["INKREPRO_STUB_DIR"])


def _log(line: str) -> None:
    with open(_dir() / "calls.log", "a") as f:
        f.write(line + "\n")


def prepare(*, profile):
    _log(f"prepare {profile}")


def resolve(profile: str, overrides: dict) -> dict:
    return {"profile": profile, **{k: overrides[k] for k in sorted(overrides)}}


def train(*, config, workdir, parent_run_id=None):
    d, arm = _dir(), config["stub.arm"]
    _log(f"train {arm} {config['seed']}")
    if (d / "sleep").exists():
        time.sleep(float((d / "sleep").read_text()))
    if (d / f"fail-{arm}").exists():
        raise RuntimeError(f"stub failure for arm {arm}")
    metrics = {"train/loss": 1.0 - float(config["stub.quality"])}
    with tracking.run(f"stub-train-{arm}", parent_run_id=parent_run_id,
                      tags={"inkrepro_kind": "train"}) as r:
        tracking.log_metrics(metrics)
    Path(workdir).mkdir(parents=True, exist_ok=True)
    (Path(workdir) / "ckpt.json").write_text(json.dumps(dict(config)))
    result = {"metrics": metrics, "checkpoint": workdir, "run_id": r.info.run_id, "seconds": 0.1}
    (Path(workdir) / "result.json").write_text(json.dumps(result))
    return result


def evaluate(*, profile, workdir, options, parent_run_id=None):
    cfg = json.loads((Path(workdir) / "ckpt.json").read_text())
    _log(f"evaluate {cfg['stub.arm']} {cfg['seed']} {json.dumps(dict(options), sort_keys=True)}")
    q = float(cfg["stub.quality"]) + 0.01 * int(cfg["seed"])
    bonus = 0.05 if options.get("constrained", True) else 0.0
    metrics = {"eval/hershey/vanilla_derender/char_f1": q + bonus, "eval/seconds": 0.1}
    with tracking.run("stub-evaluate", parent_run_id=parent_run_id,
                      tags={"inkrepro_kind": "evaluate"}) as r:
        tracking.log_metrics(metrics)
    return {"metrics": metrics, "run_id": r.info.run_id}
