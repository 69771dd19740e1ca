"""The steps a sweep runs (``spec.steps``; the defaults below are the product, tests use stubs).

Contracts, so that every result is stored once:
- ``prepare(profile=...)``: once per sweep, before any job.
- ``resolve`` (``spec.resolve_config``): profile + overrides -> the resolved config mapping.
- ``train(config=mapping, workdir=..., parent_run_id=...)``: trains; the record of the finished
  training is ``<workdir>/result.json`` (written by ``inkrepro.train``; ``run_id`` names its
  MLflow run).
- ``evaluate(profile=..., workdir=..., options=..., parent_run_id=...)``: logs one MLflow run
  (``inkrepro_kind=evaluate``) nested under ``parent_run_id`` with the ``eval/...`` metrics.
The sweep links the job's run to those two runs; it copies no metric.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inkrepro import config as config_mod
from inkrepro import tracking
from inkrepro import train as train_mod
from inkrepro.evaluate import options as eval_options
from inkrepro.evaluate import recognizer, runner


def prepare(*, profile: str, log=print) -> None:
    """Train the recognizer the profile's evaluation reads, unless it exists (an explicit step:
    evaluation itself never trains one)."""
    rprofile = eval_options.options(**eval_options.profile_options(profile)).recognizer_profile
    if recognizer.find(recognizer.profile_config(rprofile)) is None:
        log(f"prepare: training the {rprofile!r} recognizer (once; `inkrepro recognizer train`)")
        recognizer.ensure(rprofile)


def train(*, config: Mapping[str, Any], workdir: str, parent_run_id: str | None = None
          ) -> dict[str, Any]:
    """Train the resolved ``config`` in ``workdir`` (resumes from its checkpoints)."""
    return train_mod.train(config_mod.from_dict(config), workdir, parent_run_id=parent_run_id)


def evaluate(*, profile: str, workdir: str, options: Mapping[str, Any],
             parent_run_id: str | None = None) -> dict[str, Any]:
    """Score a trained run folder (``runner.evaluate_checkpoint``; ``options``: any
    ``EvalOptions`` field over the profile's defaults, checked when the spec was read). The
    evaluation inputs always use the *profile's* default photo-like augmentation and seed 0, so
    arms that change the training augmentation, and every seed, are scored on the same inputs."""
    return runner.evaluate_checkpoint(
        workdir, parent_run_id=parent_run_id, progress=False,
        input_augmentation=config_mod.profile(profile).data.augmentation,
        **eval_options.profile_options(profile, dict(options)))


def default_workdir(profile: str, seed: int) -> str:
    return str(tracking.runs_dir() / "work" / f"manual-{profile}-seed{seed}")
