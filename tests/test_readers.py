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
    # 90 degrees counterclockwise (the dataset's README): the word reads upwards, its top faces
    # -x, so the crop's top row samples x = xc - h/2 (red) and its bottom row x = xc + h/2 (blue)
    assert (turned[:4] == red).all() and (turned[-4:] == blue).all()
    assert exs["Abc1234_1"].meta == {"image_id": "Abc1234", "box_xywha": [30.0, 20.0, 20.0, 10.0, 90.0]}
    # each record once under one reason: both words of the missing image Gone999 are "missing image"
    assert dict(recs.skipped) == {"malformed annotation file": 1, "malformed bounding box": 1,
                                  "unknown annotation id": 1, "missing image": 2}
    assert dict(recs.filtered) == {"not annotated ('.')": 1}
    assert recs.ctx.first_bad["missing image"] == "dataset_info/imgur5k_annotations_test.json [Gone999_0]"


def test_imgur5k_angle_direction_and_layout(tmp_path):
    F.make_imgur5k(tmp_path)
    cw = {e.id: e for e in readers.read("imgur5k", tmp_path, split="test", angle_direction="clockwise")}
    assert (cw["Abc1234_1"].image[:4] == [0, 0, 255]).all()
    with pytest.raises(UserError, match="angle_direction"):
        readers.read("imgur5k", tmp_path, angle_direction="up")
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
                                  "missing image": 1}  # the one word of the missing image, once


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


def test_rimes_release_files_and_encodings(tmp_path):
    F.make_rimes(tmp_path)
    recs = readers.read("rimes", tmp_path)
    assert ids(recs) == [("train/train2011-0", "train", "Madame"), ("train/train2011-1", "train", "\u00e9l\u00e8ve"),
                         ("train/train2011-4", "train", "deux mots"), ("validation/eval2011-0", "validation", "Lettre"),
                         ("test/test2011-0", "test", "Objet")]
    assert dict(recs.skipped) == {"missing image": 1, "malformed ground-truth line": 1, "placeholder label": 1}
    assert recs.ctx.first_bad == {
        "missing image": "groundtruth_training_icdar2011.txt:3 [train2011-3.png]",
        "malformed ground-truth line": "groundtruth_training_icdar2011.txt:4",
        "placeholder label": "trainingsnippets_icdar/training_WR/train2011-5.png [train/train2011-5]"}
    ex = next(iter(readers.read("rimes", tmp_path, split="test")))
    assert ex.meta["image_path"] == "data_test/test2011-0.png" and ex.image.shape == (10, 10, 3)
    strict_utf8 = readers.read("rimes", tmp_path, encodings=("utf-8",))
    assert [e.text for e in strict_utf8] == ["Madame", "deux mots", "Lettre", "Objet"]
    assert strict_utf8.skipped["text encoding"] == 1


def test_rimes_layout(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "train.txt").write_text("a.png b\n")  # a name the release never uses
    with pytest.raises(UserError, match="grount_truth_test_icdar2011.txt"):
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
    assert dict(recs.skipped) == {"malformed XML": 1, "forbidden XML construct": 1, "malformed Coords": 1,
                                  "missing image": 2}
    lines = readers.read("icdar15", tmp_path, level="line")
    assert [e.text for e in lines] == ["Honble Sir", "no words here"]
    with pytest.raises(BadRecord, match="broken.xml"):
        list(readers.read("icdar15", tmp_path, split="test", strict=True))


# --------------------------------------------------------------------------- DeepWriting


def authors_undo(sample, mean, std, lo, hi):
    """The authors' undo_preprocess (emreaksan/deepwriting, dataset_hw.py), re-implemented from its
    documented order: each listed step once, normalisation, relative representation (cumulative
    sum), origin translation (no offsets stored: nothing), scale; the pen column kept."""
    out = np.array(sample, dtype=np.float64)
    out[:, :2] = (out * std + mean)[:, :2]
    out = np.cumsum(out, axis=0)
    out[:, :2] = (out * (hi - lo) + lo)[:, :2]
    out[:, 2] = sample[:, 2]
    return out


def test_deepwriting_undoes_preprocessing_in_the_authors_order(tmp_path):
    facts = F.make_deepwriting(tmp_path)
    with np.load(tmp_path / "deepwriting_training.npz", allow_pickle=False) as z:  # the release's shape:
        assert list(z["preprocessing"]) == F.DEEPWRITING_STEPS                     # steps repeat
    raw = (tmp_path / "deepwriting_training.npz").read_bytes()
    import zipfile

    with zipfile.ZipFile(tmp_path / "deepwriting_training.npz") as zf:
        payload = zf.read("strokes.npy")
    assert b"c_codecs\nencode\n" in payload and b"cnumpy.core.multiarray\n" in payload and raw
    recs = readers.read("deepwriting", tmp_path)
    exs = list(recs)
    assert ids(exs) == [("train/000000", "train", "hi"), ("train/000001", "train", "x")]
    for ex, stored, (orig, text, writer) in zip(exs, facts["stored"], F.deepwriting_raw()):
        want = authors_undo(stored, facts["mean"], facts["std"], facts["min"], facts["max"])
        assert np.allclose(ex.ink.points[0], want[0, :2], rtol=0, atol=1e-9)  # the first point
        assert np.allclose(ex.ink.points, want[:, :2], rtol=0, atol=1e-9)
        assert np.allclose(ex.ink.points[0], facts["min"][:2])  # offsets are lost: ink starts at min
        assert np.allclose(ex.ink.points, orig[:, :2] - orig[0, :2] + facts["min"][:2], atol=0.05)
        assert ex.kind == "ink" and ex.writer == str(writer) and ex.meta["aspect_restored"]
        assert ex.meta["preprocessing_undone"] == ["normalization", "relative_representation", "scale"]
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


def _object_npy(pickle_bytes: bytes) -> bytes:
    import io

    from numpy.lib import format as npf

    buf = io.BytesIO()
    npf.write_array_header_1_0(buf, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    return buf.getvalue() + pickle_bytes


@pytest.mark.parametrize("payload, refused", [
    # _codecs.encode is admitted only as numpy uses it: (str, 'latin1')
    (b"\x80\x02c_codecs\nencode\nX\x03\x00\x00\x00abcX\x05\x00\x00\x00rot13\x86R.", "rot13"),
    (b"\x80\x02c_codecs\nencode\nX\x03\x00\x00\x00abcX\x03\x00\x00\x00hex\x86R.", "hex"),
    # other _codecs functions stay refused (lookup/register reach the codec search machinery)
    (b"\x80\x02c_codecs\nlookup\nX\x05\x00\x00\x00utf-8\x85R.", "_codecs.lookup"),
    (b"\x80\x02c_codecs\nregister\nN\x85R.", "_codecs.register"),
    (b"\x80\x02c_codecs\ndecode\nX\x03\x00\x00\x00abcX\x06\x00\x00\x00latin1\x86R.", "_codecs.decode"),
    # bytes() is admitted without arguments only (no allocation on behalf of the file)
    (b"\x80\x02c__builtin__\nbytes\nJ\x00\x00\x00\x40\x85R.", "bytes"),
    (b"\x80\x02cbuiltins\neval\nX\x01\x00\x00\x001\x85R.", "builtins.eval"),
])
def test_restricted_unpickler_refuses_hostile_codecs_use(tmp_path, payload, refused):
    import zipfile

    with zipfile.ZipFile(tmp_path / "deepwriting_training.npz", "w") as zf:
        zf.writestr("samples.npy", _object_npy(payload))
        zf.writestr("texts.npy", _object_npy(b"\x80\x02N."))
    with pytest.raises(UserError, match=r"deepwriting_training.npz:samples: refused.*" + refused):
        list(readers.read("deepwriting", tmp_path))


def test_restricted_unpickler_reads_protocol2_arrays(tmp_path):
    import io

    from inkrepro.data.readers import _base

    arrays = [np.arange(6, dtype=np.float32).reshape(2, 3), np.zeros((0, 3), np.float32), np.array([1.5])]
    F.npz_protocol2(tmp_path / "a.npz", x=F._objects(arrays))
    got = _base.load_npz(tmp_path / "a.npz")["x"]
    assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(got, arrays))
    # an array pickled by Python 2 itself: its raw bytes are a Python-2 str (SHORT_BINSTRING)
    data = np.array([1.5, -2.0]).tobytes()
    py2 = (b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01b\x87R"
           b"(K\x01K\x02\x85cnumpy\ndtype\nU\x02f8K\x00K\x01\x87R(K\x03U\x01<NNNJ\xff\xff\xff\xff"
           b"J\xff\xff\xff\xffK\x00tb\x89U\x10" + data + b"tb.")
    assert np.array_equal(_base.RestrictedUnpickler(io.BytesIO(py2)).load(), [1.5, -2.0])


# --------------------------------------------------------------------------- IAM-OnDB


def test_iamondb_lines(tmp_path):
    F.make_iamondb(tmp_path)
    recs = readers.read("iamondb", tmp_path)
    exs = list(recs)
    assert ids(exs) == [("a01-000u-01", "train", "A MOVE to stop Mr. Gaitskell from"),
                        ("a01-000u-02", "train", "nominating any more Labour"),
                        ("a08-551z-01", "train", "The"), ("a08-551z-02", "train", "ankle bone"),
                        ("a08-551z-03", "train", "pinned.")]  # the CSR line spans files 02 and 03
    ink = exs[0].ink
    assert ink.has_time and [len(s) for s in ink] == [2, 1]
    assert np.allclose(ink[0].xy, [[1073, 1058], [1072, 1085]])
    assert np.allclose(ink[0].t, [0.0, 0.03]) and np.allclose(ink[1].t, [0.45])
    # each stroke file once: a01-000u-03 has no CSR line, b01 is broken XML, c01 has no ascii
    # file, both z01-000z files carry the placeholder transcription
    assert dict(recs.skipped) == {"no transcription for line": 1, "malformed XML": 1,
                                  "missing transcription": 1, "placeholder label": 2}
    assert recs.ctx.first_bad["placeholder label"] == "lineStrokes/z01/z01-000/z01-000z-01.xml"
    assert dict(recs.counts) == {"train": 5}


# --------------------------------------------------------------------------- VNOnDB


def test_vnondb_release_layout_and_levels(tmp_path):
    F.make_vnondb(tmp_path)
    recs = readers.read("vnondb", tmp_path)
    assert ids(recs) == [("20140603_0003_BCCTC/tg_0_0_0", "train", "Vi\u1ec7t"),
                         ("20140603_0003_BCCTC/tg_0_0_1", "train", "Nam"),
                         ("20140603_0003_BCCTC/tg_0_1_0", "train", "\u01a1i"),
                         ("20151208_0146_7105_1/tg_0_0_0", "test", "\u0111\u1eb9p"),
                         ("20151208_0146_7105_2/tg_0_0_0", "unassigned", "x")]
    assert dict(recs.skipped) == {"missing truth annotation": 1, "malformed XML": 1}
    assert recs.ctx.first_bad["missing truth annotation"] == "InkData_word/20140603_0003_BCCTC.inkml [tg_0_1_1]"
    assert dict(recs.filtered) == {"empty transcription": 1}
    words = {e.text: e for e in readers.read("vnondb", tmp_path, split="train")}
    assert np.allclose(words["Vi\u1ec7t"].ink.points, [[10, 10], [12, 14], [15, 18], [20, 10], [22, 12]])
    assert [len(s) for s in words["Vi\u1ec7t"].ink] == [3, 2] and words["Nam"].meta["level"] == "word"
    lines = readers.read("vnondb", tmp_path, level="line")
    assert [(e.id, e.text) for e in lines] == [("20140603_0003_BCCTC/tg_0_0", "Vi\u1ec7t Nam"),
                                               ("20140603_0003_BCCTC/tg_0_1", "\u01a1i")]
    para = list(readers.read("vnondb", tmp_path, level="paragraph"))
    assert [e.text for e in para] == ["Vi\u1ec7t Nam \u01a1i"] and para[0].ink.num_strokes == 6
    with pytest.raises(UserError, match="level must be"):
        readers.read("vnondb", tmp_path, level="page")


def test_vnondb_missing_level_folder_and_layout(tmp_path):
    F.make_vnondb(tmp_path)
    import shutil

    shutil.rmtree(tmp_path / "InkData_line")
    with pytest.raises(UserError, match=r"expected InkData_line/ \(for level=line\)"):
        readers.read("vnondb", tmp_path, level="line")
    for d in ("InkData_word", "InkData_paragraph"):
        shutil.rmtree(tmp_path / d)
    with pytest.raises(UserError, match="InkData_word/"):
        readers.read("vnondb", tmp_path)


def test_vnondb_without_split_files_and_bad_encoding(tmp_path):
    F.make_vnondb(tmp_path)
    import shutil

    shutil.rmtree(tmp_path / "VNOnDB_ICFHR2018_dataSplit")
    assert {e.split for e in readers.read("vnondb", tmp_path)} == {"train"}  # default_split
    (tmp_path / "InkData_word" / "latin1.inkml").write_bytes(
        '<ink><traceGroup id="t"><annotationXML><Tg_Truth>\u00e9</Tg_Truth></annotationXML>'
        '<trace>1 1</trace></traceGroup></ink>'.encode("latin-1"))
    recs = readers.read("vnondb", tmp_path)
    assert len(list(recs)) == 5 and recs.skipped["text encoding"] == 1


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


def test_pot_byte_order_and_markers(tmp_path):
    d = tmp_path / "x"
    d.mkdir()
    natural = F.pot_sample(None, [[(1, 2)]], tag="\u554a".encode("gbk") + b"\0\0")
    no_end = F.pot_sample("\u554a", [[(1, 2)]], end=False)
    (d / "a.pot").write_bytes(natural + no_end)
    recs = readers.read("casia-olhwdb", tmp_path, byte_order="natural")
    assert [e.text for e in recs] == ["\u554a"]
    assert dict(recs.skipped) == {"missing character end marker": 1}
    with pytest.raises(BadRecord, match=r"a.pot \[sample 1"):
        list(readers.read("casia-olhwdb", tmp_path, byte_order="natural", strict=True))
    (d / "a.pot").unlink()
    with pytest.raises(UserError, match=r"\*.pot"):
        readers.read("casia-olhwdb", tmp_path)


# --------------------------------------------------------------------------- SCUT-COUCH2009


def test_scut_couch_idx_dat_pairs(tmp_path):
    F.make_scut_couch(tmp_path)
    recs = readers.read("scut-couch", tmp_path)
    exs = list(recs)
    assert ids(exs) == [("Couch_Digit_195/Digit_001/00000", "train", "7"),
                        ("Couch_GB1_188/GB1_001/00000", "train", "\u554a"),
                        ("Couch_GB1_188/GB1_001/00001", "train", "\u4e2d\u56fd"),
                        ("Couch_GB1_188/GB1_049/00000", "train", "\u4e86")]  # GB1_049.DAT, as shipped
    a = exs[1]
    assert [s.xy.tolist() for s in a.ink] == [[[10, 20], [11, 21]], [[30, 40]]]
    assert a.writer == "GB1_001" and a.language == "zh" and a.meta["session_index"] == 100
    assert dict(recs.skipped) == {"point count mismatch": 1, "bad label code": 1, "truncated sample": 1,
                                  "truncated index": 1, "missing .dat": 1}
    assert recs.ctx.first_bad["truncated sample"] == "Couch_GB1_188/GB1_049.idx [sample 1]"
    assert list(readers.read("scut-couch", tmp_path, split="test")) == []
    with pytest.raises(BadRecord, match=r"GB1_001.idx \[sample 2\]: point count mismatch"):
        list(readers.read("scut-couch", tmp_path / "Couch_GB1_188", strict=True))


def test_scut_couch_layout(tmp_path):
    F.make_pot(tmp_path)  # .pot files are CASIA's format, not SCUT-COUCH's
    with pytest.raises(UserError, match=r"Couch_<set>_<writers>/<set>_<NNN>.idx"):
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


# --------------------------------------------------------------------------- names from files, image limits


def test_names_from_files_never_leave_the_dataset_root(tmp_path):
    import json

    root, outside = tmp_path / "ds", tmp_path / "outside"
    F.png(outside / "secret.png", 30, 20)
    F.make_imgur5k(root)
    ann = root / "dataset_info" / "imgur5k_annotations_test.json"
    data = json.loads(ann.read_text())
    data["index_id"]["Abc1234"]["image_path"] = str(outside / "secret.png")   # absolute
    data["index_id"]["Gone999"]["image_path"] = "../outside/secret.png"      # .. out of the root
    ann.write_text(json.dumps(data))
    recs = readers.read("imgur5k", root, split="test")
    assert list(recs) == []
    # every word of both pages, once (Abc1234_3 has a malformed box, counted before its image)
    assert recs.skipped["unsafe path"] == 4 and "missing image" not in recs.skipped
    assert recs.ctx.first_bad["unsafe path"] == "dataset_info/imgur5k_annotations_test.json [Abc1234_0]"

    F.make_pagexml(root / "icdar")
    xml = root / "icdar" / "train" / "page" / "p1.xml"
    xml.write_text(xml.read_text().replace('imageFilename="p1.png"', f'imageFilename="{outside / "secret.png"}"'))
    recs = readers.read("icdar15", root / "icdar", split="train")
    assert [e.id for e in recs if e.meta["page"] == "p1"] == []
    assert recs.skipped["unsafe path"] == 4 and "p1.xml" in recs.ctx.first_bad["unsafe path"]  # its 4 elements


def test_image_pixel_limit_is_a_reader_option(tmp_path):
    F.make_iam(tmp_path)
    recs = readers.read("iam", tmp_path, max_image_pixels=700)
    assert [e.id for e in recs] == ["a01-000u-01-00", "b01-000-00-00"]   # 12x9 and 30x20 pass
    # 27x51, 213x48 and the truncated 40x30 are refused from their headers, before decoding
    assert recs.skipped["image too large"] == 3 and "unreadable image" not in recs.skipped
    with pytest.raises(UserError, match="max_image_pixels must be a positive integer"):
        readers.read("iam", tmp_path, max_image_pixels="lots")
    with pytest.raises(UserError, match="max_image_pixels"):
        readers.read("iam", tmp_path, max_image_pixels=0)
