"""Sweep specs are data: steps only from the project's registry, YAML with limits and no
duplicate keys, every field validated before anything runs (the plan included)."""

from __future__ import annotations

import textwrap
import time

import pytest

from inkrepro.errors import UserError
from inkrepro.evaluate import options as eval_options
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


@pytest.mark.parametrize("where, evaluate, message", [
    ("spec", "{n: -1}", "evaluate.n=-1 is out of range: must be >= 0"),
    ("spec", "{nn: 3}", "unknown config key 'evaluate.nn'; valid here: datasets, modes"),
    ("profile", "{method: beem}", "profiles.smoke: config key evaluate.method='beem': must be one of "
     "('greedy', 'beam', 'sample')"),
    ("profile", "{n: lots}", "profiles.smoke: config key evaluate.n='lots': must be an integer"),
    ("arm", "{text_source: ocr}", "arm 'a': config key evaluate.text_source='ocr': must be one of "
     "('label', 'tesseract')"),
    ("arm", "{bootstrap: 0}", "arm 'a': config key evaluate.bootstrap=0 is out of range: must be >= 1"),
    ("arm", "{modes: [sketch]}", "arm 'a': config key evaluate.modes=('sketch',): unknown inference mode 'sketch'"),
    ("arm", "{modes: []}", "arm 'a': config key evaluate.modes=(): name at least one inference mode"),
    ("arm", "{datasets: ['../../etc']}", "arm 'a': config key evaluate.datasets=('../../etc',): unknown dataset"),
    ("arm", "{datasets: [1]}", "arm 'a': config key evaluate.datasets[0]=1: must be a string"),
    ("arm", "{constrained: 1}", "arm 'a': config key evaluate.constrained=1: must be true/false"),
    ("arm", "{split: dev}", "arm 'a': config key evaluate.split='dev': must be one of"),
    ("arm", "{batch_size: 0}", "arm 'a': config key evaluate.batch_size=0 is out of range"),
    ("arm", "{max_recognizer_cer: .nan}", "arm 'a': config key evaluate.max_recognizer_cer=nan is out of range"),
    ("arm", "{recognizer_profile: huge}", "arm 'a': config key evaluate.recognizer_profile='huge': must be one of"),
    ("arm", "{recognizer_decoding: sample}", "arm 'a': config key evaluate.recognizer_decoding='sample'"),
    ("arm", "{n.x: 1}", "arm 'a': config key 'evaluate.n.x' goes below a plain value"),
    ("arm", "[n]", "arm 'a': evaluate: expected a mapping"),
    ("arm", "{modes: 'vanilla, d+t', datasets: hershey, n: 0, bootstrap: 1}", None),
])
def test_evaluate_settings_are_checked_when_the_spec_is_read(tmp_path, where, evaluate, message):
    text = {"spec": BASE + f"evaluate: {evaluate}\n",
            "profile": BASE.replace("{seeds: [0]}", f"{{seeds: [0], evaluate: {evaluate}}}"),
            "arm": BASE.replace("{name: a}", f"{{name: a, evaluate: {evaluate}}}")}[where]
    if message is None:
        s = _load(tmp_path, text)
        assert s.arms[0].evaluate["modes"] == "vanilla, d+t"   # kept as written (job hashes)
        return
    with pytest.raises(UserError) as e:
        _load(tmp_path, text)   # when the spec is read: before any plan, step or run
    line = str(e.value)
    assert line.startswith(str(tmp_path / "spec.yaml") + ": ") and message in line and "\n" not in line, line


def test_project_specs_pass():
    for p in spec_mod.all_spec_paths():
        s = spec_mod.load_spec(p)
        for profile in s.profiles:
            jobs = spec_mod.expand(s, profile)   # every job's config resolved and checked
            assert jobs
            for j in jobs:                       # and its evaluation settings, as the step gets them
                eval_options.parse(eval_options.profile_options(profile, j.evaluate))


def test_eval_options_parse_like_the_cli():
    o = eval_options.options(datasets="hershey, photos", modes="v,r+d", n=None, bootstrap=10)
    assert o.datasets == ("hershey", "photos") and o.modes == ("vanilla_derender", "recognize_and_derender")
    assert o.n == 0 and o.bootstrap == 10
    assert eval_options.options(modes=["vanilla", "vanilla_derender"]).modes == ("vanilla_derender",)
    with pytest.raises(UserError, match=r"^config key n=-1 is out of range"):
        eval_options.options(n=-1)


def test_eval_option_choices_match_the_code_that_uses_them():
    from inkrepro.evaluate import recognizer
    from inkrepro.model import decode

    assert eval_options.METHODS == decode.METHODS
    assert set(eval_options.CHOICES["recognizer_profile"]) == set(recognizer.PROFILES)
