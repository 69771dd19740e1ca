"""Independent reader: Tesseract OCR (software nobody here wrote) via pytesseract.

``read_inks`` renders each ink (224 frame) black on white at a size Tesseract reads well and
OCRs it as one text line; ``read_images`` OCRs model-input images (used as the OCR engine of
the Derender-with-Text mode, as the paper used an OCR service). Both hand Tesseract a list of
images per process (``_ocr_many``): starting the binary and loading its model cost ~0.25 s,
far more than reading one word (that was 4 of the main model's 6 evaluation minutes). When
the ``tesseract`` binary is missing, ``available()`` is False and the calls raise
:class:`TesseractMissing` with what to install; the runner then skips the Tesseract columns
and says so.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np
import pytesseract
from PIL import Image

from inkrepro.errors import UserError
from inkrepro.evaluate.metrics import content_box, is_valid
from inkrepro.ink.core import Ink
from inkrepro.ink.render import render

TESSERACT_CONFIG = "--psm 7"   # one text line (word crops)
INSTALL_HINT = ("install the Tesseract binary (Debian/Ubuntu: `apt-get install tesseract-ocr "
                "tesseract-ocr-eng`; conda: `conda install -c conda-forge tesseract`)")


class TesseractMissing(UserError):
    pass


@lru_cache(maxsize=1)
def version() -> str | None:
    """The Tesseract version, or None when the binary is not installed."""
    if shutil.which("tesseract") is None:
        return None
    try:
        return str(pytesseract.get_tesseract_version())
    except Exception:  # noqa: BLE001 - a broken install counts as missing
        return None


def available() -> bool:
    return version() is not None


def require() -> str:
    v = version()
    if v is None:
        raise TesseractMissing(f"Tesseract is not installed, so the independent reader is skipped; {INSTALL_HINT}")
    return v


def render_for_ocr(ink: Ink, text_height: int = 48, pad: int = 24, width: float = 3.0) -> np.ndarray:
    """Ink -> HxWx3 uint8, black on white, its bbox scaled to ``text_height`` px high (long
    inks are capped at 1600 px wide)."""
    ink = ink.cleaned().without_time()
    if ink.is_empty:
        return np.full((text_height + 2 * pad, text_height + 2 * pad, 3), 255, np.uint8)
    xmin, ymin, xmax, ymax = ink.bbox
    w, h = max(xmax - xmin, 1.0), max(ymax - ymin, 1.0)
    k = min(text_height / h, 1600 / w)
    out = ink.translate(-xmin, -ymin).scale(k).translate(pad, pad)
    return render(out, (int(w * k) + 2 * pad, int(h * k) + 2 * pad), width=width)


def _ocr(img: np.ndarray, config: str = TESSERACT_CONFIG, lang: str = "eng") -> str:
    txt = pytesseract.image_to_string(Image.fromarray(img), lang=lang, config=config)
    return " ".join(txt.split())


def _ocr_many(imgs: Sequence[np.ndarray], config: str = TESSERACT_CONFIG, lang: str = "eng") -> list[str]:
    """One Tesseract process reads a list of images as the pages of one document; its page
    separator (form feed) splits the text back. The pixels and settings are those of ``_ocr``
    (the LSTM engine keeps no state between pages: tests/test_eval_reader.py checks equality)."""
    if not imgs:
        return []
    with tempfile.TemporaryDirectory(prefix="inkrepro-ocr-") as d:
        paths = []
        for i, im in enumerate(imgs):
            paths.append(os.path.join(d, f"{i:06d}.png"))
            Image.fromarray(im).save(paths[-1], compress_level=1)
        listing = os.path.join(d, "pages.txt")
        with open(listing, "w") as f:
            f.write("\n".join(paths) + "\n")
        cmd = [pytesseract.pytesseract.tesseract_cmd, listing, "stdout", "-l", lang, *shlex.split(config)]
        r = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", errors="replace")
    if r.returncode != 0:
        raise UserError(f"tesseract failed (exit {r.returncode}) on a list of {len(imgs)} images: "
                        f"{(r.stderr.strip().splitlines() or ['no message'])[-1]}")
    pages = r.stdout.split("\f")
    if len(pages) == len(imgs) + 1 and not pages[-1].strip():
        pages = pages[:-1]                     # a separator after the last page too
    if len(pages) != len(imgs):                # never guess which text belongs to which image
        return [_ocr(im, config, lang) for im in imgs]
    return [" ".join(p.split()) for p in pages]


def _ocr_parallel(imgs: Sequence[np.ndarray | None], threads: int, lang: str) -> list[str]:
    """``_ocr_many`` over ``threads`` interleaved shares of the images at once (similar sizes
    in each); None reads as ""."""
    idx = [i for i, im in enumerate(imgs) if im is not None]
    k = max(1, min(threads, len(idx)))
    chunks = [idx[j::k] for j in range(k)]
    out = [""] * len(imgs)
    with ThreadPoolExecutor(k) as ex:
        for chunk, texts in zip(chunks, ex.map(lambda c: _ocr_many([imgs[i] for i in c], lang=lang), chunks)):
            for i, t in zip(chunk, texts):
                out[i] = t
    return out


def _prepare_photo(image: np.ndarray) -> np.ndarray:
    """Crop the letterbox content, grey, upscale small crops (Tesseract likes ~30 px letters)."""
    t, b, x0, x1 = content_box(image)
    crop = np.asarray(image)[t:b, x0:x1]
    pil = Image.fromarray(crop).convert("L")
    if pil.height < 96:
        k = 96 / max(pil.height, 1)
        pil = pil.resize((max(1, int(pil.width * k)), 96), Image.BICUBIC)
    return np.asarray(pil.convert("RGB"))


def read_inks(inks: Sequence[Ink], *, threads: int = 2, lang: str = "eng") -> list[str]:
    """OCR each ink's rendering; invalid inks (empty or out of bounds) read as ""."""
    require()
    imgs = [render_for_ocr(ink) if is_valid(ink.cleaned()) else None for ink in inks]
    return _ocr_parallel(imgs, threads, lang)


def read_images(images: Sequence[np.ndarray], *, threads: int = 2, lang: str = "eng") -> list[str]:
    """OCR model-input images (letterboxed word crops)."""
    require()
    return _ocr_parallel([_prepare_photo(im) for im in images], threads, lang)
