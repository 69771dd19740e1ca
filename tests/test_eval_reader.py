"""Tesseract reader, tested for real (skipped with a clear message when not installed)."""

import numpy as np
import pytest

from eval_fixtures import word_ink
from inkrepro.errors import UserError
from inkrepro.evaluate import metrics as M
from inkrepro.evaluate import reader
from inkrepro.ink.core import Ink

needs_tesseract = pytest.mark.skipif(not reader.available(), reason=(
    "Tesseract binary not installed: " + reader.INSTALL_HINT))


def test_render_for_ocr_is_black_on_white():
    img = reader.render_for_ocr(word_ink("hi"))
    assert img.dtype == np.uint8 and img.shape[0] == 48 + 48
    assert img.min() < 50 and np.median(img) == 255
    assert reader.render_for_ocr(Ink()).min() == 255


@needs_tesseract
def test_tesseract_reads_printed_ink():
    words = ["hello", "world", "paper"]
    got = reader.read_inks([word_ink(w) for w in words] + [Ink()])
    assert got[-1] == ""
    assert M.char_f1(got[:-1], words) > 0.8, got


@needs_tesseract
def test_tesseract_reads_a_letterboxed_photo():
    from inkrepro.ink.render import letterbox_image, render

    ink = word_ink("house")
    x0, y0, x1, y1 = ink.bbox
    page = render(ink.translate(-x0 + 15, -y0 + 15), (int(x1 - x0) + 30, int(y1 - y0) + 30), width=3)
    boxed, _ = letterbox_image(page, 224)
    got = reader.read_images([boxed])
    assert M.char_f1(got, ["house"]) > 0.7, got


@needs_tesseract
def test_one_process_per_list_reads_what_one_process_per_image_reads():
    """``_ocr_many`` (one Tesseract over a list of pages) gives each image the text a separate
    Tesseract gives it, including unreadable scribbles and blank pages, in order."""
    rng = np.random.default_rng(0)
    inks = [word_ink(w) for w in ["hello", "world", "minimum", "ink"]]
    inks.append(Ink.from_xy([rng.uniform(0, 224, (40, 2))]))        # a scribble
    inks.append(word_ink("paper").translate(3.0, 5.0).scale(0.7))
    imgs = [reader.render_for_ocr(i) for i in inks] + [np.full((96, 96, 3), 255, np.uint8)]
    one_each = [reader._ocr(im) for im in imgs]
    assert reader._ocr_many(imgs) == one_each
    assert reader._ocr_parallel([imgs[0], None, imgs[1]], threads=2, lang="eng") == [one_each[0], "", one_each[1]]
    assert reader.read_inks(inks + [Ink()], threads=3) == one_each[:-1] + [""]


@needs_tesseract
def test_ocr_list_failure_and_page_mismatch(monkeypatch):
    img = reader.render_for_ocr(word_ink("hi"))
    monkeypatch.setattr(reader.pytesseract.pytesseract, "tesseract_cmd", "false")
    with pytest.raises(UserError, match="tesseract failed .exit 1. on a list of 2 images"):
        reader._ocr_many([img, img])
    monkeypatch.undo()
    # a page count that does not match the images is never guessed at: one process each
    real_run = reader.subprocess.run
    monkeypatch.setattr(reader.subprocess, "run", lambda *a, **k: real_run(
        ["echo", "merged text"], capture_output=True, text=True))
    monkeypatch.setattr(reader, "_ocr", lambda im, *a, **k: "single")
    assert reader._ocr_many([img, img]) == ["single", "single"]


def test_missing_binary_message(monkeypatch):
    monkeypatch.setattr(reader.shutil, "which", lambda name: None)
    reader.version.cache_clear()
    try:
        assert not reader.available()
        with pytest.raises(reader.TesseractMissing, match="apt-get install tesseract-ocr"):
            reader.read_inks([Ink()])
    finally:
        monkeypatch.undo()
        reader.version.cache_clear()
