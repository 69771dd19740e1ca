"""Sweep specs: a base profile plus named arms (config overrides) and seeds -> a plan of jobs.

A spec is YAML (see ``ablations/*.yaml``)::

    name: training_tasks
    title: Training-task ablation
    metric: eval/hershey/vanilla_derender/dtw      # the headline metric of its figure: an
                                                    # eval/<dataset>/<mode>/<metric> key
    overrides: {}                                   # applied to every arm
    evaluate: {datasets: [...], modes: [...]}      # default evaluation of every arm
    profiles:
      laptop: {seeds: [0, 1], overrides: {...}, evaluate: {...}, arms: [...] (optional subset)}
    arms:
      - name: all_five
        label: All five tasks
        overrides: {}
      - name: unconstrained
        from: all_five                 # same training config as all_five ...
        evaluate: {constrained: false} # ... evaluated differently: an eval-only arm
                                       # (spec + profile + this arm's evaluate settings)

Each job carries its training config resolved once, here (``Job.config``: the plain mapping of
the ExperimentConfig of profile + overrides + seed); the train step receives that mapping, not
override strings. Jobs are content-addressed by ``configlib.config_hash``: ``config_hash`` of
the resolved config, ``job_hash`` of it plus the evaluation settings. Two jobs with the same
``config_hash`` share one training run (within a sweep and across sweeps); an arm ``from``
another arm therefore only evaluates that arm's checkpoint.

``steps:`` names the functions a sweep calls, by name from the fixed registry :data:`STEPS`
of the project's own steps (a spec is data: nothing it says is imported): ``prepare`` (once
per sweep, before any job: what evaluation needs, e.g. the recognizer), ``resolve`` (profile +
overrides -> config mapping; default :func:`resolve_config`), ``train`` and ``evaluate``
(defaults in ``inkrepro.experiments.steps``).

Every field is validated when the spec is read, before anything runs (``--dry-run``
included): YAML limits and duplicate keys (``configlib.load_yaml``), names that become paths
(spec, profiles, arms) are safe identifiers, seeds a list of distinct non-negative integers,
``from:`` names a training arm (no chains, cycles or self-references); every job's overrides
are checked against the config (types and ranges, ``inkrepro.config.check``) when the plan is
made.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from inkrepro import config as config_mod
from inkrepro import configlib
from inkrepro.configlib import config_hash, load_yaml, parse_override, to_dict
from inkrepro.errors import UserError

# The steps a spec may name (``steps: {train: inkrepro.train, ...}``), and the code each runs.
# Fixed: a spec's strings are only looked up here, never imported. The ``stub.*`` steps are
# the sweep-mechanics tests' (tests/experiments_stub_steps.py, importable only with tests/ on
# the path); they are never the product.
STEPS: dict[str, str] = {
    "inkrepro.prepare": "inkrepro.experiments.steps:prepare",
    "inkrepro.resolve": "inkrepro.experiments.spec:resolve_config",
    "inkrepro.train": "inkrepro.experiments.steps:train",
    "inkrepro.evaluate": "inkrepro.experiments.steps:evaluate",
    "stub.prepare": "experiments_stub_steps:prepare",
    "stub.resolve": "experiments_stub_steps:resolve",
    "stub.train": "experiments_stub_steps:train",
    "stub.evaluate": "experiments_stub_steps:evaluate",
}
STEP_ROLES = ("prepare", "resolve", "train", "evaluate")
DEFAULT_STEPS = {role: f"inkrepro.{role}" for role in STEP_ROLES}
# Names that become parts of paths (notebook folders, summary files) and MLflow tags.
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")
ABLATIONS_DIR = Path(__file__).resolve().parents[3] / "ablations"
# What a finished job records (2: links to its train/evaluation runs, eval/<dataset>/<mode>/...
# metric names). Part of the job hash: jobs recorded in an older way are evaluated again (their
# training is reused), so no table mixes the two.
JOB_RECORDS = 2


@dataclasses.dataclass(frozen=True)
class Arm:
    name: str
    label: str
    overrides: dict[str, Any]
    evaluate: dict[str, Any]
    from_arm: str | None = None
    note: str = ""
    profiles: tuple[str, ...] | None = None  # run only in these profiles (None: all)


@dataclasses.dataclass(frozen=True)
class ProfileSpec:
    seeds: tuple[int, ...]
    overrides: dict[str, Any]
    evaluate: dict[str, Any]
    arms: tuple[str, ...] | None = None


@dataclasses.dataclass(frozen=True)
class Spec:
    name: str
    title: str
    path: str
    metric: str
    overrides: dict[str, Any]
    evaluate: dict[str, Any]
    profiles: dict[str, ProfileSpec]
    arms: tuple[Arm, ...]
    steps: dict[str, str]
    description: str = ""
    metrics: tuple[str, ...] = ()   # columns of its table / panels of its figure

    def arm(self, name: str) -> Arm:
        for a in self.arms:
            if a.name == name:
                return a
        raise UserError(f"spec {self.name!r}: no arm {name!r}; arms: "
                        f"{', '.join(a.name for a in self.arms)}")


@dataclasses.dataclass(frozen=True)
class Job:
    sweep: str
    arm: str
    label: str
    seed: int
    profile: str
    overrides: dict[str, Any]      # what the spec changed (spec + profile + arm + seed): for plans
    evaluate: dict[str, Any]       # evaluation settings
    config: dict[str, Any]         # the resolved training config (plain mapping): what trains
    config_hash: str
    job_hash: str
    from_arm: str | None = None

    @property
    def key(self) -> str:
        return f"{self.arm}/seed{self.seed}"


def _overrides(raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if isinstance(raw, Mapping):
        return {str(k): v for k, v in raw.items()}
    if isinstance(raw, list | tuple):
        return dict(parse_override(str(x)) for x in raw)
    raise UserError(f"{where}: overrides must be a mapping or a list of key=value")


def resolve_config(profile: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A profile with overrides applied, as the plain mapping a job carries (the default
    ``resolve`` step; light: planning a sweep or reading its runs loads no training code)."""
    return to_dict(config_mod.profile(profile, overrides))


def _mapping(raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise UserError(f"{where}: expected a mapping, got {raw!r}")
    return dict(raw)


def _check_keys(d: Mapping, allowed: set[str], where: str) -> None:
    extra = set(d) - allowed
    if extra:
        raise UserError(f"{where}: unknown key(s) {sorted(map(str, extra))}; allowed: {sorted(allowed)}")


def _name(raw: Any, where: str) -> str:
    """A name that may become part of a path: letters, digits, ``_`` and ``-`` (<= 64)."""
    if not isinstance(raw, str | int) or isinstance(raw, bool) or not SAFE_NAME.fullmatch(str(raw)):
        raise UserError(f"{where}: name {raw!r} is not a safe identifier (letters, digits, '_' "
                        "and '-', at most 64, not starting with '-')")
    return str(raw)


def _text(raw: Any, where: str) -> str:
    if raw is not None and not isinstance(raw, str | int | float):
        raise UserError(f"{where}: expected text, got {raw!r}")
    return "" if raw is None else str(raw)


def _seeds(raw: Any, where: str) -> tuple[int, ...]:
    """A list of distinct non-negative integers (``0``, ``[a]``, ``[0.9]``, ``[1, 1]`` refused)."""
    ok = isinstance(raw, list) and raw and all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in raw)
    if not ok or len(set(raw)) != len(raw):
        raise UserError(f"{where}: seeds must be a non-empty list of distinct non-negative "
                        f"integers, e.g. [0, 1]; got {raw!r}")
    return tuple(raw)


def _steps(raw: Any, where: str) -> dict[str, str]:
    """Role -> registered step name (:data:`STEPS`); unknown roles or names are refused."""
    d = _mapping(raw, f"{where}: steps")
    _check_keys(d, set(STEP_ROLES), f"{where}: steps")
    for role, name in d.items():
        if name not in STEPS:
            raise UserError(f"{where}: steps.{role}={name!r} is not a step of this project; "
                            f"known: {', '.join(STEPS)}")
    return {**DEFAULT_STEPS, **d}


def parse_spec(data: Mapping[str, Any], path: str = "<spec>") -> Spec:
    if not isinstance(data, Mapping):
        raise UserError(f"{path}: a sweep spec is a YAML mapping")
    _check_keys(data, {"name", "title", "description", "metric", "metrics", "overrides",
                       "evaluate", "profiles", "arms", "steps"}, path)
    if not data.get("arms") or not isinstance(data["arms"], list):
        raise UserError(f"{path}: a spec needs a list of at least one arm under 'arms:'")
    arms = []
    for i, a in enumerate(data["arms"]):
        where = f"{path}: arms[{i}]"
        if not isinstance(a, Mapping) or "name" not in a:
            raise UserError(f"{where}: each arm is a mapping with a 'name'")
        _check_keys(a, {"name", "label", "overrides", "evaluate", "from", "note", "profiles"},
                    where)
        name = _name(a["name"], where)
        prof = a.get("profiles")
        if prof is not None and not isinstance(prof, list):
            raise UserError(f"{where}: 'profiles' is a list of profile names, got {prof!r}")
        arms.append(Arm(name=name, label=_text(a.get("label", name), where),
                        overrides=_overrides(a.get("overrides"), where),
                        evaluate=_mapping(a.get("evaluate"), where),
                        from_arm=None if a.get("from") is None else _name(a["from"], where),
                        note=_text(a.get("note"), where),
                        profiles=tuple(_name(p, where) for p in prof) if prof else None))
    names = [a.name for a in arms]
    if len(set(names)) != len(names):
        raise UserError(f"{path}: arm names must be unique: {names}")
    by_name = {a.name: a for a in arms}
    for a in arms:
        if a.from_arm == a.name:
            raise UserError(f"{path}: arm {a.name!r} is 'from' itself")
        if a.from_arm is not None and a.from_arm not in names:
            raise UserError(f"{path}: arm {a.name!r} is 'from' unknown arm {a.from_arm!r}")
        if a.from_arm is not None and by_name[a.from_arm].from_arm is not None:
            raise UserError(f"{path}: arm {a.name!r} is 'from' {a.from_arm!r}, which is itself "
                            f"'from' another arm; name the training arm "
                            f"({by_name[a.from_arm].from_arm!r}) directly (no chains or cycles)")
        if a.from_arm is not None and a.overrides:
            raise UserError(f"{path}: arm {a.name!r} is eval-only ('from') and cannot have "
                            "training overrides; put evaluation settings under 'evaluate'")
    profiles = {}
    for pname, p in _mapping(data.get("profiles"), path).items():
        where = f"{path}: profiles.{pname}"
        pname = _name(pname, f"{path}: profiles")
        p = _mapping(p, where)
        _check_keys(p, {"seeds", "overrides", "evaluate", "arms"}, where)
        seeds = _seeds(p.get("seeds", [0]), where)
        if p.get("arms") is not None and not isinstance(p["arms"], list):
            raise UserError(f"{where}: 'arms' is a list of arm names, got {p['arms']!r}")
        sub = tuple(p["arms"]) if p.get("arms") else None
        for n in sub or ():
            if n not in names:
                raise UserError(f"{where}: unknown arm {n!r}")
        profiles[str(pname)] = ProfileSpec(seeds, _overrides(p.get("overrides"), where),
                                           _mapping(p.get("evaluate"), where), sub)
    steps = _steps(data.get("steps"), path)
    name = _name(data.get("name") or Path(path).stem, f"{path}: name")
    metrics = data.get("metrics") or []
    if not isinstance(metrics, list):
        raise UserError(f"{path}: 'metrics' is a list of metric names, got {metrics!r}")
    return Spec(name=name, title=_text(data.get("title", name), path), path=path,
                metric=_text(data.get("metric", ""), path),
                overrides=_overrides(data.get("overrides"), path),
                evaluate=_mapping(data.get("evaluate"), path), profiles=profiles,
                arms=tuple(arms), steps=steps, description=_text(data.get("description"), path),
                metrics=tuple(_text(m, path) for m in metrics))


def find_spec(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if p.exists():
        return p
    for cand in (ABLATIONS_DIR / f"{name_or_path}.yaml", Path("ablations") / f"{name_or_path}.yaml"):
        if cand.exists():
            return cand
    raise UserError(f"sweep spec {str(name_or_path)!r} not found; give a YAML path or one of: "
                    f"{', '.join(s.stem for s in all_spec_paths()) or '(none in ablations/)'}")


def load_spec(name_or_path: str | Path) -> Spec:
    path = find_spec(name_or_path)
    try:
        if path.stat().st_size > configlib.YAML_MAX_BYTES:
            raise UserError(f"{path}: larger than {configlib.YAML_MAX_BYTES} bytes; refused")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: cannot read the spec ({type(e).__name__}: {e})") from None
    return parse_spec(load_yaml(text, str(path)), str(path))


def all_spec_paths() -> list[Path]:
    root = ABLATIONS_DIR if ABLATIONS_DIR.exists() else Path("ablations")
    return sorted(root.glob("*.yaml"))


def load_callable(name: str) -> Callable:
    """The function of a registered step (:data:`STEPS`); any other name is refused."""
    if name not in STEPS:
        raise UserError(f"{name!r} is not a step of this project; known: {', '.join(STEPS)}")
    mod, _, fn = STEPS[name].partition(":")
    try:
        return getattr(importlib.import_module(mod), fn)
    except (ImportError, AttributeError) as e:
        raise UserError(f"cannot load step {name!r}: {e}") from None


def _merge(*ds: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for d in ds:
        out.update(d)
    return out


def expand(spec: Spec, profile: str, resolve: Callable | None = None) -> list[Job]:
    """The plan: arms x seeds for ``profile``; jobs sharing a training config come after the
    first one (which trains) so they can reuse its checkpoint."""
    if profile not in spec.profiles:
        raise UserError(f"spec {spec.name!r} has no profile {profile!r}; it has: "
                        f"{', '.join(spec.profiles) or '(none)'}")
    prof = spec.profiles[profile]
    resolve = resolve or load_callable(spec.steps["resolve"])
    arms = [spec.arm(n) for n in prof.arms] if prof.arms else list(spec.arms)
    arms = [a for a in arms if a.profiles is None or profile in a.profiles]
    jobs = []
    for arm in arms:
        base = spec.arm(arm.from_arm) if arm.from_arm else arm
        for seed in prof.seeds:
            ov = _merge(spec.overrides, prof.overrides, base.overrides, {"seed": seed})
            cfg = resolve(profile, ov)
            chash = config_hash({k: v for k, v in cfg.items() if k != "name"})  # not the label
            ev = _merge(spec.evaluate, prof.evaluate, arm.evaluate)
            jobs.append(Job(sweep=spec.name, arm=arm.name, label=arm.label, seed=seed,
                            profile=profile, overrides=ov, evaluate=ev, config=cfg,
                            config_hash=chash,
                            job_hash=config_hash({"c": chash, "e": ev, "records": JOB_RECORDS}),
                            from_arm=arm.from_arm))
    first, later, seen = [], [], set()
    for j in jobs:
        (later if j.config_hash in seen else first).append(j)
        seen.add(j.config_hash)
    return first + later


def describe_plan(spec: Spec, jobs: list[Job], states: dict[str, str] | None = None) -> str:
    lines = [f"sweep {spec.name} ({spec.title}) - profile {jobs[0].profile if jobs else '?'}: "
             f"{len(jobs)} jobs, {len({j.config_hash for j in jobs})} training configs"]
    first: dict[str, str] = {}
    for j in jobs:
        shared = first.get(j.config_hash)
        first.setdefault(j.config_hash, j.key)
        what = f"evaluate checkpoint of {shared}" if shared else "train + evaluate"
        ov = " ".join(f"{k}={v}" for k, v in j.overrides.items() if k != "seed") or "(profile defaults)"
        if j.from_arm:
            ov = f"training config of arm {j.from_arm}"
        state = f"[{states[j.key]}] " if states and j.key in states else ""
        lines.append(f"  {j.key:<32} {state}cfg {j.config_hash} job {j.job_hash}  {what}; {ov}"
                     + (f"; eval {json.dumps(j.evaluate, sort_keys=True)}" if j.evaluate else ""))
    return "\n".join(lines)
