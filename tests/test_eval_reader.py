"""Tesseract reader, tested for real (skipped with a clear message when not installed)."""

import numpy as np
import pytest

from eval_fixtures import word_ink
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
