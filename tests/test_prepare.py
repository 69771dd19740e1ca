"""`inkrepro data prepare | verify | list`: shard store, resume, reports, CLI."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

import readers_fixtures as F
from inkrepro.data import cli as data_cli
from inkrepro.data import paper_mixture, prepare, readers, sources
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
    assert rep["counts"] == {"train": 5}
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


@pytest.mark.parametrize("name, make", [
    ("vnondb", F.make_vnondb), ("deepwriting", F.make_deepwriting), ("iamondb", F.make_iamondb),
    ("imgur5k", F.make_imgur5k), ("scut-couch", F.make_scut_couch), ("rimes", F.make_rimes),
])
def test_real_format_fixtures_through_verify_and_prepare(tmp_path, name, make):
    """The publishers' formats go through verify and prepare with the reader's examples, labels
    and coordinates (the readers' own tests check those against the format facts)."""
    root = tmp_path / name
    make(root)
    want = {e.id: e for e in readers.read(name, root)}
    rep = prepare.verify(name, root, progress=False)
    assert sum(rep["counts"].values()) == len(want) > 0
    prepare.prepare(name, root, tmp_path / "out", progress=False)
    got = {e.id: e for e in Store(tmp_path / "out").examples()}
    assert sorted(got) == sorted(want)
    for k, e in want.items():
        assert (got[k].text, got[k].split) == (e.text, e.split)
        if e.ink is not None:
            assert np.allclose(got[k].ink.points, e.ink.points, atol=1e-3)  # float32 in the store
            assert [len(s) for s in got[k].ink] == [len(s) for s in e.ink]
        if e.image is not None:
            assert np.array_equal(got[k].image, e.image)


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
    assert "  test                1 | 17600  IAM testset_f, 17.6k words (difference -17599)" in out
    assert "  train               3 | -  (the paper publishes no size for this split)" in out
    assert "1  missing image  (first: ascii/words.txt:9 [c01-000-00-00])" in out


def test_verify_release_inventory(tmp_path, capsys, monkeypatch):
    from test_readers_release import make_release

    make_release(tmp_path, monkeypatch)
    assert run(["data", "verify", "inksight-derenderings", "--root", str(tmp_path), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["inventory"]["human_tracings"] == 2 and rep["counts"] == {"test": 12}
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
    assert "  validation          2 | -" in out and "segmentation err" in out
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


def test_empty_result_is_an_error(tmp_path, capsys):
    """verify and prepare that read no example fail with the top reasons and an example file."""
    from inkrepro import cli

    root = tmp_path / "vnondb"
    (root / "InkData_word").mkdir(parents=True)
    for k in range(3):  # the failure the issue reports: every group lacks its label
        (root / "InkData_word" / f"doc{k}.inkml").write_text(
            F.vnondb_inkml([(f"tg_{k}", None, [[(1, 2), (3, 4)]])]))
    (root / "InkData_word" / "broken.inkml").write_text("<ink><trace>1 1")
    with pytest.raises(UserError) as e:
        prepare.verify("vnondb", root, progress=False)
    msg = str(e.value)
    assert msg.startswith(f"vnondb: no example read from {root}.")
    assert "Skipped 4 bad record(s); top reasons:" in msg
    assert "  3 missing truth annotation (e.g. InkData_word/doc0.inkml [tg_0])" in msg
    assert "  1 malformed XML (e.g. InkData_word/broken.inkml)" in msg
    out = tmp_path / "out"
    with pytest.raises(UserError, match="missing truth annotation"):
        prepare.prepare("vnondb", root, out, progress=False)
    assert not (out / "store.json").exists()  # a failed, empty preparation leaves nothing behind
    assert cli.main(["data", "verify", "vnondb", "--root", str(root)]) == 2
    assert cli.main(["data", "prepare", "vnondb", "--root", str(root), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("3 missing truth annotation (e.g. InkData_word/doc0.inkml [tg_0])") == 2
    # a level whose folder is absent is an error too, never a silent "none"
    assert cli.main(["data", "verify", "vnondb", "--root", str(root), "-o", "level=line"]) == 2
    assert "expected InkData_line/ (for level=line)" in capsys.readouterr().err
    # all filtered, or a split that holds nothing: still an error, with the reason
    (root / "InkData_word" / "doc0.inkml").write_text(F.vnondb_inkml([("tg", " ", [[(1, 2)]])]))
    with pytest.raises(UserError, match="Filtered: 1 empty transcription"):
        prepare.verify("vnondb", root, progress=False)
    F.make_iam(tmp_path / "iam")
    with pytest.raises(UserError, match="no example read from split 'validation' of"):
        prepare.verify("iam", tmp_path / "iam", split="validation", progress=False)


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
    assert rows["vnondb"]["layout"].startswith("ROOT/InkData_word/<name>.inkml")
    assert run(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert "get it: https://fki.tic.heia-fr.ch" in out
    # the layout each publisher ships, as shipped
    for shipped in ("ROOT/InkData_line/<name>.inkml", "VNOnDB_ICFHR2018_dataSplit/train_set.txt",
                    "ROOT/grount_truth_test_icdar2011.txt", "validationsnippets_icdar/testdataset_ICDAR/",
                    "ROOT/Couch_GB1_188/GB1_001.idx + GB1_001.dat (or .DAT)",
                    "ROOT/deepwriting_training.npz", "ROOT/<model>_<dataset>_inkml/"):
        assert shipped in out, shipped
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
