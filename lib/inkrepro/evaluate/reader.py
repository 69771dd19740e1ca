"""Independent reader: Tesseract OCR (software nobody here wrote) via pytesseract.

``read_inks`` renders each ink (224 frame) black on white at a size Tesseract reads well and
OCRs it as one text line; ``read_images`` OCRs model-input images (used as the OCR engine of
the Derender-with-Text mode, as the paper used an OCR service). When the ``tesseract`` binary
is missing, ``available()`` is False and the calls raise :class:`TesseractMissing` with what
to install; the runner then skips the Tesseract columns and says so.
"""

from __future__ import annotations

import shutil
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
    with ThreadPoolExecutor(max(1, threads)) as ex:
        return list(ex.map(lambda im: "" if im is None else _ocr(im, lang=lang), imgs))


def read_images(images: Sequence[np.ndarray], *, threads: int = 2, lang: str = "eng") -> list[str]:
    """OCR model-input images (letterboxed word crops)."""
    require()
    with ThreadPoolExecutor(max(1, threads)) as ex:
        return list(ex.map(lambda im: _ocr(_prepare_photo(im), lang=lang), images))
