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
    root.mkdir(parents=True, exist_ok=True)
    png(root / "train2011/w1.png", 30, 12)
    png(root / "train2011/w2.png", 20, 12)
    png(root / "test2011/t1.png", 10, 10)
    lines = [b"train2011/w1.png Madame", "train2011/w2.png \u00e9l\u00e8ve".encode("latin-1"),
             b"train2011/w3.png absent", b"onlyonefield", b"", b"train2011/w1.png deux mots"]
    (root / "groundtruth_training_icdar2011.txt").write_bytes(b"\r\n".join(lines) + b"\r\n")
    (root / "ground_truth_test_icdar2011.txt").write_text("test2011/t1.png Objet\n", encoding="utf-8")


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
    (root / "test").mkdir()
    (root / "test" / "broken.xml").write_text("<PcGts><Page imageFilename='x.png'><TextLine>")
    (root / "test" / "evil.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
        f'<PcGts xmlns="{PAGE_NS}"><Page imageFilename="x.png">&b;</Page></PcGts>')


# --------------------------------------------------------------------------- DeepWriting


def deepwriting_raw() -> list[tuple[np.ndarray, str, int]]:
    a = np.array([[10, 50, 0], [12, 52, 0], [15, 51, 1], [20, 40, 0], [22, 45, 1]], np.float64)
    b = np.array([[100, 300, 0], [101, 310, 0], [108, 305, 1]], np.float64)
    return [(a, "hi", 7), (b, "x", 9)]


def make_deepwriting(root: Path) -> dict:
    """Preprocess like the DeepWriting scripts: scale, translate, diff, standardise."""
    raw = deepwriting_raw()
    samples = [r[0].copy() for r in raw]
    allpts = np.vstack(samples)
    lo, hi = allpts.min(0), allpts.max(0)
    for s in samples:
        s[:, :2] = ((s - lo) / (hi - lo))[:, :2]
    for s in samples:
        s[:, :2] -= s[0, :2]
    diffs = []
    for s in samples:
        d = np.diff(np.vstack([s[0], s]), axis=0)
        d[:, 2] = s[:, 2]
        diffs.append(d)
    allv = np.vstack(diffs)
    mean, std = allv.mean(0), allv.std(0)
    std[std < 1e-10] = 1.0
    for d in diffs:
        d[:, :2] = ((d - mean) / std)[:, :2]
    root.mkdir(parents=True, exist_ok=True)
    obj = np.empty(len(diffs), dtype=object)
    obj[:] = diffs
    np.savez_compressed(root / "deepwriting_training.npz", samples=obj,
                        texts=np.array([r[1] for r in raw]), subject_labels=np.array([r[2] for r in raw]),
                        preprocessing=np.array(["scale", "origin_translation", "relative_representation",
                                                "normalization"]),
                        mean=mean, std=std, min=lo, max=hi, alphabet=np.array(list("abc")))
    bad = np.empty(2, dtype=object)
    bad[:] = [np.array([[0.0, 0.0, 0.0], [np.nan, 1.0, 1.0]]), np.zeros((3, 2))]
    np.savez(root / "deepwriting_validation.npz", samples=bad, texts=np.array(["nan", "shape"]),
             subject_labels=np.array([1, 2]), preprocessing=np.array([], dtype=str))
    return {"min": lo}


# --------------------------------------------------------------------------- IAM-OnDB


def _strokes_xml(strokes) -> str:
    body = []
    for s in strokes:
        pts = "".join(f'<Point x="{x}" y="{y}" time="{t}"/>' for x, y, t in s)
        body.append(f'<Stroke colour="black" start_time="{s[0][2]}" end_time="{s[-1][2]}">{pts}</Stroke>')
    return ('<?xml version="1.0" encoding="ISO-8859-1"?>\n<WhiteboardCaptureSession><WhiteboardDescription>'
            '<SensorLocation corner="top_left"/><DiagonallyOppositeCoords x="6512" y="1376"/>'
            '</WhiteboardDescription><StrokeSet>' + "".join(body) + "</StrokeSet></WhiteboardCaptureSession>")


def make_iamondb(root: Path) -> None:
    ls = root / "lineStrokes" / "a01" / "a01-000"
    ls.mkdir(parents=True)
    (ls / "a01-000u-01.xml").write_text(_strokes_xml([[(1073, 1058, 769.05), (1072, 1085, 769.08)],
                                                       [(1100, 1000, 769.5)]]))
    (ls / "a01-000u-02.xml").write_text(_strokes_xml([[(5, 6, 770.0), (7, 8, 770.25)]]))
    (ls / "a01-000u-03.xml").write_text(_strokes_xml([[(5, 6, 771.0)]]))
    asc = root / "ascii" / "a01" / "a01-000"
    asc.mkdir(parents=True)
    (asc / "a01-000u.txt").write_text("OCR:\n\nA MOVE to stop Mr. Gaitskell from\n\nCSR:\n\n"
                                      "A MOVE to stop Mr. Gaitskell from\nnominating any more Labour\n")
    lb = root / "lineStrokes" / "b01" / "b01-000"
    lb.mkdir(parents=True)
    (lb / "b01-000-01.xml").write_text("<WhiteboardCaptureSession><StrokeSet><Stroke>")
    ab = root / "ascii" / "b01" / "b01-000"
    ab.mkdir(parents=True)
    (ab / "b01-000.txt").write_text("CSR:\n\nline\n")
    lc = root / "lineStrokes" / "c01" / "c01-000"
    lc.mkdir(parents=True)
    (lc / "c01-000-01.xml").write_text(_strokes_xml([[(1, 1, 0.0)]]))
    (root / "trainset.txt").write_text("a01-000u\n")


# --------------------------------------------------------------------------- VNOnDB


def make_vnondb(root: Path) -> None:
    d = root / "train"
    d.mkdir(parents=True)
    traces = {"0": "10 10, 12 14, 15 18", "1": "20 10, 22 12", "2": "40 10, 45 15", "3": "10 40, 11 45"}
    tr = "".join(f'<trace id="{k}">{v}</trace>' for k, v in traces.items())
    (d / "20140603_0003_BCCTC.inkml").write_text(f"""<?xml version="1.0" encoding="utf-8"?>
<ink xmlns="http://www.w3.org/2003/InkML">{tr}
<traceGroup><annotation type="truth">Việt Nam ơi</annotation>
  <traceGroup><annotation type="truth">Việt Nam</annotation>
    <traceGroup><annotation type="truth">Việt</annotation><traceView traceDataRef="0"/><traceView traceDataRef="1"/></traceGroup>
    <traceGroup><annotation type="truth">Nam</annotation><traceView traceDataRef="2"/></traceGroup>
  </traceGroup>
  <traceGroup><annotation type="truth">ơi</annotation>
    <traceGroup><annotation type="truth">ơi</annotation><traceView traceDataRef="3"/></traceGroup>
  </traceGroup>
</traceGroup></ink>""", encoding="utf-8")
    (d / "badref.inkml").write_text("""<ink xmlns="http://www.w3.org/2003/InkML"><trace id="0">1 1, 2 2</trace>
<traceGroup><traceGroup><annotation type="truth">a</annotation><traceView traceDataRef="9"/></traceGroup></traceGroup></ink>""")
    (d / "malformed.inkml").write_text("<ink><trace>1 1")
    t = root / "test"
    t.mkdir()
    (t / "word_0001.inkml").write_text("""<ink xmlns="http://www.w3.org/2003/InkML">
<annotation type="truth">đẹp</annotation><trace id="t0">1 2, 3 4</trace><trace id="t1">5 6</trace></ink>""",
                                       encoding="utf-8")


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
