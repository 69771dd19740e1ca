"""Sweep specs are data: steps only from the project's registry, YAML with limits and no
duplicate keys, every field validated before anything runs (the plan included)."""

from __future__ import annotations

import textwrap
import time

import pytest

from inkrepro.errors import UserError
from inkrepro.experiments import spec as spec_mod

BASE = textwrap.dedent("""\
    name: s
    profiles:
      smoke: {seeds: [0]}
    arms:
      - {name: a}
    """)


def _load(tmp_path, text):
    p = tmp_path / "spec.yaml"
    p.write_text(text)
    return spec_mod.load_spec(p)


def test_steps_resolve_only_from_the_registry(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "evil.py").write_text("import pathlib; pathlib.Path('ran').write_text('1')\n")
    for ref in ("runpy:run_path", "evil:x", "os:system", "inkrepro.experiments.steps:train"):
        with pytest.raises(UserError, match="is not a step of this project"):
            _load(tmp_path, BASE + f"steps: {{resolve: '{ref}'}}\n")
    with pytest.raises(UserError, match="unknown key"):
        _load(tmp_path, BASE + "steps: {run: inkrepro.train}\n")
    with pytest.raises(UserError, match="is not a step of this project"):
        spec_mod.load_callable("evil:x")
    assert not (tmp_path / "ran").exists()
    assert _load(tmp_path, BASE).steps == spec_mod.DEFAULT_STEPS
    assert spec_mod.load_callable("inkrepro.resolve") is spec_mod.resolve_config


def test_yaml_limits_alias_bomb_and_duplicate_keys(tmp_path):
    levels = "".join(f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
                     for p, c in zip("abcdefgh", "bcdefghi"))
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + levels + "arms: *i\n"
    assert len(bomb) < 600
    t0 = time.perf_counter()
    with pytest.raises(UserError, match="alias bomb"):
        _load(tmp_path, bomb)
    assert time.perf_counter() - t0 < 2.0
    with pytest.raises(UserError, match="duplicate key 'name'"):
        _load(tmp_path, BASE + "name: t\n")
    with pytest.raises(UserError, match="duplicate key 'seeds'"):
        _load(tmp_path, BASE.replace("{seeds: [0]}", "{seeds: [0], seeds: [1]}"))
    with pytest.raises(UserError, match="recursive alias"):
        _load(tmp_path, BASE + "overrides: &x {a: *x}\n")
    with pytest.raises(UserError, match="larger than"):
        _load(tmp_path, BASE + "#" * (1 << 16))
    with pytest.raises(UserError, match="not valid YAML"):
        _load(tmp_path, BASE + "x: !!python/object/apply:os.system [echo]\n")


@pytest.mark.parametrize("seeds", ["0", "[a]", "[0.9]", "[1, 1]", "[-1]", "[true]", "[]", "{a: 1}"])
def test_seeds_are_a_list_of_distinct_non_negative_ints(tmp_path, seeds):
    with pytest.raises(UserError, match="seeds must be a non-empty list of distinct non-negative"):
        _load(tmp_path, BASE.replace("[0]", seeds, 1))


@pytest.mark.parametrize("arms, message", [
    ("[{name: a}, {name: b, from: b}]", "is 'from' itself"),
    ("[{name: a, from: b}, {name: b, from: a}]", "no chains or cycles"),
    ("[{name: a}, {name: b, from: a}, {name: c, from: b}]", "no chains or cycles"),
    ("[{name: '../../x'}]", "not a safe identifier"),
    ("[{name: 'a/b'}]", "not a safe identifier"),
    ("[{name: -x}]", "not a safe identifier"),
    ("[{name: [1]}]", "not a safe identifier"),
    ("[{name: a, profiles: smoke}]", "'profiles' is a list"),
    ("[{name: a, label: {x: 1}}]", "expected text"),
    ("a", "a list of at least one arm"),
])
def test_arms_names_and_from_are_checked(tmp_path, arms, message):
    with pytest.raises(UserError, match=message):
        _load(tmp_path, BASE.replace("  - {name: a}\n", "").replace("arms:\n", f"arms: {arms}\n"))


def test_spec_and_profile_names_are_safe(tmp_path):
    with pytest.raises(UserError, match="not a safe identifier"):
        _load(tmp_path, BASE.replace("name: s", "name: ../s"))
    with pytest.raises(UserError, match="not a safe identifier"):
        _load(tmp_path, BASE.replace("  smoke:", "  ../smoke:"))


@pytest.mark.parametrize("overrides, message", [
    ("{train.steps: lots}", "train.steps='lots': must be an integer"),
    ("{train.stepz: 3}", "unknown config key 'train.stepz'"),
    ("{train.steps: -1}", "train.steps=-1 is out of range"),
    ("[train.steps=1.5]", "train.steps=1.5: must be an integer"),
    ("{seed: x}", None),  # the job's own seed replaces it
])
def test_overrides_are_checked_against_the_config_when_planning(tmp_path, overrides, message):
    s = _load(tmp_path, BASE.replace("{seeds: [0]}", f"{{seeds: [0], overrides: {overrides}}}"))
    if message is None:
        assert spec_mod.expand(s, "smoke")[0].config["seed"] == 0
        return
    with pytest.raises(UserError, match=message.replace("[", r"\[").replace(".", r"\.")):
        spec_mod.expand(s, "smoke")


def test_project_specs_pass():
    for p in spec_mod.all_spec_paths():
        s = spec_mod.load_spec(p)
        for profile in s.profiles:
            assert spec_mod.expand(s, profile)
