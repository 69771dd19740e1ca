"""Every real-dataset reader on a tiny dataset in its native format, plus broken variants."""

from __future__ import annotations

import numpy as np
import pytest

import readers_fixtures as F
from inkrepro.data import readers
from inkrepro.errors import BadRecord, UserError


def ids(records):
    return [(e.id, e.split, e.text) for e in records]


# --------------------------------------------------------------------------- IAM


def test_iam_words(tmp_path):
    F.make_iam(tmp_path)
    recs = readers.read("iam", tmp_path)
    exs = list(recs)
    assert ids(exs) == [("a01-000u-00-00", "train", "A"), ("a01-000u-00-01", "train", "MOVE"),
                        ("a01-000u-01-00", "train", "caf\u00e9"), ("b01-000-00-00", "test", "test")]
    a = exs[0]
    assert a.kind == "ocr" and a.image.shape == (51, 27, 3) and a.image.dtype == np.uint8
    assert a.writer == "000" and a.source == "iam" and a.ink is None
    assert a.meta == {"segmentation": "ok", "graylevel": 154, "box_xywh": [408, 768, 27, 51],
                      "tag": "AT", "form": "a01-000u"}
    assert exs[1].meta["segmentation"] == "err" and exs[2].meta["box_xywh"] == [-1, -1, -1, -1]
    assert dict(recs.skipped) == {"missing image": 1, "unreadable image": 1, "malformed words.txt line": 2}
    assert dict(recs.counts) == {"train": 3, "test": 1}


def test_iam_options_and_splits(tmp_path):
    F.make_iam(tmp_path)
    recs = readers.read("iam", tmp_path, keep_err=False, split="train")
    assert [e.id for e in recs] == ["a01-000u-00-00", "a01-000u-01-00"]
    assert dict(recs.filtered) == {"segmentation err": 1}
    # user-supplied list overrides the files found next to the data; unlisted -> unassigned
    (tmp_path / "mine.txt").write_text("a01-000u-00\n")
    got = {e.id: e.split for e in readers.read("iam", tmp_path, split_lists={"test": ["mine.txt"]})}
    assert got == {"a01-000u-00-00": "test", "a01-000u-00-01": "test", "a01-000u-01-00": "unassigned",
                   "b01-000-00-00": "unassigned"}
    with pytest.raises(UserError, match="does not exist"):
        readers.read("iam", tmp_path, split_lists={"test": ["nope.txt"]})
    with pytest.raises(UserError, match="unknown reader option"):
        readers.read("iam", tmp_path, level="word")


def test_iam_strict_and_layout(tmp_path):
    F.make_iam(tmp_path)
    with pytest.raises(BadRecord) as e:
        list(readers.read("iam", tmp_path, strict=True))
    assert e.value.reason == "missing image" and "ascii/words.txt:9" in str(e.value)
    assert "c01-000-00-00" in str(e.value)
    (tmp_path / "ascii" / "words.txt").unlink()
    with pytest.raises(UserError, match=r"expected ascii/words.txt under"):
        readers.read("iam", tmp_path)
    with pytest.raises(UserError, match="does not exist"):
        readers.read("iam", tmp_path / "nowhere")


def test_iam_without_split_lists_is_unassigned(tmp_path):
    F.make_iam(tmp_path, splits=False)
    assert {e.split for e in readers.read("iam", tmp_path)} == {"unassigned"}


# --------------------------------------------------------------------------- IMGUR5K


def test_imgur5k_rotated_crops(tmp_path):
    F.make_imgur5k(tmp_path)
    recs = readers.read("imgur5k", tmp_path)
    exs = {e.id: e for e in recs}
    assert ids(exs.values()) == [("Abc1234_5", "train", "once"), ("Abc1234_0", "test", "There"),
                                 ("Abc1234_1", "test", "were")]
    straight, turned = exs["Abc1234_0"].image, exs["Abc1234_1"].image
    assert straight.shape == (10, 20, 3) and turned.shape == (10, 20, 3)
    red, blue = [255, 0, 0], [0, 0, 255]
    assert (straight[:, :9] == red).all() and (straight[:, 11:] == blue).all()
    # 90 degrees (OpenCV convention): width runs down the image, height towards -x,
    # so the crop's top row samples x = xc + h/2 (blue) and its bottom row x = xc - h/2 (red)
    assert (turned[:4] == blue).all() and (turned[-4:] == red).all()
    assert exs["Abc1234_1"].meta == {"image_id": "Abc1234", "box_xywha": [30.0, 20.0, 20.0, 10.0, 90.0]}
    assert dict(recs.skipped) == {"malformed annotation file": 1, "malformed bounding box": 1,
                                  "unknown annotation id": 1, "missing image": 1,
                                  "word of unreadable image": 2}
    assert dict(recs.filtered) == {"not annotated ('.')": 1}


def test_imgur5k_angle_sign_and_layout(tmp_path):
    F.make_imgur5k(tmp_path)
    flipped = {e.id: e for e in readers.read("imgur5k", tmp_path, split="test", angle_sign=-1)}
    assert (flipped["Abc1234_1"].image[:4] == [255, 0, 0]).all()
    for f in (tmp_path / "dataset_info").iterdir():
        f.unlink()
    with pytest.raises(UserError, match="imgur5k_annotations"):
        readers.read("imgur5k", tmp_path)


# --------------------------------------------------------------------------- HierText


def test_hiertext_filters_and_crops(tmp_path):
    F.make_hiertext(tmp_path)
    recs = readers.read("hiertext", tmp_path)
    exs = list(recs)
    assert ids(exs) == [("aaaa_0", "train", "jl"), ("0d44ea16f816055c_0", "test", "hand"),
                        ("0d44ea16f816055c_6", "test", "curvy")]
    assert exs[1].image.shape == (20, 30, 3)
    assert exs[2].image.shape == (15, 37, 3)  # floor(60)..ceil(97) x floor(30)..ceil(45)
    assert exs[1].meta["handwritten"] and exs[1].meta["vertices"][0] == [10.0, 10.0]
    assert dict(recs.filtered) == {"not handwritten": 1, "illegible": 1, "vertical": 1}
    assert dict(recs.skipped) == {"corrupt gzip": 1, "box outside image": 1, "malformed annotation": 2,
                                  "missing image": 1, "word of unreadable image": 1}


def test_hiertext_filter_options(tmp_path):
    F.make_hiertext(tmp_path)
    both = readers.read("hiertext", tmp_path, split="test",
                        filters={"handwritten": None, "drop_vertical": False, "min_width": 12})
    assert [e.text for e in both] == ["hand", "print", "curvy"]  # "up" is 10 px wide
    assert dict(both.filtered) == {"illegible": 1, "too small": 2}  # "up" and "gone"
    printed = readers.read("hiertext", tmp_path, split="test", filters={"handwritten": False})
    assert [e.text for e in printed] == ["print"]
    with pytest.raises(UserError, match="colour"):
        readers.read("hiertext", tmp_path, filters={"colour": "red"})


def test_hiertext_wrong_encoding_and_bad_json(tmp_path):
    (tmp_path / "gt").mkdir()
    (tmp_path / "gt" / "test.jsonl").write_bytes('{"annotations": [{"image_id": "caf\u00e9"}]}'.encode("latin-1"))
    (tmp_path / "gt" / "train.jsonl").write_text('{"image_id": "a", "paragraphs": []}\n{"image_id": ')
    recs = readers.read("hiertext", tmp_path)
    assert list(recs) == [] and dict(recs.skipped) == {"text encoding": 1, "malformed JSON": 1}


def test_hiertext_layout(tmp_path):
    (tmp_path / "gt").mkdir()
    with pytest.raises(UserError, match="gt/train.jsonl.gz"):
        readers.read("hiertext", tmp_path)


# --------------------------------------------------------------------------- RIMES


def test_rimes_words_and_encodings(tmp_path):
    F.make_rimes(tmp_path)
    recs = readers.read("rimes", tmp_path)
    assert ids(recs) == [("test2011/t1", "test", "Objet"), ("train2011/w1", "train", "Madame"),
                         ("train2011/w2", "train", "\u00e9l\u00e8ve"), ("train2011/w1", "train", "deux mots")]
    assert dict(recs.skipped) == {"missing image": 1, "malformed ground-truth line": 1}
    strict_utf8 = readers.read("rimes", tmp_path, encodings=("utf-8",))
    assert [e.text for e in strict_utf8] == ["Objet", "Madame", "deux mots"]
    assert strict_utf8.skipped["text encoding"] == 1


def test_rimes_layout(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UserError, match="ground-truth file"):
        readers.read("rimes", tmp_path)


# --------------------------------------------------------------------------- PAGE-XML


def test_pagexml_words_lines_and_broken_files(tmp_path):
    F.make_pagexml(tmp_path)
    recs = readers.read("icdar15", tmp_path)
    exs = list(recs)
    assert ids(exs) == [("p1/w1", "train", "Honble"), ("p1/w2", "train", "Sir"),
                        ("p1/l2", "train", "no words here")]
    assert exs[0].image.shape == (30, 40, 3) and exs[2].image.shape == (40, 110, 3)  # 2010 Point form
    assert exs[0].meta["level"] == "Word" and exs[2].meta["level"] == "TextLine"
    assert dict(recs.filtered) == {"no transcription": 1}
    assert dict(recs.skipped) == {"malformed XML": 1, "forbidden XML construct": 1, "malformed Coords": 1}
    lines = readers.read("icdar15", tmp_path, level="line")
    assert [e.text for e in lines] == ["Honble Sir", "no words here"]
    with pytest.raises(BadRecord, match="broken.xml"):
        list(readers.read("icdar15", tmp_path, split="test", strict=True))


# --------------------------------------------------------------------------- DeepWriting


def test_deepwriting_undoes_preprocessing(tmp_path):
    facts = F.make_deepwriting(tmp_path)
    recs = readers.read("deepwriting", tmp_path)
    exs = list(recs)
    assert ids(exs) == [("train/000000", "train", "hi"), ("train/000001", "train", "x")]
    for ex, (raw, text, writer) in zip(exs, F.deepwriting_raw()):
        assert ex.kind == "ink" and ex.writer == str(writer) and ex.meta["aspect_restored"]
        want = raw[:, :2] - raw[0, :2] + facts["min"][:2]  # offsets are lost; scale comes back
        assert np.allclose(ex.ink.points, want, atol=1e-6)
        assert [len(s) for s in ex.ink] == ([3, 2] if text == "hi" else [3])
    assert dict(recs.skipped) == {"invalid ink": 1, "malformed sample": 1}


def test_deepwriting_broken_npz(tmp_path):
    tmp_path.joinpath("deepwriting_training.npz").write_bytes(b"PK\x03\x04 not a zip")
    recs = readers.read("deepwriting", tmp_path)
    assert list(recs) == [] and dict(recs.skipped) == {"malformed npz": 1}
    np.savez(tmp_path / "deepwriting_training.npz", texts=np.array(["a"]))
    recs = readers.read("deepwriting", tmp_path)
    assert list(recs) == [] and dict(recs.skipped) == {"malformed npz": 1}


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned",))


def test_deepwriting_refuses_foreign_pickles(tmp_path):
    obj = np.empty(1, dtype=object)
    obj[0] = _Evil()
    np.savez(tmp_path / "deepwriting_training.npz", samples=obj, texts=np.array(["a"]))
    with pytest.raises(UserError, match=r"refused to load (posix|nt|os)\.system"):
        list(readers.read("deepwriting", tmp_path))


# --------------------------------------------------------------------------- IAM-OnDB


def test_iamondb_lines(tmp_path):
    F.make_iamondb(tmp_path)
    recs = readers.read("iamondb", tmp_path)
    exs = list(recs)
    assert ids(exs) == [("a01-000u-01", "train", "A MOVE to stop Mr. Gaitskell from"),
                        ("a01-000u-02", "train", "nominating any more Labour")]
    ink = exs[0].ink
    assert ink.has_time and [len(s) for s in ink] == [2, 1]
    assert np.allclose(ink[0].xy, [[1073, 1058], [1072, 1085]])
    assert np.allclose(ink[0].t, [0.0, 0.03]) and np.allclose(ink[1].t, [0.45])
    assert dict(recs.skipped) == {"no transcription for line": 1, "malformed XML": 1,
                                  "missing transcription": 1, "line of unreadable transcription": 1}


# --------------------------------------------------------------------------- VNOnDB


def test_vnondb_word_and_line_levels(tmp_path):
    F.make_vnondb(tmp_path)
    recs = readers.read("vnondb", tmp_path)
    assert ids(recs) == [("word_0001/0", "test", "\u0111\u1eb9p"),
                         ("20140603_0003_BCCTC/0", "train", "Vi\u1ec7t"),
                         ("20140603_0003_BCCTC/1", "train", "Nam"),
                         ("20140603_0003_BCCTC/2", "train", "\u01a1i")]
    assert dict(recs.skipped) == {"unknown trace id": 1, "malformed XML": 1}
    words = {e.text: e for e in readers.read("vnondb", tmp_path, split="train")}
    assert np.allclose(words["Vi\u1ec7t"].ink.points, [[10, 10], [12, 14], [15, 18], [20, 10], [22, 12]])
    lines = readers.read("vnondb", tmp_path, level="line", split="train")
    assert [e.text for e in lines] == ["Vi\u1ec7t Nam", "\u01a1i"]
    (tmp_path / "test" / "latin1.inkml").write_bytes(
        '<ink xmlns="http://www.w3.org/2003/InkML"><annotation type="truth">\u00e9</annotation>'
        '<trace>1 1</trace></ink>'.encode("latin-1"))
    recs = readers.read("vnondb", tmp_path, split="test")
    assert [e.id for e in recs] == ["word_0001/0"] and dict(recs.skipped) == {"text encoding": 1}


# --------------------------------------------------------------------------- .pot


def test_pot_samples(tmp_path):
    F.make_pot(tmp_path)
    recs = readers.read("casia-olhwdb", tmp_path)
    exs = list(recs)
    assert ids(exs) == [("1001-c/00000", "train", "\u554a"), ("1001-c/00001", "train", "a"),
                        ("1001-c/00004", "train", "\u7684"), ("1241-c/00000", "test", "\u4e2d")]
    assert exs[0].writer == "1001" and exs[0].language == "zh"
    assert [s.xy.tolist() for s in exs[0].ink] == [[[10, 20], [11, 21]], [[30, 40]]]
    assert dict(recs.skipped) == {"bad tag code": 1, "stroke count mismatch": 1, "truncated sample": 1}
    scut = readers.read("scut-couch", tmp_path, split="test")
    assert [(e.source, e.text) for e in scut] == [("scut-couch", "\u4e2d")]


def test_pot_byte_order_and_markers(tmp_path):
    d = tmp_path / "x"
    d.mkdir()
    natural = F.pot_sample(None, [[(1, 2)]], tag="\u554a".encode("gbk") + b"\0\0")
    no_end = F.pot_sample("\u554a", [[(1, 2)]], end=False)
    (d / "a.pot").write_bytes(natural + no_end)
    recs = readers.read("scut-couch", tmp_path, byte_order="natural")
    assert [e.text for e in recs] == ["\u554a"]
    assert dict(recs.skipped) == {"missing character end marker": 1}
    with pytest.raises(BadRecord, match=r"a.pot \[sample 1"):
        list(readers.read("scut-couch", tmp_path, byte_order="natural", strict=True))
    (d / "a.pot").unlink()
    with pytest.raises(UserError, match=r"\*.pot"):
        readers.read("scut-couch", tmp_path)


# --------------------------------------------------------------------------- registry


def test_every_reader_documents_itself():
    for name in readers.READERS:
        mod = readers.get(name)
        s = mod.SOURCE
        assert s.name == name and s.licence and s.citation and s.url and s.layout
        assert mod.__doc__ and "ROOT" in mod.read.__doc__
    with pytest.raises(UserError, match="unknown dataset"):
        readers.get("mnist")
