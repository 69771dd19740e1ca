"""Hostile and careless input through every entry point (issue 16): each case of the generated
corpus (``fuzz_corpus.py``) gives a clear error or a counted skip, never a crash or a traceback,
within bounded time and memory. Entry points run in a fresh interpreter so that peak RSS is
theirs: the library calls one case at a time, the CLI verbs as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import fuzz_corpus as FC
import readers_fixtures as F
from eval_fixtures import tiny_recognizer  # noqa: F401

HERE = Path(__file__).parent
CLI_SECONDS = 120.0  # a CLI verb end to end (interpreter, imports, MLflow store on first use)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    env["INKREPRO_NO_PROGRESS"] = "1"
    return env


def _entry(entry: str, tmp: Path) -> list[dict]:
    p = subprocess.run([sys.executable, str(HERE / "fuzz_corpus.py"), entry, str(tmp)],
                       capture_output=True, text=True, env=_env(), timeout=300)
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr[-3000:]
    return [json.loads(line) for line in p.stdout.splitlines()]


@pytest.mark.parametrize("entry", list(FC.ENTRIES))
def test_corpus_entry_point(entry, tmp_path):
    rows = _entry(entry, tmp_path)
    assert len(rows) >= 10
    problems = []
    for r in rows:
        msg = r.get("message", "")
        if r["outcome"] == "crash":
            problems.append(f"{r['name']}: crashed: {msg}\n{r['traceback']}")
        elif r["outcome"] == "check failed":
            problems.append(f"{r['name']}: wrong result: {msg}")
        elif r["expect"] != "any" and r["outcome"] != r["expect"]:
            problems.append(f"{r['name']}: expected {r['expect']}, got {r['outcome']} {msg[:200]}")
        elif r["outcome"] == "error" and (r["needle"] not in msg or "\n" in msg):
            problems.append(f"{r['name']}: unclear error {msg[:300]!r} (want {r['needle']!r}, one line)")
        if r["seconds"] > FC.BOUND_SECONDS or r["rss_growth_mb"] > FC.BOUND_RSS_MB:
            problems.append(f"{r['name']}: {r['seconds']:.1f} s, +{r['rss_growth_mb']:.0f} MB peak RSS")
    assert not problems, "\n".join(problems)
    if entry == "inkml":  # every InkML error names its file
        assert all(r["message"].startswith(str(tmp_path)) for r in rows if r["outcome"] == "error")
    if entry == "pickles":
        assert not list(tmp_path.rglob(FC.SENTINEL))


# ----------------------------------------------------------------------------- the CLI verbs

def _cli(tmp: Path, args: list[str], preload: str = "") -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp / f"cli-{len(list(tmp.glob('cli-*.json')))}.json"
    p = subprocess.run([sys.executable, str(HERE / "fuzz_corpus.py"), "cli", str(out), preload, "--", *args],
                       capture_output=True, text=True, env=_env(), timeout=600)
    assert "Traceback" not in p.stderr and "Traceback" not in p.stdout, p.stderr[-4000:]
    stats = json.loads(out.read_text())
    assert stats["seconds"] < CLI_SECONDS and stats["rss_growth_mb"] < FC.BOUND_RSS_MB, stats
    return p, stats


def _one_line_error(p: subprocess.CompletedProcess) -> str:
    assert p.returncode == 2, (p.returncode, p.stderr[-2000:])
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("inkrepro: error: "), p.stderr
    return lines[0]


def _inkml_folder(root: Path, which: str) -> dict[str, str]:
    """The InkML corpus in a release-style folder; ``which``: "bad" (errors only) or "all"."""
    d = root / "small-p_IAM_inkml" / "vanilla"
    d.mkdir(parents=True)
    cases = {k: v for k, v in FC.inkml_cases().items() if which == "all" or v[1] == "error"}
    for name, (data, _, _) in cases.items():
        (d / f"{name}.inkml").write_bytes(data)
    return {k: v[1] for k, v in cases.items()}


def test_cli_evaluate_all_bad_inkml_folder_exits_nonzero(tmp_path):
    expect = _inkml_folder(tmp_path / "in", "bad")
    p, _ = _cli(tmp_path, ["evaluate", "--inkml-dir", str(tmp_path / "in")])
    line = _one_line_error(p)
    assert f"no InkML file under {tmp_path / 'in'} could be read: {len(expect)} of {len(expect)} skipped" in line
    assert "first: " in line and ".inkml: " in line
    assert not (tmp_path / "in-eval").exists()


def test_cli_evaluate_hostile_inkml_folder(tmp_path, tiny_recognizer):  # noqa: F811
    from inkrepro.ink import inkml
    from inkrepro.ink.core import Ink

    expect = _inkml_folder(tmp_path / "in", "all")
    refs = tmp_path / "refs"
    inkml.write_inkml(refs / "w1.inkml", Ink.from_xy([[[10, 20], [30, 40], [50, 45]]]),
                      {"exampleId": "w1", "textField": "word"})
    out = tmp_path / "out"
    p, _ = _cli(tmp_path, ["evaluate", "--inkml-dir", str(tmp_path / "in"), "--references", str(refs),
                           "--recognizer", str(tiny_recognizer.path), "--max-recognizer-cer", "1e9",
                           "--set", "bootstrap=10", "--set", "calibration=false", "--out", str(out)],
                preload="jax,mlflow,inkrepro.evaluate.runner,inkrepro.evaluate.recognizer")
    assert p.returncode == 0, p.stderr[-3000:]
    n_bad = sum(e == "error" for e in expect.values()) + 1  # + the unknown inferenceMode label
    assert f"skipped {n_bad} unreadable InkML files" in p.stdout
    import pandas as pd

    df = pd.read_parquet(out / "per_sample.parquet")
    df = df[df["mode"] == "vanilla_derender"]
    big = df[df["meta_file"].str.endswith("coords_1e300.inkml")].iloc[0]
    assert big["valid"] == 0.0 and big["aiou"] == 0.0 and np.isfinite(big["ldtw"])  # scored as a failure
    assert set(df["dataset"]) <= {"IAM", "_.._etc", "small-p_IAM_inkml"}
    assert "_.._etc" in set(df["dataset"])
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    assert metrics["eval/IAM/vanilla_derender/validity"] < 1.0


def _release_root(root: Path, outside: Path, monkeypatch) -> dict[str, int]:
    """A release-layout folder with careless and hostile content; returns the skips expected."""
    F.png(outside / "secret.png", 10, 10)
    imgs = root / "IAM" / "images_sample"
    F.png(imgs / "good.png", 448, 224)
    (imgs / "bomb.png").parent.mkdir(parents=True, exist_ok=True)
    (imgs / "bomb.png").write_bytes(FC.png_header_only(20000, 20000))
    F.truncated_png(imgs / "trunc.png")
    for name, (_fname, data, *_rest) in FC.image_files().items():
        if name in ("grey16_png", "rgba_on_transparent", "palette_transparent"):
            (imgs / f"{name}.png").write_bytes(data)
    d = root / "small-p_IAM_inkml"
    for mode in ("vanilla", "d+t", "r+d"):
        (d / mode).mkdir(parents=True)
    files = {
        "good": FC._release("good"), "g16": FC._release("grey16_png"), "rgba": FC._release("rgba_on_transparent"),
        "pal": FC._release("palette_transparent"), "noimage": FC._release("nothing_here"),
        "bomb": FC._release("bomb"), "trunc": FC._release("trunc"),
        "abs": FC._release(str(outside / "secret")), "dotdot": FC._release("../../../outside/secret"),
        "dotdot2": FC._release("..\\..\\x"), "big": FC._release("good", traces="1e300,2 3,4"),
        "src": FC._release("good", src="../../etc"),
    }
    for k, data in files.items():
        (d / "vanilla" / f"{k}.inkml").write_bytes(data)
    for name, (data, expect, _) in FC.inkml_cases().items():
        if expect == "error":
            (d / "d+t" / f"{name}.inkml").write_bytes(data)
    # human tracings: release classes under a module name the release uses
    mod = types.ModuleType("ink")

    class Stroke:
        def __init__(self, x, y):
            self.x, self.y = x, y

    class Ink:
        def __init__(self, strokes):
            self.strokes = strokes

    for c in (Stroke, Ink):
        c.__module__, c.__qualname__ = "ink", c.__name__
        setattr(mod, c.__name__, c)
    monkeypatch.setitem(sys.modules, "ink", mod)
    good = Ink([Stroke([1.0, 2.0], [3.0, 4.0])])
    tracings = {"good": good, "../../outside/secret": good, str(outside / "secret"): good, 7: good,
                "notink": [1, 2], "nan": Ink([Stroke([np.nan], [1.0])])}
    np.save(root / "human_tracing_hash_to_ink.npy", tracings, allow_pickle=True)
    n_dt = sum(v[1] == "error" for v in FC.inkml_cases().values())
    return {"unsafe path": 5, "image too large": 1, "unreadable image": 1, "malformed tracing id": 1, "not an Ink": 1, "invalid ink": 1,
            "sourceDataset disagrees with folder": 1, "_inkml_errors": n_dt}


def test_cli_data_verify_release_fixture(tmp_path, monkeypatch):
    root, outside = tmp_path / "release", tmp_path / "outside"
    want = _release_root(root, outside, monkeypatch)
    p, _ = _cli(tmp_path, ["data", "verify", "inksight-derenderings", "--root", str(root), "--json"])
    assert p.returncode == 0, p.stderr[-3000:]
    rep = json.loads(p.stdout)
    skipped = dict(rep["skipped"])
    n_inkml = want.pop("_inkml_errors")
    counted = {k: skipped.pop(k, 0) for k in want}
    assert counted == want, rep["skipped"]
    assert sum(skipped.values()) == n_inkml, skipped   # each bad InkML file counted under its reason
    assert set(skipped) <= {"malformed InkML", "malformed XML", "forbidden XML construct", "text encoding",
                            "unknown trace id"}
    # good, grey16, rgba, palette, noimage, big (read; its validity is the evaluator's business),
    # and the human tracing "good"
    assert rep["counts"] == {"test": 7}   # so neither outside/secret.png was read as an example


def test_cli_data_verify_hostile_pickle(tmp_path):
    root = tmp_path / "release"
    (root / "small-p_IAM_inkml" / "vanilla").mkdir(parents=True)
    (root / "small-p_IAM_inkml" / "vanilla" / "good.inkml").write_bytes(FC._release("good"))
    (root / "human_tracing_hash_to_ink.npy").write_bytes(FC.pickle_files(root)["os_system"][0])
    p, _ = _cli(tmp_path, ["data", "verify", "inksight-derenderings", "--root", str(root)])
    line = _one_line_error(p)
    assert "refused to load posix.system" in line or "refused to load os.system" in line
    assert not (root / FC.SENTINEL).exists()
