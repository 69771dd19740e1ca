"""Evaluation settings: :class:`EvalOptions`, their valid values, and the one parser that checks
them (``inkrepro evaluate --set``, a sweep spec's ``evaluate:``, the evaluate step).

Light to import (no JAX, MLflow or pandas), so that a sweep spec's ``evaluate:`` mappings are
checked when the spec is read, ``--dry-run`` included, before anything trains: unknown keys,
types (the dataclass's annotations, ``configlib.expect``), ranges (:data:`RANGES`), choices
(:data:`CHOICES`), inference-mode and dataset names. The runner (``evaluate.runner``) uses them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from inkrepro import config as config_mod
from inkrepro import configlib, tasks
from inkrepro.configlib import Range
from inkrepro.data import readers
from inkrepro.data.config import SYNTHETIC_SOURCES
from inkrepro.data.schema import SPLITS
from inkrepro.errors import UserError

DATASET_ALIASES = {"synthetic_ink": "hershey", "synthetic-ink": "hershey",
                   "synthetic_photos": "photos", "synthetic-photos": "photos",
                   "synthetic_cjk": "kanjivg"}
# Dataset names: the synthetic sources, the prepared real datasets (by reader) and the aliases.
# A name is never a path: a prepared dataset lives at ``data.config.prepared_dir(cfg, name)``.
DATASETS = SYNTHETIC_SOURCES + tuple(readers.READERS) + tuple(DATASET_ALIASES)
TEXT_SOURCES = ("label", "tesseract")
METHODS = ("greedy", "beam", "sample")   # model.decode.METHODS (tests keep the two equal)


@dataclass(frozen=True)
class EvalOptions:
    """Evaluation settings (all overridable from the CLI as ``key=value``)."""

    datasets: tuple[str, ...] = ()          # () = the checkpoint's ink + OCR sources
    modes: tuple[str, ...] = tasks.MODES
    split: str = "test"
    n: int = 0                              # examples per dataset (0 = all)
    batch_size: int = 16
    max_len: int = 0                        # 0 = the checkpoint's max_target_len
    method: str = "greedy"                  # greedy | beam | sample (decode.generate)
    constrained: bool = tasks.CONSTRAINED   # grammar-constrained decoding (infer's one default)
    text_source: str = "tesseract"          # derender-with-text prompt text: tesseract | label
    recognizer: str = ""                    # artifact dir or version; "" = the profile's
    recognizer_profile: str = "laptop"
    max_recognizer_cer: float = 0.35        # refuse a recognizer worse than this on GT ink
    recognizer_decoding: str = "greedy"     # greedy | beam
    tesseract: bool = True                  # independent reader columns (skipped if missing)
    calibration: bool = True                # floor and ceiling rows (evaluate.calibration)
    # learning curve: every earlier kept checkpoint is decoded too (vanilla, the first dataset
    # with reference ink, no Tesseract) and scored against training minutes (``curve.json``,
    # MLflow history ``curve/<dataset>/<metric>`` by step; see ``runner.learning_curve``)
    curve: bool = False
    bootstrap: int = 1000
    gallery_n: int = 8
    augment: bool = True                    # photo-like evaluation inputs (as in training)
    seed: int = 0
    out_dir: str = ""                       # "" = <workdir>/eval/<timestamp>


# The valid values of EvalOptions' numeric fields and the names its text fields take.
RANGES = {
    "n": Range(0, note="0 = all"), "batch_size": Range(1),
    "max_len": Range(0, note="0 = the checkpoint's data.max_target_len"),
    "max_recognizer_cer": Range(0), "bootstrap": Range(1, note="resamples for the 95% CIs"),
    "gallery_n": Range(0), "seed": Range(0),
}
CHOICES = {
    "split": SPLITS, "method": METHODS, "text_source": TEXT_SOURCES,
    "recognizer_decoding": ("greedy", "beam"),
    "recognizer_profile": tuple(config_mod.PROFILES),   # recognizer.PROFILES has the same names
}

# A profile's evaluation defaults (what a sweep's job does not set itself): the smoke profile
# scores a few examples with a recognizer that is not meant to read.
PROFILE_OPTIONS: dict[str, dict[str, Any]] = {
    "smoke": {"recognizer_profile": "smoke", "max_recognizer_cer": 10.0, "n": 4,
              "bootstrap": 100, "gallery_n": 2},
}


def profile_options(profile: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """``options`` over the profile's evaluation defaults (:data:`PROFILE_OPTIONS`)."""
    return {**PROFILE_OPTIONS.get(profile, {}), **(options or {})}


def names(v: str | Sequence[str]) -> tuple[str, ...]:
    """``"a, b"`` or ``["a", "b"]`` -> ``("a", "b")`` (dataset and mode lists)."""
    items = v.split(",") if isinstance(v, str) else v
    return tuple(s.strip() for s in items if s and s.strip())


def parse(settings: Mapping[str, Any], prefix: str = "") -> EvalOptions:
    """EvalOptions from a mapping of settings, every one checked: a UserError naming the key
    (``prefix`` + field, e.g. ``evaluate.n``), the value and what is valid for an unknown
    key, a wrong type, a value out of range (:data:`RANGES`), an unknown choice
    (:data:`CHOICES`), inference mode or dataset (:data:`DATASETS`). ``datasets`` and
    ``modes`` take lists or comma-separated text; mode aliases become the modes' names."""
    opts = EvalOptions()
    for key, value in settings.items():
        key = str(key)
        if key in ("datasets", "modes") and isinstance(value, str):
            value = names(value)
        opts = configlib.replace_path(opts, key, value, prefix + key)
    configlib.check_ranges(opts, RANGES, prefix)
    for key, choices in CHOICES.items():
        if getattr(opts, key) not in choices:
            raise UserError(f"config key {prefix}{key}={getattr(opts, key)!r}: must be one of {choices}")
    try:
        modes = tuple(dict.fromkeys(tasks.canonical(m) for m in names(opts.modes)))
    except UserError as e:
        raise UserError(f"config key {prefix}modes={opts.modes!r}: {e}") from None
    if not modes:
        raise UserError(f"config key {prefix}modes={opts.modes!r}: name at least one inference "
                        f"mode of {tasks.MODES}")
    datasets = names(opts.datasets)
    for d in datasets:
        if d not in DATASETS:
            raise UserError(f"config key {prefix}datasets={opts.datasets!r}: unknown dataset "
                            f"{d!r}; datasets: {', '.join(DATASETS)}")
    return replace(opts, modes=modes, datasets=datasets)


def options(**kw) -> EvalOptions:
    """EvalOptions from keyword arguments (None = not set; see :func:`parse`)."""
    return parse({k: v for k, v in kw.items() if v is not None})
