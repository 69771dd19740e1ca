# ruff: noqa: F811  (pytest fixtures imported from model_fixtures)
"""Derender your own handwriting: synthetic pages of our synthetic words at known places with
their ground-truth ink; the round trip letterbox -> tokens -> inverse; rotated boxes; boxes
files; Tesseract on a printed page; batched == one by one on a smoke-trained checkpoint; the
CLI's files; inputs as people have them."""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from inkrepro import cli, infer
from inkrepro.data import images
from inkrepro.derender import boxes, files, page, synthetic
from inkrepro.derender.boxes import WordBox
from inkrepro.errors import UserError
from inkrepro.evaluate import reader
from inkrepro.ink import geometry, inkml, tokens
from inkrepro.ink.core import Ink
from inkrepro.ink.render import render
from model_fixtures import smoke_checkpoint  # noqa: F401

S = 32   # model input size of the fake inference (the smoke profile's)


@pytest.fixture(scope="module")
def spage():
    return synthetic.make_page(8, words_per_line=3, seed=1)


def _oracle(words, inks, mode="vanilla"):
    """An Inference whose 'model' returns each word's ground-truth ink in its 224 frame (found by
    the model input's bytes): what a perfect derenderer would output, quantised by the tokens."""
    table = {hashlib.sha1(w.image.tobytes()).hexdigest(): tokens.to_text(tokens.encode(w.from_page(g)))
             for w, g in zip(words, inks)}
    calls = []

    def fn(images, prompts, allow_text):
        calls.append(len(images))
        out = [table[hashlib.sha1(np.ascontiguousarray(i).tobytes()).hexdigest()] for i in images]
        return [("word " + o) if p.startswith("Recognize") else o for o, p in zip(out, prompts)]

    cfg = SimpleNamespace(data=SimpleNamespace(image_size=S, max_prompt_len=8, max_target_len=16))
    return infer.Inference(cfg, decode_fn=fn, decoding=infer.Decoding(batch_size=4)), calls


def _assert_within_quantisation(placed: Ink, truth: Ink, words, ranges):
    for w, (a, b), g in zip(words, ranges, truth):
        got = Ink(placed.strokes[a:b])
        assert [len(s) for s in got] == [len(s) for s in g]     # tokens keep every point
        # rounding to the 224 grid: half a token per axis, back on the page (rotated or not)
        err = np.linalg.norm(got.points - g.points, axis=1).max()
        assert err <= 0.5 * np.sqrt(2) / w.frame.ratio * 1.01, (err, w.frame.ratio)


def test_known_boxes_round_trip_within_quantisation(spage):
    pg = page.PageImage("synthetic.png", spage.image)
    job = page.plan(pg, S, "vanilla", boxes=spage.boxes)
    assert job.page_mode and len(job.words) == 8
    w0 = job.words[0]
    b = spage.boxes[0]
    # the documented inverse: x_page = (x - dx) / ratio + min_x
    assert w0.to_page(Ink.from_xy([[[112.0, 100.0]]])).points[0, 0] == pytest.approx(
        (112.0 - w0.frame.dx) / w0.frame.ratio + np.floor(b.x0))
    inf, calls = _oracle(job.words, spage.inks)
    res = page.run(inf, [job])[0]
    assert calls == [4, 4]                                      # 8 words, batches of 4
    _assert_within_quantisation(res.ink, spage.inks, job.words, res.ranges)
    assert res.ink.num_strokes == sum(i.num_strokes for i in spage.inks)   # reading order kept
    doc = res.to_json()
    assert [w["line"] for w in doc["words"]] == [0, 0, 0, 1, 1, 1, 2, 2]
    assert doc["words"][0]["box_text"] == spage.boxes[0].text and doc["mode"] == "vanilla_derender"
    # r+d: text out, lines kept in the page text
    job = page.plan(pg, S, "r+d", boxes=spage.boxes)
    res = page.run(_oracle(job.words, spage.inks)[0], [job])[0]
    assert res.text == "word word word\nword word word\nword word"


def test_rotated_boxes_are_cropped_upright_and_placed_back():
    word = synthetic.make_page(1, seed=3).inks[0]
    x0, y0, x1, y1 = word.bbox
    w, h = x1 - x0 + 16, y1 - y0 + 16
    xc, yc, angle = 200.0, 150.0, 30.0          # counterclockwise on screen (IMGUR5K)
    # the word written at 30 degrees counterclockwise on screen about (xc, yc)
    rot = word.translate(xc - (x0 + x1) / 2, yc - (y0 + y1) / 2)
    rot = geometry.rotate(rot, angle, (xc, yc))
    img = render(rot, (400, 300), width=3.0)
    box = WordBox.rotated(xc, yc, w, h, angle, text="w")
    words, notes = page.prepare(img, [box], S)
    assert not notes
    upright = words[0].from_page(rot)
    ux0, uy0, ux1, uy1 = upright.bbox
    assert ux1 - ux0 > 1.5 * (uy1 - uy0)                        # the crop is the upright word
    # the ink pixels of the model input lie under the upright ink
    m = infer.letterbox(page.crop(img, box, "t")[0], 224).image.min(axis=2) < 128
    assert m[np.clip(np.rint(upright.points[:, 1]).astype(int), 0, 223),
             np.clip(np.rint(upright.points[:, 0]).astype(int), 0, 223)].mean() > 0.6
    inf, _ = _oracle(words, [rot])
    job = page.Job(page.PageImage("r.png", img), True, words, [""], "vanilla_derender")
    res = page.run(inf, [job])[0]
    _assert_within_quantisation(res.ink, [rot], words, res.ranges)


def test_boxes_files_json_pagexml_expansion_and_errors(tmp_path):
    j = tmp_path / "b.json"
    j.write_text(json.dumps({"words": [{"box": [10, 20, 50, 40], "text": "a", "line": 0},
                                       {"polygon": [[60, 20], [90, 22], [88, 45]], "line": 1},
                                       {"rbox": [100, 100, 40, 20, 15]}]}))
    bs = boxes.read_boxes(j)
    assert bs[0] == WordBox(10, 20, 50, 40, text="a") and bs[1].x1 == 90 and bs[1].line == 1
    assert bs[2].angle == 15 and bs[2].center == (100, 100) and bs[2].width == 40
    ex = boxes.expand(bs[:1], 0.1, 52, 100)
    assert (ex[0].x0, ex[0].y0, ex[0].x1, ex[0].y1) == (6, 18, 52, 42)    # clipped at the page
    x = tmp_path / "p.xml"
    x.write_text('<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15">'
                 '<Page imageFilename="p.png"><TextRegion><TextLine id="l1">'
                 '<Coords points="0,0 100,0 100,30 0,30"/>'
                 '<Word id="w1"><Coords points="1,2 40,2 40,28 1,28"/><TextEquiv><Unicode>Hi</Unicode></TextEquiv></Word>'
                 '<Word id="w2"><Coords points="50,2 90,2 90,28"/></Word></TextLine>'
                 '<TextLine id="l2"><Coords points="0,40 80,40 80,70 0,70"/></TextLine>'
                 '</TextRegion></Page></PcGts>')
    px = boxes.read_boxes(x)
    assert [(b.x0, b.y0, b.x1, b.y1, b.text, b.line) for b in px] == [
        (1, 2, 40, 28, "Hi", 0), (50, 2, 90, 28, "", 0), (0, 40, 80, 70, "", 1)]
    j.write_text(json.dumps([{"box": [1, 2, 3]}]))
    with pytest.raises(UserError, match=r"b.json \[word 0\]: malformed box"):
        boxes.read_boxes(j)
    j.write_text("not json")
    with pytest.raises(UserError, match="not JSON or PAGE-XML"):
        boxes.read_boxes(j)
    img = np.full((50, 60, 3), 255, np.uint8)
    words, notes = page.prepare(img, [WordBox(100, 100, 120, 120)], S, "x.png")
    assert words == [] and "box outside image" in notes[0]


@pytest.mark.skipif(not reader.available(), reason="Tesseract is not installed: "
                    f"the box detection test needs it; {reader.INSTALL_HINT}")
def test_tesseract_finds_the_words_of_a_printed_page():
    from eval_fixtures import word_ink

    texts = ["Hello", "world", "quick", "brown", "foxes", "jump"]
    inks, truth = [], []
    for k, t in enumerate(texts):
        ink = word_ink(t, height=30.0)
        x0, y0, _, _ = ink.bbox
        ink = ink.translate(60 + (k % 3) * 220 - x0, 60 + (k // 3) * 90 - y0)
        inks.append(ink)
        truth.append(ink.bbox)
    img = render(Ink(tuple(s for i in inks for s in i.strokes)), (760, 260), width=3.0)
    found = boxes.detect(img)
    assert all(b.text for b in found) and all(0 <= b.conf <= 100 for b in found)
    hit = 0
    for tb in truth:
        ious = [_iou(tb, (b.x0, b.y0, b.x1, b.y1)) for b in found]
        hit += max(ious, default=0) > 0.5
    assert hit >= 5, found
    assert len({b.line for b in found}) == 2                  # two lines, in reading order
    job = page.plan(page.PageImage("printed.png", img), S, "vanilla")   # automatic: a page
    assert job.page_mode and len(job.words) >= 5
    # derender with text, no text given: Tesseract reads the word's crop
    one = img[40:110, 40:230]
    job = page.plan(page.PageImage("hello.png", one), S, "d+t", page_mode=False)
    assert job.texts[0].lower().startswith("hell"), job.texts


def _iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_batched_decoding_equals_one_by_one(smoke_checkpoint, spage):
    inf = infer.Inference.load(smoke_checkpoint)
    words, _ = page.prepare(spage.image, spage.boxes[:5], inf.image_size)
    batched = page.decode(inf, words, "vanilla", batch_size=8)
    single = page.decode(inf, words, "vanilla", batch_size=1)
    assert [o.output for o in batched] == [o.output for o in single]
    assert all(o.ink.num_strokes >= 1 for o in batched)
    assert page.batch_size_for(5, 16) == 8 and page.batch_size_for(1, 16) == 1
    assert page.batch_size_for(100, 16) == 16


def test_cli_writes_every_file_and_skips_bad_inputs(smoke_checkpoint, spage, tmp_path, capsys):
    pg = tmp_path / "page.png"
    Image.fromarray(spage.image).save(pg)
    b = spage.boxes[0]
    word = tmp_path / "word.webp"
    Image.fromarray(spage.image[int(b.y0):int(b.y1), int(b.x0):int(b.x1)]).save(word, lossless=True)
    rgba = tmp_path / "rgba.png"
    a = np.zeros((40, 90, 4), np.uint8)
    a[15:25, 10:80, 3] = 255                      # black ink on a transparent background
    Image.fromarray(a, "RGBA").save(rgba)
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    bj = tmp_path / "boxes.json"
    bj.write_text(json.dumps([w.to_json() for w in spage.boxes]))
    out = tmp_path / "out"
    args = ["derender", str(word), str(bad), str(rgba), "--checkpoint", str(smoke_checkpoint),
            "--out", str(out), "--word", "--no-progress", "--release-inkml"]
    assert cli.main(args) == 1                    # one input skipped, named
    err = capsys.readouterr().out
    assert "broken.jpg: unreadable image" in err and "2 written" in err
    for stem in ("word", "rgba"):
        for ext in ("inkml", "inksight.inkml", "svg", "png", "gif", "json"):
            assert (out / f"{stem}.{ext}").stat().st_size > 0, (stem, ext)
    doc = json.loads((out / "word.json").read_text())
    assert doc["page_mode"] is False and doc["mode"] == "recognize_and_derender"
    assert len(doc["words"]) == 1 and doc["words"][0]["box"] == [0, 0, *doc["size"]]
    assert set(doc["timings_s"]) >= {"load", "detect", "decode", "place", "write"}
    rel = inkml.read_inkml(out / "word.inksight.inkml")
    assert rel.annotations["inferenceMode"] == "Recognize and Derender"
    # a page with a boxes file (page pixels), all words decoded together
    assert cli.main(["derender", str(pg), "--boxes", str(bj), "--mode", "vanilla",
                     "--checkpoint", str(smoke_checkpoint), "--out", str(out), "--no-progress"]) == 0
    doc = json.loads((out / "page.json").read_text())
    assert doc["page_mode"] and len(doc["words"]) == 8
    assert doc["words"][3]["box"] == [round(v, 2) for v in (spage.boxes[3].x0, spage.boxes[3].y0,
                                                            spage.boxes[3].x1, spage.boxes[3].y1)]
    d = inkml.read_inkml(out / "page.inkml")
    assert len(d.ink) == doc["strokes"] and [g.annotations["type"] for g in d.groups] == ["line"] * 3
    assert [len(g.groups) for g in d.groups] == [3, 3, 2]
    x0, y0, x1, y1 = d.ink.bbox                    # page pixels, not the 224 frame
    assert x1 > 224 or y1 > 224 or x0 > 0
    with Image.open(out / "page.gif") as g:
        assert g.n_frames > 5
    assert Image.open(out / "page.png").size == Image.open(pg).size
    # only bad inputs: an error, nothing quietly written
    assert cli.main(["derender", str(bad), "--checkpoint", str(smoke_checkpoint),
                     "--out", str(tmp_path / "none"), "--no-progress"]) == 2
    assert "nothing derendered" in capsys.readouterr().err


def test_no_words_found_and_large_images(monkeypatch, tmp_path):
    blank = page.PageImage("blank.png", np.full((1500, 1200, 3), 255, np.uint8))
    monkeypatch.setattr(reader, "available", lambda: True)
    monkeypatch.setattr(boxes, "detect", lambda img, lang="eng": [])
    with pytest.raises(UserError, match="blank.png: no words found"):
        page.plan(blank, S, "vanilla")
    small = page.PageImage("w.png", np.full((60, 200, 3), 255, np.uint8))
    assert page.plan(small, S, "vanilla").page_mode is False      # a word: the whole image
    monkeypatch.setattr(reader, "available", lambda: False)
    with pytest.raises(UserError, match="needs Tesseract"):
        page.plan(blank, S, "vanilla")
    with pytest.raises(UserError, match="derender with text needs each word's text"):
        page.plan(small, S, "d+t", page_mode=False)
    assert page.plan(small, S, "d+t", page_mode=False, text="hi").texts == ["hi"]
    # large images come down with a note; boxes and ink are given in the original pixels
    p = tmp_path / "big.png"
    Image.fromarray(np.full((300, 500, 3), 255, np.uint8)).save(p)
    t16 = tmp_path / "scan16.tif"                  # 16-bit grey scan
    Image.fromarray(np.full((20, 60), 40000, np.uint16)).save(t16)
    g = page.load(t16).image
    assert g.shape == (20, 60, 3) and g.dtype == np.uint8 and g.max() == round(40000 / 257)
    jpg = tmp_path / "phone.jpg"                  # EXIF orientation 6: shown rotated 90 degrees
    ex = Image.Exif()
    ex[0x0112] = 6
    Image.fromarray(np.full((20, 60, 3), 200, np.uint8)).save(jpg, exif=ex)
    assert page.load(jpg).image.shape == (60, 20, 3)
    with pytest.raises(images.ImageError, match="big.png: image too large"):
        page.load(p, name="big.png", max_pixels=300 * 500 - 1)          # bombs: refused
    big = page.load(p, max_side=250)
    assert big.image.shape[:2] == (150, 250) and big.scale == 0.5 and "downscaled" in big.notes[0]
    job = page.plan(big, S, "vanilla", boxes=[WordBox(100, 100, 300, 200, text="x")])
    assert (job.words[0].box.x0, job.words[0].box.x1) == (50, 150)
    inf = infer.Inference(SimpleNamespace(data=SimpleNamespace(image_size=S)),
                          decode_fn=lambda i, p, a: [tokens.to_text([450, 112, 112 + 225])] * len(i))
    res = page.run(inf, [job])[0]
    assert res.to_json()["words"][0]["box"] == [100, 100, 300, 200]
    assert res.ink.points[0] == pytest.approx([200, 150], abs=1.5)   # the box centre, original px
    assert files.write(res, tmp_path / "o")["png"].exists()


def test_notebook_runs_on_a_synthetic_page(smoke_checkpoint, tmp_path):
    import nbformat

    from inkrepro.experiments import sweep

    out = tmp_path / "derender.ipynb"
    sweep.execute_notebook("derender", out, {"image": "", "checkpoint": str(smoke_checkpoint),
                                             "mode": "r+d", "out": str(tmp_path / "files")})
    nb = nbformat.read(str(out), as_version=4)
    shown = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})
             or "image/gif" in o.get("data", {})]
    assert len(shown) == 3                     # the boxes, the overlay, the animation
    doc = json.loads((tmp_path / "files" / "synthetic_page.json").read_text())
    assert doc["page_mode"] and len(doc["words"]) == 12
