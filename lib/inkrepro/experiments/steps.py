"""What the train/evaluate notebooks call: thin adapters over inkrepro.train / inkrepro.evaluate.

``run_train`` / ``run_evaluate`` time the step, write a JSON result the sweep runner reads, and
return it. The step functions themselves are named by ``"module:function"`` strings (a spec's
``steps:``) so the sweep mechanics can be tested with stubs; the defaults below are the product.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from inkrepro.errors import UserError
from inkrepro.experiments.spec import load_callable


def _write(path: str, obj: dict[str, Any]) -> None:
    if not path:
        return
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(p.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1, sort_keys=True, default=str))
    tmp.replace(p)


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if hasattr(x, "item") and getattr(x, "ndim", 1) == 0:
        return x.item()
    if isinstance(x, str | int | float | bool) or x is None:
        return x
    return str(x)


def train_overrides(overrides: list[str] | dict[str, Any], *, seed: int | None = None,
                    config_name: str = "", task_weights: dict[str, float] | None = None
                    ) -> list[str]:
    """Notebook parameters -> one override list (later entries win)."""
    out = ([f"{k}={json.dumps(v)}" for k, v in overrides.items()]
           if isinstance(overrides, dict) else list(overrides))
    if config_name:
        out.append(f"model={json.dumps(config_name)}")
    for task, w in (task_weights or {}).items():
        out.append(f"data.mixture.{task}={float(w)}")
    if seed is not None:
        out.append(f"seed={int(seed)}")
    return out


def run_train(train_fn: str, *, profile: str, overrides: list[str], workdir: str,
              parent_run_id: str | None = None, result_path: str = "") -> dict[str, Any]:
    fn = load_callable(train_fn)
    t0 = time.perf_counter()
    res = fn(profile=profile, overrides=overrides, workdir=workdir, parent_run_id=parent_run_id)
    out = _jsonable({**res, "seconds": time.perf_counter() - t0})
    _write(result_path, out)
    return out


def run_evaluate(evaluate_fn: str, *, profile: str, seed: int, workdir: str,
                 options: dict[str, Any], parent_run_id: str | None = None,
                 result_path: str = "") -> dict[str, Any]:
    fn = load_callable(evaluate_fn)
    t0 = time.perf_counter()
    res = fn(profile=profile, seed=seed, workdir=workdir, options=options,
             parent_run_id=parent_run_id)
    out = _jsonable({**res, "seconds": time.perf_counter() - t0})
    _write(result_path, out)
    return out


# ------------------------------------------------------------------ the product steps

def _config_module():
    try:
        from inkrepro import config
    except ImportError as e:
        raise UserError(f"inkrepro.config is not available ({e}); the model/train area must be "
                        "installed for sweeps") from None
    return config


def make_config(profile: str, overrides: list[str] | dict[str, Any]):
    cfg_mod = _config_module()
    ov = ([f"{k}={json.dumps(v)}" for k, v in overrides.items()]
          if isinstance(overrides, dict) else list(overrides))
    return cfg_mod.profile(profile, ov)


def resolve_config(profile: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """Resolved training config as a plain dict (hashed to decide what is already trained)."""
    from inkrepro.configlib import to_dict

    return to_dict(make_config(profile, overrides))


def train(*, profile: str, overrides: list[str], workdir: str,
          parent_run_id: str | None = None) -> dict[str, Any]:
    from inkrepro import train as train_mod

    cfg = make_config(profile, overrides)
    res = train_mod.train(cfg, workdir, parent_run_id=parent_run_id) or {}
    metrics = res.get("metrics", {}) if isinstance(res, dict) else {}
    return {"metrics": metrics, "checkpoint": str(res.get("checkpoint", workdir)),
            "run_id": res.get("run_id", ""), "profile": profile}


def evaluate(*, profile: str, seed: int, workdir: str, options: dict[str, Any],
             parent_run_id: str | None = None) -> dict[str, Any]:
    """Score a trained run folder with ``inkrepro.evaluate.runner.evaluate_checkpoint``.

    ``options``: any ``EvalOptions`` field (datasets, modes, n, constrained, tesseract, ...).
    Returns {"metrics": {"<dataset>/<mode>/<metric>": value}, "recognizer_version", ...}.
    Evaluation inputs always use the *profile's* default photo-like augmentation, so arms
    that change the training augmentation are scored on the same inputs as the others.
    """
    import dataclasses

    from inkrepro import train as train_mod
    from inkrepro.evaluate import runner

    opts = runner.profile_options(profile, options, seed=0)  # same inputs for every arm and seed
    model, vocab, cfg = train_mod.load_for_inference(workdir)
    aug = make_config(profile, {}).data.augmentation
    cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, augmentation=aug))
    res = runner.evaluate_checkpoint(workdir, parent_run_id=parent_run_id, progress=False,
                                     loaded=(model, vocab, cfg), **opts)
    metrics = {k.removeprefix("eval/"): v for k, v in res["metrics"].items()}
    return {"metrics": metrics, "run_id": res.get("run_id", ""),
            "recognizer_version": res.get("recognizer_version", ""),
            "per_sample": res.get("per_sample", ""), "notes": res.get("notes", [])}


def default_workdir(profile: str, seed: int) -> str:
    from inkrepro import tracking

    return str(tracking.runs_dir() / "work" / f"manual-{profile}-seed{seed}")
