"""Plain-dataclass configs: dotted overrides, strict keys and types, ranges, flattening, hashing.

Configs are nested frozen dataclasses (inspectable, no registries). Overrides are strings
``"train.steps=200"`` whose values are parsed as YAML literals; an unknown key is a UserError
naming the valid keys, a value of the wrong type (checked against the field's annotation) one
naming the key, the value and the type. Each config module keeps a small table of
:class:`Range` next to its dataclass; :func:`check_ranges` applies it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import types
import typing
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


@dataclasses.dataclass(frozen=True)
class Range:
    """The valid values of one numeric field: ``lo <= v <= hi`` (strict at an ``*_open`` end;
    NaN fails every comparison), or one of ``also`` (e.g. ``-1`` = "all devices"). ``note`` says what an edge
    value means."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    also: tuple[float, ...] = ()
    note: str = ""

    def ok(self, v: float) -> bool:
        if v in self.also:
            return True
        if self.lo is not None and not (v > self.lo if self.lo_open else v >= self.lo):
            return False
        return not (self.hi is not None and not (v < self.hi if self.hi_open else v <= self.hi))

    def __str__(self) -> str:
        parts = []
        if self.lo is not None:
            parts.append(f"{'>' if self.lo_open else '>='} {self.lo:g}")
        if self.hi is not None:
            parts.append(f"{'<' if self.hi_open else '<='} {self.hi:g}")
        text = " and ".join(parts) or "any number"
        if self.also:
            text += " (or " + ", ".join(f"{a:g}" for a in self.also) + ")"
        return text + (f"; {self.note}" if self.note else "")


def check_ranges(cfg: Any, ranges: Mapping[str, Range], prefix: str) -> None:
    """A UserError naming the key, the value and the valid range for the first field of
    ``cfg`` outside its range."""
    for name, r in ranges.items():
        v = getattr(cfg, name)
        if v is not None and not r.ok(v):
            raise UserError(f"config key {prefix}{name}={v!r} is out of range: must be {r}")


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _type_name(hint: Any) -> str:
    if dataclasses.is_dataclass(hint):
        return f"a group of settings ({hint.__name__})"
    return {int: "an integer", float: "a number", str: "a string", bool: "true/false",
            type(None): "null"}.get(hint, str(hint).replace("typing.", ""))


def expect(value: Any, hint: Any, key: str) -> Any:
    """``value`` converted to the annotated type ``hint`` (int -> float, list -> tuple), or a
    UserError naming the key, the value and the type it takes."""
    origin, args = typing.get_origin(hint) or (hint if hint in (tuple, dict) else None), typing.get_args(hint)
    ok: bool
    if origin in (types.UnionType, typing.Union):
        for a in args:
            with contextlib.suppress(UserError):
                return expect(value, a, key)
        ok = False
    elif hint is Any:
        return value
    elif hint is type(None):
        ok = value is None
    elif hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif hint is str:
        ok = isinstance(value, str)
    elif origin is tuple:
        ok = isinstance(value, list | tuple)
        if ok:
            elem = args[0] if args else Any
            value = tuple(expect(v, elem, f"{key}[{i}]") for i, v in enumerate(value))
    elif origin is dict:
        ok = isinstance(value, Mapping)
        if ok:
            kt, vt = args if args else (Any, Any)
            value = {expect(k, kt, f"{key} key"): expect(v, vt, f"{key}.{k}")
                     for k, v in value.items()}
    elif dataclasses.is_dataclass(hint):
        ok = isinstance(value, hint)
        if not ok:
            names = [f.name for f in dataclasses.fields(hint)]
            raise UserError(f"config key {key}={value!r}: {key} is {_type_name(hint)}, not a "
                            f"value; set one of its keys, e.g. {key}.{names[0]}=...")
    else:
        return value
    if not ok:
        raise UserError(f"config key {key}={value!r}: must be {_type_name(hint)}")
    return value


def check_types(cfg: Any, prefix: str = "") -> None:
    """Every field of a dataclass tree against its annotation (values set through a mapping,
    e.g. ``data.mixture.<task>``, are only checked here)."""
    for f in dataclasses.fields(cfg):
        v = getattr(cfg, f.name)
        expect(v, _hints(type(cfg))[f.name], prefix + f.name)
        if dataclasses.is_dataclass(v):
            check_types(v, f"{prefix}{f.name}.")


def replace_path(cfg: Any, key: str, value: Any, full: str = "") -> Any:
    """Copy of ``cfg`` with dotted ``key`` set to ``value`` (dicts inside are updated too;
    ``full``: the whole key, for messages)."""
    full = full or key
    head, _, rest = key.partition(".")
    if dataclasses.is_dataclass(cfg):
        names = [f.name for f in dataclasses.fields(cfg)]
        if head not in names:
            raise UserError(f"unknown config key {full!r}; valid here: {', '.join(names)}")
        cur = getattr(cfg, head)
        new = (replace_path(cur, rest, value, full) if rest
               else expect(value, _hints(type(cfg))[head], full))
        return dataclasses.replace(cfg, **{head: new})
    if isinstance(cfg, Mapping):
        cur = cfg.get(head)
        new = replace_path(cur, rest, value, full) if rest else value
        return {**cfg, head: new}
    raise UserError(f"config key {full!r} goes below a plain value ({cfg!r})")


YAML_MAX_BYTES = 1 << 16     # a spec or an override value larger than this is refused (the
                             # project's specs are ~4 KB; pure-Python YAML parses ~30 KB/s here)
YAML_MAX_NODES = 100_000     # nodes once every alias is expanded (a billion-laughs bomb: 10^9)
YAML_MAX_DEPTH = 100         # brackets open at once (deeper flow nesting is refused unparsed)


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (instead of keeping the last)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for k, _ in node.value:
                key = self.construct_object(k, deep=deep) if k.tag != "tag:yaml.org,2002:merge" else "<<"
                if isinstance(key, list | dict):
                    continue  # unhashable keys: SafeLoader's own error
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", k.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep)


def _expanded_nodes(node: yaml.Node, memo: dict[int, int], active: set[int]) -> int:
    """Nodes of ``node`` with every alias expanded (memoised, so a bomb costs its size)."""
    if id(node) in memo:
        return memo[id(node)]
    if id(node) in active:
        raise yaml.YAMLError("a recursive alias (a structure that contains itself)")
    active.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        n = 1 + sum(_expanded_nodes(c, memo, active) for c in node.value)
    elif isinstance(node, yaml.MappingNode):
        n = 1 + sum(_expanded_nodes(k, memo, active) + _expanded_nodes(v, memo, active)
                    for k, v in node.value)
    else:
        n = 1
    active.discard(id(node))
    memo[id(node)] = min(n, YAML_MAX_NODES + 1)
    return memo[id(node)]


def load_yaml(text: str, where: str) -> Any:
    """YAML from a file or an override, with limits: at most ``YAML_MAX_BYTES``, at most
    ``YAML_MAX_NODES`` nodes after alias expansion, no duplicate keys, safe tags only; any
    failure is one UserError naming ``where``."""
    if len(text.encode("utf-8", "replace")) > YAML_MAX_BYTES:
        raise UserError(f"{where}: larger than {YAML_MAX_BYTES} bytes; refused")
    depth = deepest = 0
    for ch in text:  # flow nesting, counted without parsing (quoted brackets count too)
        depth += (ch in "[{") - (ch in "]}")
        deepest = max(deepest, depth)
    if deepest > YAML_MAX_DEPTH:
        raise UserError(f"{where}: YAML nested too deeply (more than {YAML_MAX_DEPTH} brackets); refused")
    loader = None
    try:
        loader = _LimitedLoader(text)
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_nodes(node, {}, set()) > YAML_MAX_NODES:
            raise UserError(f"{where}: more than {YAML_MAX_NODES} YAML nodes once aliases are "
                            "expanded (an alias bomb?); refused")
        return loader.construct_document(node)
    except yaml.YAMLError as e:
        raise UserError(f"{where}: not valid YAML ({' '.join(str(e).split())})") from None
    except RecursionError:
        raise UserError(f"{where}: YAML nested too deeply") from None
    except ValueError as e:  # e.g. an integer of more than 4300 digits
        raise UserError(f"{where}: not a usable YAML value ({' '.join(str(e).split())[:200]})") from None
    finally:
        if loader is not None:
            loader.dispose()


def parse_override(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise UserError(f"override {text!r} must look like key=value, e.g. train.steps=200")
    key, raw = text.split("=", 1)
    return key.strip(), load_yaml(raw, f"override {key.strip()!r}") if raw.strip() else ""


def apply_overrides(cfg: Any, overrides: Iterable[str] | Mapping[str, Any] = ()) -> Any:
    """Apply ``["a.b=1", ...]`` or ``{"a.b": 1}`` to a dataclass config."""
    items = overrides.items() if isinstance(overrides, Mapping) else map(parse_override, overrides)
    for key, value in items:
        cfg = replace_path(cfg, key, value)
    return cfg


def from_dict(cls: type, d: Mapping[str, Any]) -> Any:
    """Strict inverse of :func:`to_dict` for a dataclass type (unknown keys are errors)."""
    return apply_overrides(cls(), flatten(d)) if d else cls()
