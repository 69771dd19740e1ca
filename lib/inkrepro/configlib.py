"""Plain-dataclass configs: dotted overrides, strict keys, flattening, hashing.

Configs are nested frozen dataclasses (inspectable, no registries). Overrides are strings
``"train.steps=200"`` whose values are parsed as YAML literals; an unknown key is a UserError
naming the valid keys.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from inkrepro.errors import UserError


def to_dict(cfg: Any) -> Any:
    """Dataclass tree -> plain dicts/lists (JSON-safe for tuples)."""
    if dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        return {f.name: to_dict(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}
    if isinstance(cfg, Mapping):
        return {str(k): to_dict(v) for k, v in cfg.items()}
    if isinstance(cfg, list | tuple):
        return [to_dict(v) for v in cfg]
    return cfg


def flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a.b": 1} (dataclasses are converted first)."""
    out: dict[str, Any] = {}
    for k, v in to_dict(d).items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def config_hash(cfg: Any, length: int = 12) -> str:
    """Stable hash of a config's content (sorted-key JSON)."""
    blob = json.dumps(to_dict(cfg), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:length]


def name_seed(*names: str) -> int:
    """A 128-bit seed from whole names (SHA-256 of every name, length-prefixed): distinct names
    give independent streams, e.g. ``SeedSequence([seed, name_seed("recognize_real")])``."""
    h = hashlib.sha256()
    for n in names:
        b = str(n).encode()
        h.update(len(b).to_bytes(8, "little") + b)
    return int.from_bytes(h.digest()[:16], "little")


def _coerce(value: Any, current: Any, key: str) -> Any:
    if isinstance(current, tuple) and isinstance(value, list):
        return tuple(value)
    if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(current, bool) and not isinstance(value, bool):
        raise UserError(f"config key {key!r} takes true/false, got {value!r}")
    return value


def replace_path(cfg: Any, key: str, value: Any) -> Any:
    """Copy of ``cfg`` with dotted ``key`` set to ``value`` (dicts inside are updated too)."""
    head, _, rest = key.partition(".")
    if dataclasses.is_dataclass(cfg):
        names = [f.name for f in dataclasses.fields(cfg)]
        if head not in names:
            raise UserError(f"unknown config key {key!r}; valid here: {', '.join(names)}")
        cur = getattr(cfg, head)
        new = replace_path(cur, rest, value) if rest else _coerce(value, cur, key)
        return dataclasses.replace(cfg, **{head: new})
    if isinstance(cfg, Mapping):
        cur = cfg.get(head)
        new = replace_path(cur, rest, value) if rest else value
        return {**cfg, head: new}
    raise UserError(f"config key {key!r} goes below a plain value ({cfg!r})")


def parse_override(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise UserError(f"override {text!r} must look like key=value, e.g. train.steps=200")
    key, raw = text.split("=", 1)
    return key.strip(), yaml.safe_load(raw) if raw.strip() else ""


def apply_overrides(cfg: Any, overrides: Iterable[str] | Mapping[str, Any] = ()) -> Any:
    """Apply ``["a.b=1", ...]`` or ``{"a.b": 1}`` to a dataclass config."""
    items = overrides.items() if isinstance(overrides, Mapping) else map(parse_override, overrides)
    for key, value in items:
        cfg = replace_path(cfg, key, value)
    return cfg


def from_dict(cls: type, d: Mapping[str, Any]) -> Any:
    """Strict inverse of :func:`to_dict` for a dataclass type (unknown keys are errors)."""
    return apply_overrides(cls(), flatten(d)) if d else cls()
