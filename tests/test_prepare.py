"""`inkrepro data prepare | verify | list`: shard store, resume, reports, CLI."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

import readers_fixtures as F
from inkrepro.data import cli as data_cli
from inkrepro.data import paper_mixture, prepare, sources
from inkrepro.data.store import Store
from inkrepro.errors import UserError


def parser():
    p = argparse.ArgumentParser()
    data_cli.register(p.add_subparsers(dest="verb"))
    return p


def run(argv):
    args = parser().parse_args(argv)
    return args.func(args)


def test_prepare_image_dataset_and_resume(tmp_path):
    root, out = tmp_path / "iam", tmp_path / "out"
    F.make_iam(root)
    rep = prepare.prepare("iam", root, out, shard_size=2, progress=False)
    assert rep["counts"] == {"train": 3, "test": 1} and rep["examples"] == 4
    assert rep["skipped"] == {"missing image": 1, "unreadable image": 1, "malformed words.txt line": 2}
    assert rep["shards_written"] == 3 and rep["shards_reused"] == 0
    store = Store(out)
    assert store.shards() == ["test-00000", "train-00000", "train-00001"]
    assert store.counts() == {"test": 1, "train": 3}
    exs = {e.id: e for e in store.examples()}
    assert exs["a01-000u-01-00"].text == "caf\u00e9" and exs["a01-000u-01-00"].image.shape == (9, 12, 3)
    assert exs["a01-000u-00-00"].meta["graylevel"] == 154
    meta = store.read_meta()
    assert meta["complete"] and meta["source"] == "iam" and "Marti" in meta["citation"]
    # complete: nothing to do
    assert prepare.prepare("iam", root, out, shard_size=2)["already_prepared"]
    # killed after two shards: rerun writes only the missing one
    store.shard_path("train-00001").unlink()
    meta["complete"] = False
    store.write_meta(meta)
    rep2 = prepare.prepare("iam", root, out, shard_size=2, progress=False)
    assert rep2["shards_written"] == 1 and rep2["shards_reused"] == 2
    assert store.counts() == {"test": 1, "train": 3}
    # other options in the same folder: refused unless forced
    with pytest.raises(UserError, match="different preparation"):
        prepare.prepare("iam", root, out, shard_size=5)
    rep3 = prepare.prepare("iam", root, out, shard_size=5, force=True, progress=False)
    assert rep3["shards_written"] == 2 and Store(out).shards() == ["test-00000", "train-00000"]


def test_prepare_ink_dataset_keeps_ink(tmp_path):
    root, out = tmp_path / "iamondb", tmp_path / "out"
    F.make_iamondb(root)
    rep = prepare.prepare("iamondb", root, out, progress=False)
    assert rep["counts"] == {"train": 2}
    ex = Store(out).examples(split="train")[0]
    assert ex.kind == "ink" and ex.image is None and ex.ink.has_time
    assert np.allclose(ex.ink[0].xy, [[1073, 1058], [1072, 1085]])


def test_prepared_store_feeds_the_pipeline(tmp_path, monkeypatch):
    from inkrepro.data import pipeline

    monkeypatch.setenv("INKREPRO_CACHE", str(tmp_path / "cache"))
    F.make_deepwriting(tmp_path / "dw")
    prepare.prepare("deepwriting", tmp_path / "dw", progress=False)  # default out: the cache
    cfg = pipeline.DataConfig(ink_sources=("deepwriting",), ocr_sources=())
    exs = pipeline.load_examples(cfg, "deepwriting", "train")
    assert [e.text for e in exs] == ["hi", "x"] and all(e.ink.num_strokes for e in exs)


def test_verify_reports_paper_difference(tmp_path, capsys):
    root = tmp_path / "iam"
    F.make_iam(root)
    rep = prepare.verify("iam", root, progress=False)
    assert rep["paper"] == {"split": "test", "paper": 17600, "ours": 1, "difference": -17599,
                            "label": "IAM testset_f, 17.6k words"}
    assert prepare.verify("iam", root, split="test", progress=False)["counts"] == {"test": 1}
    assert "paper" not in prepare.verify("iam", root, split="train", progress=False)
    assert run(["data", "verify", "iam", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "ours 1 vs paper 17600 (difference -17599)" in out
    assert "1  missing image  (first: ascii/words.txt:9 [c01-000-00-00])" in out


def test_verify_release_inventory(tmp_path, capsys, monkeypatch):
    from test_readers_release import make_release

    make_release(tmp_path, monkeypatch)
    assert run(["data", "verify", "inksight-derenderings", "--root", str(tmp_path), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["inventory"]["human_tracings"] == 2 and rep["counts"] == {"test": 9}
    assert rep["skipped"]["mode label disagrees with folder"] == 1
    assert run(["data", "verify", "inksight-derenderings", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "small-p_IAM/vanilla: 1 (release: 100, difference -99)" in out
    assert "human tracings: 2 (release: 200, difference -198)" in out


def test_cli_prepare_options_strict_and_errors(tmp_path, capsys, monkeypatch):
    root = tmp_path / "iam"
    F.make_iam(root)
    (root / "mine.txt").write_text("a01-000u\n")
    monkeypatch.setenv("INKREPRO_CACHE", str(tmp_path / "cache"))
    assert run(["data", "prepare", "iam", "--root", str(root), "--split-list", "validation=mine.txt",
                "-o", "keep_err=false"]) == 0
    out = capsys.readouterr().out
    assert "validation 2" in out and "segmentation err" in out
    assert Store(tmp_path / "cache" / "prepared" / "iam").counts() == {"unassigned": 1, "validation": 2}
    with pytest.raises(UserError, match="bad record .strict mode.*missing image"):
        run(["data", "prepare", "iam", "--root", str(root), "--strict", "--out", str(tmp_path / "s")])
    with pytest.raises(UserError, match="unknown reader option"):
        run(["data", "verify", "iam", "--root", str(root), "-o", "colour=red"])
    monkeypatch.delenv("INKREPRO_DATA", raising=False)
    with pytest.raises(UserError, match="INKREPRO_DATA"):
        run(["data", "verify", "iam"])
    monkeypatch.setenv("INKREPRO_DATA", str(tmp_path))
    assert run(["data", "verify", "iam", "--json"]) == 0  # $INKREPRO_DATA/iam


def test_data_list_and_sources(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("INKREPRO_DATA", str(tmp_path))
    F.make_rimes(tmp_path / "rimes")
    assert run(["data", "list", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert {"hershey", "kanjivg", "photos", "iam", "imgur5k", "hiertext", "rimes", "icdar15", "deepwriting",
            "iamondb", "vnondb", "scut-couch", "casia-olhwdb", "inksight-derenderings"} <= set(rows)
    assert rows["rimes"]["present"] == "yes" and rows["iam"]["present"] == "no"
    assert "not found" in rows["iam"]["where"]
    assert all(r["licence"] and r["citation"] and r["url"] for r in rows.values())
    assert rows["hershey"]["present"] == "yes" and rows["hershey"]["kind"] == "synthetic"
    assert run(["data", "list"]) == 0
    assert "get it: https://fki.tic.heia-fr.ch" in capsys.readouterr().out
    with pytest.raises(UserError, match="unknown source"):
        sources.get("mnist")


def test_paper_mixture_lists_the_papers_sources():
    assert paper_mixture.PAPER_SOURCES["ocr"] == ("rimes", "hiertext", "imgur5k", "icdar15", "iam")
    assert paper_mixture.PAPER_SOURCES["ink"] == ("vnondb", "scut-couch", "deepwriting")
    for role in ("ocr", "ink"):
        for name in paper_mixture.sources_for(role):
            assert sources.get(name).kind == role
    assert {n for n, *_ in paper_mixture.PAPER_EVAL} == {"iam", "imgur5k", "hiertext"}
    from inkrepro.data.pipeline import DataConfig

    fields = DataConfig.__dataclass_fields__
    assert all(k in fields for k in paper_mixture.data_overrides())
