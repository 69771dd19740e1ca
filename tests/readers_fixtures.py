"""Tiny datasets written in each publisher's native format (files, layout, quirks) for the reader
tests. Every builder returns facts the tests check exactly."""

from __future__ import annotations

import gzip
import io
import json
import struct
from pathlib import Path

import numpy as np
from PIL import Image


def png(path: Path, w: int, h: int, color=(200, 200, 200), fmt: str = "PNG") -> np.ndarray:
    path.parent.mkdir(parents=True, exist_ok=True)
    arr = np.zeros((h, w, 3), np.uint8)
    arr[:] = color
    Image.fromarray(arr).save(path, format=fmt)
    return arr


def truncated_png(path: Path, w: int = 40, h: int = 30) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(buf, format="PNG")
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])


# --------------------------------------------------------------------------- IAM offline words

IAM_WORDS = b"""#--- words.txt ---------------------------------------------------------------#
#
# format: a01-000u-00-00 ok 154 1 408 768 27 51 AT A
#
a01-000u-00-00 ok 154 408 768 27 51 AT A
a01-000u-00-01 err 154 507 766 213 48 NN MOVE
a01-000u-01-00 ok 182 -1 -1 -1 -1 NN caf\xe9
b01-000-00-00 ok 154 10 10 30 20 NN test
c01-000-00-00 ok 154 10 10 30 20 NN missing
d01-000-00-00 ok 154 10 10 30 20 NN truncated
e01-000-00-00 ok 154 1 2

a01-000u-00-02 ok 154 x 768 27 51 AT bad
"""


def make_iam(root: Path, splits: bool = True) -> None:
    (root / "ascii").mkdir(parents=True)
    (root / "ascii" / "words.txt").write_bytes(IAM_WORDS)
    (root / "ascii" / "forms.txt").write_text("# forms\na01-000u 000 2 prt 7 5 52 36\n")
    png(root / "words/a01/a01-000u/a01-000u-00-00.png", 27, 51)
    png(root / "words/a01/a01-000u/a01-000u-00-01.png", 213, 48)
    png(root / "words/a01/a01-000u/a01-000u-01-00.png", 12, 9)
    png(root / "words/b01/b01-000/b01-000-00-00.png", 30, 20)
    truncated_png(root / "words/d01/d01-000/d01-000-00-00.png")
    if splits:
        (root / "trainset.txt").write_text("a01-000u\n")
        (root / "splits").mkdir()
        (root / "splits" / "testset_f.txt").write_text("b01-000-00\nd01-000\n")


# --------------------------------------------------------------------------- IMGUR5K


def make_imgur5k(root: Path) -> np.ndarray:
    img = np.zeros((40, 60, 3), np.uint8)
    img[:, :30] = (255, 0, 0)  # left half red
    img[:, 30:] = (0, 0, 255)  # right half blue
    (root / "images").mkdir(parents=True)
    Image.fromarray(img).save(root / "images" / "Abc1234.png", format="PNG")
    # the dataset's files are .jpg; a lossless PNG under the .jpg name keeps colours exact
    (root / "images" / "Abc1234.png").rename(root / "images" / "Abc1234.jpg")
    test = {
        "index_id": {
            "Abc1234": {"image_url": "https://i.imgur.com/Abc1234.jpg", "image_path": "images/Abc1234.jpg",
                        "image_hash": "0" * 32},
            "Gone999": {"image_url": "https://i.imgur.com/Gone999.jpg", "image_path": "images/Gone999.jpg",
                        "image_hash": "1" * 32},
        },
        "index_to_ann_map": {"Abc1234": ["Abc1234_0", "Abc1234_1", "Abc1234_2", "Abc1234_3", "Abc1234_9"],
                             "Gone999": ["Gone999_0", "Gone999_1"]},
        "ann_id": {
            "Abc1234_0": {"word": "There", "bounding_box": "[30.0, 20.0, 20.0, 10.0, 0.0]"},
            "Abc1234_1": {"word": "were", "bounding_box": "[30.0, 20.0, 20.0, 10.0, 90.0]"},
            "Abc1234_2": {"word": ".", "bounding_box": "[5.0, 5.0, 4.0, 4.0, 0.0]"},
            "Abc1234_3": {"word": "bad", "bounding_box": "[30.0, 20.0, oops]"},
            "Gone999_0": {"word": "x", "bounding_box": "[1, 1, 1, 1, 0]"},
            "Gone999_1": {"word": "y", "bounding_box": "[1, 1, 1, 1, 0]"},
        },
    }
    d = root / "dataset_info"
    d.mkdir()
    (d / "imgur5k_annotations_test.json").write_text(json.dumps(test, indent=4))
    train = {"index_id": {"Abc1234": test["index_id"]["Abc1234"]},
             "index_to_ann_map": {"Abc1234": ["Abc1234_5"]},
             "ann_id": {"Abc1234_5": {"word": "once", "bounding_box": "[10.0, 10.0, 8.0, 6.0, 0.0]"}}}
    (d / "imgur5k_annotations_train.json").write_text(json.dumps(train))
    (d / "imgur5k_annotations_val.json").write_text('{"index_id": {"x": ')  # truncated JSON
    return img


# --------------------------------------------------------------------------- HierText


def _word(vertices, text, handwritten=True, legible=True, vertical=False):
    return {"vertices": vertices, "text": text, "legible": legible, "handwritten": handwritten,
            "vertical": vertical}


def make_hiertext(root: Path) -> None:
    png(root / "test" / "0d44ea16f816055c.jpg", 100, 50, fmt="JPEG")
    words = [
        _word([[10, 10], [40, 10], [40, 30], [10, 30]], "hand"),                    # 0 kept
        _word([[50, 10], [70, 10], [70, 20], [50, 20]], "print", handwritten=False),  # 1 filtered
        _word([[0, 0], [5, 0], [5, 5], [0, 5]], "", legible=False),                 # 2 filtered
        _word([[80, 0], [90, 0], [90, 40], [80, 40]], "up", vertical=True),          # 3 filtered
        _word([[200, 200], [220, 200], [220, 220], [200, 220]], "off"),              # 4 bad: outside
        {"text": "novert", "legible": True, "handwritten": True, "vertical": False},  # 5 bad
        _word([[60.5, 30], [95.5, 30], [97, 45], [60, 45]], "curvy"),                 # 6 kept
    ]
    doc = {"info": {"date": "2022", "version": "v1"}, "annotations": [
        {"image_id": "0d44ea16f816055c", "image_width": 100, "image_height": 50, "paragraphs": [
            {"vertices": [[0, 0], [100, 0], [100, 50], [0, 50]], "legible": True, "lines": [
                {"vertices": [], "text": "hand print", "legible": True, "handwritten": True,
                 "vertical": False, "words": words[:4]},
                {"vertices": [], "text": "off", "legible": True, "handwritten": True,
                 "vertical": False, "words": words[4:]}]}]},
        {"image_id": "nofile0000000000", "image_width": 10, "image_height": 10, "paragraphs": [
            {"vertices": [], "legible": True, "lines": [
                {"vertices": [], "text": "", "legible": True, "handwritten": True, "vertical": False,
                 "words": [_word([[1, 1], [5, 1], [5, 5], [1, 5]], "gone")]}]}]},
        {"image_id": "broken", "paragraphs": [{"lines": [{"nowords": []}]}]},
    ]}
    (root / "gt").mkdir(parents=True)
    (root / "gt" / "test.jsonl.gz").write_bytes(gzip.compress(json.dumps(doc).encode()))
    # train as true JSON Lines, one annotation per line
    png(root / "train" / "aaaa.jpg", 30, 30, fmt="JPEG")
    ann = {"image_id": "aaaa", "paragraphs": [{"lines": [{"words": [
        _word([[1, 1], [20, 1], [20, 10], [1, 10]], "jl")]}]}]}
    (root / "gt" / "train.jsonl.gz").write_bytes(gzip.compress((json.dumps(ann) + "\n").encode()))
    (root / "gt" / "validation.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")


# --------------------------------------------------------------------------- RIMES


def make_rimes(root: Path) -> None:
    """The ICDAR 2011 word release: three ground-truth files (names as shipped, sic), image
    names relative to each split's snippet folder."""
    root.mkdir(parents=True, exist_ok=True)
    tr, va, te = (root / "trainingsnippets_icdar/training_WR", root / "validationsnippets_icdar/testdataset_ICDAR",
                  root / "data_test")
    png(tr / "train2011-0.png", 30, 12)
    png(tr / "train2011-1.png", 20, 12)
    png(va / "eval2011-0.png", 14, 10)
    png(te / "test2011-0.png", 10, 10)
    png(tr / "train2011-4.png", 24, 12)
    png(tr / "train2011-5.png", 10, 10)
    lines = [b"train2011-0.png Madame", "train2011-1.png \u00e9l\u00e8ve".encode("latin-1"),
             b"train2011-3.png absent", b"onlyonefield", b"", b"train2011-4.png deux mots",
             b"train2011-5.png Please  Enter Transcription here"]
    (root / "groundtruth_training_icdar2011.txt").write_bytes(b"\r\n".join(lines) + b"\r\n")
    (root / "ground_truth_validation_icdar2011.txt").write_bytes("\ufeffeval2011-0.png Lettre\n".encode())
    (root / "grount_truth_test_icdar2011.txt").write_text("test2011-0.png Objet\n", encoding="utf-8")


# --------------------------------------------------------------------------- PAGE-XML

PAGE_NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2013-07-15"


def make_pagexml(root: Path) -> None:
    png(root / "train" / "p1.png", 200, 100)
    (root / "train" / "page").mkdir(parents=True)
    (root / "train" / "page" / "p1.xml").write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="{PAGE_NS}">
  <Page imageFilename="p1.png" imageWidth="200" imageHeight="100">
    <TextRegion id="r1"><Coords points="0,0 200,0 200,100 0,100"/>
      <TextLine id="l1"><Coords points="10,10 150,10 150,40 10,40"/>
        <Word id="w1"><Coords points="10,10 50,10 50,40 10,40"/>
          <TextEquiv><Unicode>Honble</Unicode></TextEquiv></Word>
        <Word id="w2"><Coords points="60,12 100,12 100,38 60,38"/>
          <TextEquiv><Unicode>Sir</Unicode></TextEquiv></Word>
        <Word id="w3"><Coords points="110,10 150,10 150,40 110,40"/></Word>
        <TextEquiv><Unicode>Honble Sir</Unicode></TextEquiv>
      </TextLine>
      <TextLine id="l2"><Coords><Point x="10" y="50"/><Point x="120" y="50"/><Point x="120" y="90"/></Coords>
        <TextEquiv><Unicode>no words here</Unicode></TextEquiv>
      </TextLine>
      <TextLine id="l3"><Coords points="10,50 zz"/>
        <TextEquiv><Unicode>bad coords</Unicode></TextEquiv>
      </TextLine>
    </TextRegion>
  </Page>
</PcGts>
""")
    (root / "train" / "page" / "p2.xml").write_text(f"""<PcGts xmlns="{PAGE_NS}"><Page imageFilename="gone.png">
      <TextRegion id="r1"><TextLine id="l1">
        <Word id="w1"><Coords points="1,1 5,1 5,5"/><TextEquiv><Unicode>a</Unicode></TextEquiv></Word>
        <Word id="w2"><Coords points="6,1 9,1 9,5"/><TextEquiv><Unicode>b</Unicode></TextEquiv></Word>
      </TextLine></TextRegion></Page></PcGts>""")  # its image is missing: each word counted once
    (root / "test").mkdir()
    (root / "test" / "broken.xml").write_text("<PcGts><Page imageFilename='x.png'><TextLine>")
    (root / "test" / "evil.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
        f'<PcGts xmlns="{PAGE_NS}"><Page imageFilename="x.png">&b;</Page></PcGts>')


# --------------------------------------------------------------------------- DeepWriting


def deepwriting_raw() -> list[tuple[np.ndarray, str, int]]:
    """Absolute (x, y, pen) samples at the scale of the real data (min about (-21, -53))."""
    a = np.array([[1000, 500, 0], [1012, 520, 0], [1040, 510, 1], [1100, 400, 0], [1122, 455, 1]], np.float64)
    b = np.array([[-21, 300, 0], [101, -53, 0], [2087, 627, 1]], np.float64)
    return [(a, "hi", 10094), (b, "x", 10143)]


# What the DeepWriting files list (merging and the validation split append the names again).
DEEPWRITING_STEPS = ["scale", "scale", "origin_translation", "relative_representation",
                     "normalization", "normalization"]


def npz_protocol2(path: Path, **arrays: np.ndarray) -> None:
    """An .npz as numpy wrote it for Python 2: object arrays pickled with protocol 2 (raw bytes
    as ``_codecs.encode(str, 'latin1')``) naming ``numpy.core.multiarray``."""
    import pickle
    import zipfile

    from numpy.lib import format as npf

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, arr in arrays.items():
            buf = io.BytesIO()
            if arr.dtype.hasobject:
                npf.write_array_header_1_0(buf, npf.header_data_from_array_1_0(arr))
                buf.write(pickle.dumps(arr, protocol=2).replace(b"cnumpy._core.multiarray\n",
                                                                b"cnumpy.core.multiarray\n"))
            else:
                npf.write_array(buf, arr, version=(1, 0))
            zf.writestr(f"{key}.npy", buf.getvalue())


def _objects(items) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def make_deepwriting(root: Path) -> dict:
    """Preprocess once per step, in the order data_scripts/preprocessing.py applies them (scale,
    translate to origin, first differences, standardise), store float32 like the release, list
    the steps with repeats."""
    raw = deepwriting_raw()
    samples = [r[0].copy() for r in raw]
    allpts = np.vstack(samples)
    lo, hi = allpts.min(0), allpts.max(0)
    for s in samples:
        s[:, :2] = ((s - lo) / (hi - lo))[:, :2]
        s[:, :2] -= s[0, :2]
    diffs = []
    for s in samples:
        d = np.diff(np.vstack([s[0], s]), axis=0)
        d[:, 2] = s[:, 2]
        diffs.append(d)
    allv = np.vstack(diffs)
    mean, std = allv.mean(0).astype(np.float32), allv.std(0).astype(np.float32)
    std[std < 1e-10] = 1.0
    stored = [(((d - mean) / std) * [1, 1, 0] + d * [0, 0, 1]).astype(np.float32) for d in diffs]
    root.mkdir(parents=True, exist_ok=True)
    npz_protocol2(root / "deepwriting_training.npz", strokes=_objects(stored),
                  texts=np.array([r[1] for r in raw]), subject_labels=np.array([r[2] for r in raw]),
                  preprocessing=np.array(DEEPWRITING_STEPS), mean=mean, std=std, min=lo, max=hi,
                  alphabet=np.array(list("abc")),
                  eoc_labels=_objects([np.zeros(len(d), np.float32) for d in stored]))
    bad = _objects([np.array([[0.0, 0.0, 0.0], [np.nan, 1.0, 1.0]]), np.zeros((3, 2))])
    npz_protocol2(root / "deepwriting_validation.npz", samples=bad, texts=np.array(["nan", "shape"]),
                  subject_labels=np.array([1, 2]), preprocessing=np.array([], dtype=str))
    return {"min": lo, "max": hi, "mean": mean, "std": std, "stored": stored}


# --------------------------------------------------------------------------- IAM-OnDB


def _strokes_xml(strokes) -> str:
    body = []
    for s in strokes:
        pts = "".join(f'<Point x="{x}" y="{y}" time="{t}"/>' for x, y, t in s)
        body.append(f'<Stroke colour="black" start_time="{s[0][2]}" end_time="{s[-1][2]}">{pts}</Stroke>')
    return ('<?xml version="1.0" encoding="ISO-8859-1"?>\n<WhiteboardCaptureSession><WhiteboardDescription>'
            '<SensorLocation corner="top_left"/><DiagonallyOppositeCoords x="6512" y="1376"/>'
            '</WhiteboardDescription><StrokeSet>' + "".join(body) + "</StrokeSet></WhiteboardCaptureSession>")


def _iamondb_form(root: Path, form: str, files: dict[int, str], ascii_text: str | None) -> None:
    """Stroke files lineStrokes/<a01>/<a01-000>/<form>-NN.xml and the form's ascii/.../<form>.txt."""
    sub = Path(form[:3]) / form[:7]
    (root / "lineStrokes" / sub).mkdir(parents=True)
    for k, xml in files.items():
        (root / "lineStrokes" / sub / f"{form}-{k:02d}.xml").write_text(xml)
    if ascii_text is not None:
        (root / "ascii" / sub).mkdir(parents=True)
        (root / "ascii" / sub / f"{form}.txt").write_text(ascii_text)


def make_iamondb(root: Path) -> None:
    _iamondb_form(root, "a01-000u", {1: _strokes_xml([[(1073, 1058, 769.05), (1072, 1085, 769.08)],
                                                      [(1100, 1000, 769.5)]]),
                                     2: _strokes_xml([[(5, 6, 770.0), (7, 8, 770.25)]]),
                                     3: _strokes_xml([[(5, 6, 771.0)]])},
                  "OCR:\n\nA MOVE to stop Mr. Gaitskell from\n\nCSR:\n\n"
                  "A MOVE to stop Mr. Gaitskell from\nnominating any more Labour\n")
    _iamondb_form(root, "b01-000", {1: "<WhiteboardCaptureSession><StrokeSet><Stroke>"}, "CSR:\n\nline\n")
    _iamondb_form(root, "c01-000", {1: _strokes_xml([[(1, 1, 0.0)]])}, None)  # no ascii file
    # a08-551z: one CSR line spans stroke files 02 and 03 ("%%%%%%%%%%%" marks the break)
    _iamondb_form(root, "a08-551z", {k: _strokes_xml([[(k, k, float(k))]]) for k in (1, 2, 3)},
                  "OCR:\n\nThe ankle bone pinned.\n\nCSR:\n\nThe\nankle bone %%%%%%%%%%% pinned.\n")
    # z01-000z: the placeholder CSR; both of its stroke files are skipped
    _iamondb_form(root, "z01-000z", {k: _strokes_xml([[(k, k, float(k))]]) for k in (1, 2)},
                  "CSR:\n\nPlease Enter Transcription here\n")
    (root / "trainset.txt").write_text("a01-000u\na08-551z\n")


# --------------------------------------------------------------------------- VNOnDB


def vnondb_inkml(groups, doc_note: str = "") -> str:
    """HANDS-VNOnDB InkML: un-namespaced <ink>, a document annotationXML, flat traceGroups with
    <annotationXML><Tg_Truth> and their traces inside ("x y,x y,..." with line breaks)."""
    body = [f"<ink>\n<annotationXML><writer>{doc_note}</writer></annotationXML>"]
    for gid, label, strokes in groups:
        truth = "" if label is None else f"<annotationXML><Tg_Truth>{label}</Tg_Truth></annotationXML>"
        traces = "".join(f'<trace id="{gid}_{i}">' + ",\n".join(f"{x} {y}" for x, y in st) + "</trace>"
                         for i, st in enumerate(strokes))
        body.append(f'<traceGroup id="{gid}">{truth}{traces}</traceGroup>')
    return "\n".join(body) + "\n</ink>\n"


VNONDB_WORDS = [("tg_0_0_0", "Vi\u1ec7t", [[(10, 10), (12, 14), (15, 18)], [(20, 10), (22, 12)]]),
                ("tg_0_0_1", "Nam", [[(40, 10), (45, 15)]]),
                ("tg_0_1_0", "\u01a1i", [[(10, 40), (11, 45)]]),
                ("tg_0_1_1", None, [[(30, 40), (31, 45)]]),   # no Tg_Truth: bad record
                ("tg_0_1_2", " ", [[(50, 40), (51, 45)]])]    # empty label: filtered


def make_vnondb(root: Path) -> None:
    doc = "20140603_0003_BCCTC"
    w, ln, pa = root / "InkData_word", root / "InkData_line", root / "InkData_paragraph"
    for d in (w, ln, pa):
        d.mkdir(parents=True)
    (w / f"{doc}.inkml").write_text(vnondb_inkml(VNONDB_WORDS, "writer 3"), encoding="utf-8")
    strokes = [st for _, _, group in VNONDB_WORDS for st in group]
    (ln / f"{doc}.inkml").write_text(vnondb_inkml([("tg_0_0", "Vi\u1ec7t Nam", strokes[:4]),
                                                   ("tg_0_1", "\u01a1i", strokes[4:])]), encoding="utf-8")
    (pa / f"{doc}.inkml").write_text(vnondb_inkml([("tg_0", "Vi\u1ec7t Nam\n\u01a1i", strokes)]),
                                     encoding="utf-8")
    (w / "20151208_0146_7105_1.inkml").write_text(vnondb_inkml([("tg_0_0_0", "\u0111\u1eb9p", [[(1, 2), (3, 4)]])]),
                                                  encoding="utf-8")
    (w / "20151208_0146_7105_2.inkml").write_text(vnondb_inkml([("tg_0_0_0", "x", [[(1, 1)]])]), encoding="utf-8")
    (w / "20160101_0000_broken.inkml").write_text("<ink><traceGroup><trace>1 1")
    split = root / "VNOnDB_ICFHR2018_dataSplit"
    split.mkdir()
    (split / "train_set.txt").write_text(f"{doc}.inkml\n20160101_0000_broken.inkml\n")
    (split / "validation_set.txt").write_text("")
    (split / "test_set.txt").write_text("20151208_0146_7105_1.inkml\n")


# --------------------------------------------------------------------------- SCUT-COUCH2009


def couch_sample(label: bytes, strokes, n_points: int | None = None, times: int = 2) -> bytes:
    """One .dat record: label length + GBK label, point/stroke/time-point counts, time points,
    then per stroke its point count and uint16 (x, y) pairs."""
    pts = sum(len(st) for st in strokes) if n_points is None else n_points
    out = bytes([len(label)]) + label + struct.pack("<HHH", pts, len(strokes), times)
    out += struct.pack(f"<{times}H", *range(times)) + struct.pack(f"<{times}I", *(10 * i for i in range(times)))
    for st in strokes:
        out += struct.pack("<H", len(st)) + b"".join(struct.pack("<HH", x, y) for x, y in st)
    return out


def couch_pair(folder: Path, stem: str, samples: list[bytes], dat_suffix: str = ".dat",
               announce: int | None = None, offsets: list[int] | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    dat, offs = b"", []
    for smp in samples:
        offs.append(len(dat))
        dat += smp
    offs = offsets or offs
    idx = struct.pack("<I", len(offs) if announce is None else announce)
    idx += b"".join(struct.pack("<BIII", 0, 100 + i, i, o) for i, o in enumerate(offs))
    (folder / f"{stem}.idx").write_bytes(idx)
    (folder / f"{stem}{dat_suffix}").write_bytes(dat)


COUCH_GOOD = [("\u554a", [[(10, 20), (11, 21)], [(30, 40)]]), ("\u4e2d\u56fd", [[(1, 2), (3, 4), (5, 6)]])]


def make_scut_couch(root: Path) -> None:
    gb1 = root / "Couch_GB1_188"
    couch_pair(gb1, "GB1_001", [couch_sample(c.encode("gbk"), st) for c, st in COUCH_GOOD]
               + [couch_sample("\u7684".encode("gbk"), [[(1, 1), (2, 2)]], n_points=5),   # point count
                  couch_sample(b"\xff\xff", [[(1, 1)]])])                                 # bad label code
    couch_pair(gb1, "GB1_049", [couch_sample("\u4e86".encode("gbk"), [[(7, 7), (8, 9)]])], dat_suffix=".DAT",
               offsets=[0, 4000])                                                         # 2nd: past the end
    couch_pair(root / "Couch_Digit_195", "Digit_001", [couch_sample(b"7", [[(0, 0), (5, 5)]])], announce=3)
    (root / "Couch_Digit_195" / "Digit_002.idx").write_bytes(struct.pack("<I", 0))     # no .dat


# --------------------------------------------------------------------------- .pot


def pot_sample(char: str | None, strokes, tag: bytes | None = None, n_strokes: int | None = None,
               end: bool = True) -> bytes:
    if tag is None:
        gb = char.encode("gbk")
        gb = gb if len(gb) == 2 else gb + b"\0"
        tag = bytes((gb[1], gb[0])) + b"\0\0"  # low byte first, as CASIA writes it
    pts = b""
    for s in strokes:
        for x, y in s:
            pts += struct.pack("<hh", x, y)
        pts += struct.pack("<hh", -1, 0)
    if end:
        pts += struct.pack("<hh", -1, -1)
    n = len(strokes) if n_strokes is None else n_strokes
    size = 8 + len(pts)
    return struct.pack("<H", size) + tag + struct.pack("<H", n) + pts


POT_GOOD = [("啊", [[(10, 20), (11, 21)], [(30, 40)]]), ("a", [[(1, 2), (3, 4), (5, 6)]])]


def make_pot(root: Path) -> None:
    d = root / "OLHWDB1.1trn_pot"
    d.mkdir(parents=True)
    data = b"".join(pot_sample(c, s) for c, s in POT_GOOD)
    data += pot_sample(None, [[(1, 1)]], tag=b"\xff\xff\x00\x00")          # bad tag
    data += pot_sample("的", [[(1, 1)], [(2, 2)]], n_strokes=5)            # stroke count
    data += pot_sample("的", [[(7, 7)]])                                   # good again
    data += pot_sample("了", [[(1, 1)] * 10])[:20]                          # truncated
    (d / "1001-c.pot").write_bytes(data)
    t = root / "OLHWDB1.1tst_pot"
    t.mkdir()
    (t / "1241-c.pot").write_bytes(pot_sample("中", [[(0, 0), (5, 5)]]))
