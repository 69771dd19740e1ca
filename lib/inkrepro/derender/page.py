"""The page pipeline: a photo -> word boxes -> model inputs -> batched decoding -> page ink.

    page = load("photo.jpg")
    job = plan(page, inf.image_size, "r+d")                  # word or page mode, boxes, crops
    res = run(inf, [job])[0]                                 # all words decoded in batches
    res.ink                                                  # one Ink in the photo's pixels

Each word is cropped (an axis-aligned box exactly on whole pixels; a rotated box as its upright
rectangle), letterboxed into the model frame (``infer.letterbox``: the released contract) and
decoded through ``inkrepro.infer`` (the one decoding path); its ink goes back to the page by the
inverse letterbox transform, ``x_page = (x - dx) / ratio + min_x`` (same for y), then the crop's
map onto the page (a translation, or the rotation of a rotated box). The page ink holds the
words' strokes in reading order; ``Result.words`` keeps each word's stroke range and line.

**Word or page.** ``page_mode=True`` (``--page``) or boxes given: page; ``False`` (``--word``):
the whole image is one word; ``None`` (automatic, OUR CHOICE of rule): Tesseract's words decide;
page when it finds two or more, or one on a wide (aspect > ``WIDE``) or large (longer side >
``LARGE`` px) image; a large or wide image with no word found is an error (no quiet empty
result); otherwise the image is one word (Tesseract often finds nothing in a word of
handwriting). Without Tesseract, large or wide images need ``--boxes`` or ``--word``.

**Batches.** All words of all inputs go through the model ``batch_size`` at a time, the batch
size rounded down to the power of two that the word count needs (one compiled program per
size), so one word is not padded to sixteen.

**Large images** are downscaled to ``MAX_SIDE`` px on the longer side (OUR CHOICE; a note says
so); the page ink and the boxes are given in the original image's pixels.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from inkrepro import infer
from inkrepro.data import images
from inkrepro.data.readers import _base
from inkrepro.derender import boxes as boxes_mod
from inkrepro.derender.boxes import WordBox
from inkrepro.errors import BadRecord, UserError
from inkrepro.evaluate import reader
from inkrepro.ink import geometry
from inkrepro.ink.core import Ink
from inkrepro.ink.geometry import FrameTransform

MAX_SIDE = 4096     # longer side of the image the pipeline works on (OUR CHOICE)
WIDE = 8.0          # width / height above which an image is a line or page (OUR CHOICE)
LARGE = 1024        # longer side (px) above which an image is a page (OUR CHOICE)


@dataclass
class PageImage:
    name: str
    image: np.ndarray                 # HxWx3 uint8, possibly downscaled
    scale: float = 1.0                # image = original * scale
    notes: list[str] = field(default_factory=list)

    @property
    def original_size(self) -> tuple[int, int]:
        h, w = self.image.shape[:2]
        return round(w / self.scale), round(h / self.scale)


@dataclass(frozen=True)
class Word:
    box: WordBox                      # page pixels of ``PageImage.image``
    image: np.ndarray                 # SxSx3 model input
    frame: FrameTransform             # crop pixels -> the 224 token frame
    crop_to_page: np.ndarray          # 2x3 affine: crop pixels -> page pixels

    def to_page(self, ink_224: Ink) -> Ink:
        return self.frame.inverse(ink_224).affine(self.crop_to_page)

    def from_page(self, ink_page: Ink) -> Ink:
        return self.frame.forward(ink_page.affine(geometry.invert(self.crop_to_page)))


@dataclass
class Job:
    """One input, planned: its words ready for the model."""

    page: PageImage
    page_mode: bool
    words: list[Word]
    texts: list[str]                  # per word: the text for derender-with-text ("" otherwise)
    mode: str
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Result:
    job: Job
    outputs: list[infer.ModeOutput]
    ink: Ink                          # the page ink, original image pixels, reading order
    ranges: list[tuple[int, int]]     # per word: its strokes [a, b) in ``ink``

    @property
    def text(self) -> str:
        """The words' text (recognised, given or detected), lines on their own line."""
        lines: dict[int, list[str]] = {}
        for w, t in zip(self.job.words, self.word_texts):
            if t:
                lines.setdefault(w.box.line, []).append(t)
        return "\n".join(" ".join(v) for _, v in sorted(lines.items()))

    @property
    def word_texts(self) -> list[str]:
        return [o.text_out or o.text_in or w.box.text for w, o in zip(self.job.words, self.outputs)]

    def to_json(self) -> dict:
        k = 1 / self.job.page.scale
        return {
            "input": self.job.page.name, "size": list(self.job.page.original_size),
            "mode": self.job.mode, "page_mode": self.job.page_mode, "text": self.text,
            "strokes": self.ink.num_strokes, "notes": self.job.page.notes,
            "timings_s": {n: round(v, 4) for n, v in self.job.timings.items()},
            "words": [{**w.box.scaled(k).to_json(), "text": t,
                       "mode": "vanilla_derender" if o.fallback else o.mode,
                       "fallback": o.fallback, "text_in": o.text_in, "text_out": o.text_out,
                       "strokes": list(r)}
                      for w, o, t, r in zip(self.job.words, self.outputs, self.word_texts,
                                            self.ranges)]}


# --------------------------------------------------------------------------- input

def load(src: str | Path | bytes, name: str | None = None, max_side: int = MAX_SIDE,
         max_pixels: int | None = images.DEFAULT_MAX_PIXELS) -> PageImage:
    """A user's image through the one image loader (EXIF, 16-bit, alpha; more than
    ``max_pixels`` refused before decoding: bombs), the longer side brought down to
    ``max_side`` with a note."""
    img = images.load_image(src, name=name, max_pixels=max_pixels)
    name = name or (Path(src).name if not isinstance(src, bytes | bytearray) else "image")
    h, w = img.shape[:2]
    if max(h, w) <= max_side:
        return PageImage(name, img)
    k = max_side / max(h, w)
    small = Image.fromarray(img).resize((max(1, round(w * k)), max(1, round(h * k))),
                                        Image.Resampling.LANCZOS)
    return PageImage(name, np.asarray(small), k,
                     [f"downscaled from {w}x{h} by {k:.4f} (longer side > {max_side} px); "
                      "ink and boxes are given in the original pixels"])


# --------------------------------------------------------------------------- words

def crop(image: np.ndarray, box: WordBox, where: str) -> tuple[np.ndarray, np.ndarray]:
    """(crop, 2x3 crop -> page map) of one box. Axis-aligned: the whole pixels covering it."""
    if box.angle:
        xc, yc = box.center
        # IMGUR5K counterclockwise -> crop_rotated's OpenCV (clockwise on screen) convention
        c = _base.crop_rotated(image, xc, yc, box.width, box.height, -box.angle, where)
        return c, _base.rotated_crop_affine(xc, yc, box.width, box.height, -box.angle)[2]
    h, w = image.shape[:2]
    a, b = max(0, int(np.floor(box.x0))), max(0, int(np.floor(box.y0)))
    c, d = min(w, int(np.ceil(box.x1))), min(h, int(np.ceil(box.y1)))
    return _base.crop_box(image, a, b, c, d, where), geometry.translation(a, b)


def prepare(image: np.ndarray, boxes: list[WordBox], image_size: int, name: str = "image"
            ) -> tuple[list[Word], list[str]]:
    """Model inputs of the boxes; a box off the page or degenerate is skipped with a note."""
    words, notes = [], []
    for i, b in enumerate(boxes):
        where = f"{name} [word {i}]"
        try:
            c, m = crop(image, b, where)
        except BadRecord as e:
            notes.append(f"skipped {e}")
            continue
        lb = infer.letterbox(c, image_size)
        words.append(Word(b, lb.image, lb.transform, m))
    return words, notes


def _is_large(image: np.ndarray) -> bool:
    h, w = image.shape[:2]
    return w > WIDE * h or max(h, w) > LARGE


def plan(page: PageImage, image_size: int, mode: str = "r+d", *,
         boxes: list[WordBox] | None = None, page_mode: bool | None = None, expand: float = 0.0,
         text: str = "", lang: str = "eng") -> Job:
    """Word or page mode (module docstring), the word boxes and the model inputs of ``page``.
    ``boxes``: given in the original image's pixels. ``text``: the word's text for
    derender-with-text in word mode."""
    mode = infer.canonical(mode)
    img, t0 = page.image, time.perf_counter()
    h, w = img.shape[:2]
    found: list[WordBox] | None = None
    if boxes is not None:
        found, page_mode = [b.scaled(page.scale) for b in boxes], True
    elif page_mode is not False and reader.available():
        found = boxes_mod.detect(img, lang=lang)
    elif page_mode is not False and (page_mode or _is_large(img)):
        raise UserError(f"{page.name}: finding words on a page needs Tesseract ({reader.INSTALL_HINT}), "
                        "or pass --boxes FILE, or --word to derender the whole image as one word")
    if page_mode is None:
        page_mode = bool(found) and (len(found) >= 2 or _is_large(img))
        if not found and _is_large(img):
            raise UserError(f"{page.name}: no words found on this {w}x{h} image; pass --boxes FILE, "
                            "or --word to derender the whole image as one word")
    detect_s = time.perf_counter() - t0
    if page_mode:
        if not found:
            raise UserError(f"{page.name}: no words found" + (" in the boxes file" if boxes is not None
                            else " by Tesseract") + "; pass --boxes FILE or --word")
        found = boxes_mod.expand(found, expand, w, h)
    else:
        found = [WordBox(0.0, 0.0, float(w), float(h), text=text or
                         (" ".join(b.text for b in found) if found else ""))]
    t1 = time.perf_counter()
    words, notes = prepare(img, found, image_size, page.name)
    page.notes.extend(notes)
    if not words:
        raise UserError(f"{page.name}: none of the {len(found)} word boxes lies on the image")
    texts = [""] * len(words)
    if mode == "derender_with_text":
        texts = [wd.box.text for wd in words]
        if not page_mode and text:
            texts = [text]
        missing = [i for i, t in enumerate(texts) if not t]
        if missing:
            if not reader.available():
                raise UserError(f"{page.name}: derender with text needs each word's text: pass "
                                "--text, boxes with text, or install Tesseract to read them "
                                f"({reader.INSTALL_HINT})")
            crops = [infer.letterbox(crop(img, words[i].box, page.name)[0], 224).image
                     for i in missing]      # Tesseract reads the crop at 224 px, not the model input
            for i, t in zip(missing, reader.read_images(crops)):
                texts[i] = t
    return Job(page, page_mode, words, texts, mode,
               {"detect": detect_s, "prepare": time.perf_counter() - t1})


# --------------------------------------------------------------------------- decoding

def batch_size_for(n: int, max_batch: int) -> int:
    """The power of two (at most ``max_batch``) that ``n`` inputs need."""
    b = 1
    while b < n and b < max_batch:
        b *= 2
    return min(b, max_batch)


def decode(inf: infer.Inference, words: list[Word], mode: str, texts: list[str] | None = None, *,
           batch_size: int | None = None, progress: bool = False) -> list[infer.ModeOutput]:
    """All ``words`` through the model in batches (one compiled program per batch size)."""
    n = len(words)
    bs = batch_size_for(n, batch_size or inf.decoding.batch_size)
    inf_b = inf if inf.decoding.batch_size == bs else inf.replace(batch_size=bs)
    imgs = np.stack([w.image for w in words])
    outs: list[infer.ModeOutput] = []
    with tqdm(total=n, unit="word", desc="derender", disable=not progress, leave=False) as bar:
        for a in range(0, n, bs):
            t = None if texts is None or infer.canonical(mode) != "derender_with_text" \
                else texts[a:a + bs]
            outs += inf_b.derender(imgs[a:a + bs], mode, t)
            bar.update(min(bs, n - a))
    return outs


def place(words: list[Word], outputs: list[infer.ModeOutput]) -> tuple[Ink, list[tuple[int, int]]]:
    """The words' ink on the page (page pixels), strokes in reading order, and each word's range."""
    strokes, ranges = [], []
    for w, o in zip(words, outputs):
        a = len(strokes)
        strokes.extend(w.to_page(o.ink).strokes)
        ranges.append((a, len(strokes)))
    return Ink(tuple(strokes)), ranges


def run(inf: infer.Inference, jobs: list[Job], *, batch_size: int | None = None,
        progress: bool = False) -> list[Result]:
    """Decode the words of all ``jobs`` together (batches span inputs; one mode per call)."""
    results: list[Result | None] = [None] * len(jobs)
    for mode in dict.fromkeys(j.mode for j in jobs):
        idx = [i for i, j in enumerate(jobs) if j.mode == mode]
        words = [w for i in idx for w in jobs[i].words]
        texts = [t for i in idx for t in jobs[i].texts]
        t0 = time.perf_counter()
        outs = decode(inf, words, mode, texts, batch_size=batch_size, progress=progress)
        per_word = (time.perf_counter() - t0) / max(len(words), 1)
        a = 0
        for i in idx:
            j = jobs[i]
            o = outs[a:a + len(j.words)]
            a += len(j.words)
            t1 = time.perf_counter()
            ink, ranges = place(j.words, o)
            if j.page.scale != 1.0:
                ink = ink.scale(1 / j.page.scale)
            j.timings["decode"] = per_word * len(j.words)   # its share of the batched calls
            j.timings["place"] = time.perf_counter() - t1
            results[i] = Result(j, o, ink, ranges)
    return results  # type: ignore[return-value]


def derender(inf: infer.Inference, src: str | Path | bytes | PageImage, mode: str = "r+d", *,
             name: str | None = None, batch_size: int | None = None, progress: bool = False,
             **plan_kw) -> Result:
    """One image end to end (the notebook's and the web page's call)."""
    t0 = time.perf_counter()
    page = src if isinstance(src, PageImage) else load(src, name=name)
    load_s = time.perf_counter() - t0
    job = plan(page, inf.image_size, mode, **plan_kw)
    job.timings = {"load": load_s, **job.timings}
    return run(inf, [job], batch_size=batch_size, progress=progress)[0]

