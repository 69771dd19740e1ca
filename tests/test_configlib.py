from dataclasses import dataclass, field

import pytest

from inkrepro.configlib import apply_overrides, config_hash, flatten, from_dict, to_dict
from inkrepro.errors import UserError


@dataclass(frozen=True)
class Inner:
    depth: int = 2
    rate: float = 0.1
    dims: tuple = (1, 2)
    on: bool = True


@dataclass(frozen=True)
class Outer:
    name: str = "x"
    inner: Inner = field(default_factory=Inner)
    mixture: dict = field(default_factory=lambda: {"a": 1.0, "b": 0.5})


def test_overrides_parse_yaml_literals_and_coerce():
    cfg = apply_overrides(Outer(), ["inner.depth=4", "inner.rate=1", "inner.dims=[3, 4]",
                                    "mixture.b=0", "name=hello world"])
    assert cfg.inner.depth == 4 and cfg.inner.rate == 1.0 and isinstance(cfg.inner.rate, float)
    assert cfg.inner.dims == (3, 4) and cfg.mixture == {"a": 1.0, "b": 0} and cfg.name == "hello world"


def test_unknown_key_names_valid_keys():
    with pytest.raises(UserError, match="valid here: depth, rate, dims, on"):
        apply_overrides(Outer(), ["inner.detph=3"])
    with pytest.raises(UserError, match="key=value"):
        apply_overrides(Outer(), ["inner.depth"])
    with pytest.raises(UserError, match="true/false"):
        apply_overrides(Outer(), ["inner.on=3"])


def test_hash_flatten_roundtrip():
    a, b = Outer(), apply_overrides(Outer(), {"inner.depth": 3})
    assert config_hash(a) == config_hash(Outer()) != config_hash(b)
    flat = flatten(b)
    assert flat["inner.depth"] == 3 and flat["mixture.a"] == 1.0
    assert from_dict(Outer, to_dict(b)) == b
