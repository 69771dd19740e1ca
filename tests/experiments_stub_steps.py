"""Tiny stub train/evaluate steps: ONLY for the sweep-mechanics tests (never the product).

The config is the overrides dict itself. Control files (env INKREPRO_STUB_DIR):
``fail-<arm>`` makes that arm's training raise; ``sleep`` makes training sleep that many seconds.
Every call appends a line to ``calls.log`` so tests can count what ran.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


def _dir() -> Path:
    return Path(os.environ["INKREPRO_STUB_DIR"])


def resolve(profile: str, overrides: dict) -> dict:
    return {"profile": profile, **{k: overrides[k] for k in sorted(overrides)}}


def train(*, profile, overrides, workdir, parent_run_id=None):
    d = _dir()
    ov = dict(o.split("=", 1) for o in overrides)
    arm = json.loads(ov.get("stub.arm", '"?"'))
    with open(d / "calls.log", "a") as f:
        f.write(f"train {arm} {ov.get('seed')}\n")
    if (d / "sleep").exists():
        time.sleep(float((d / "sleep").read_text()))
    if (d / f"fail-{arm}").exists():
        raise RuntimeError(f"stub failure for arm {arm}")
    Path(workdir).mkdir(parents=True, exist_ok=True)
    (Path(workdir) / "ckpt.txt").write_text(json.dumps(ov))
    q = float(json.loads(ov.get("stub.quality", "0.5")))
    return {"metrics": {"loss": 1.0 - q}, "checkpoint": workdir}


def evaluate(*, profile, seed, workdir, options, parent_run_id=None):
    d = _dir()
    ov = json.loads((Path(workdir) / "ckpt.txt").read_text())
    arm = json.loads(ov.get("stub.arm", '"?"'))
    with open(d / "calls.log", "a") as f:
        f.write(f"evaluate {arm} {seed} {json.dumps(options, sort_keys=True)}\n")
    q = float(json.loads(ov.get("stub.quality", "0.5"))) + 0.01 * int(seed)
    bonus = 0.05 if options.get("constrained", True) else 0.0
    return {"metrics": {"synthetic_ink/vanilla/char_f1": q + bonus}}
