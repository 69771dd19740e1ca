"""Word boxes on a page: from Tesseract, or from a user's file (JSON or PAGE-XML).

A :class:`WordBox` is axis-aligned (``x0, y0, x1, y1`` in page pixels) or rotated about its
centre by ``angle`` degrees counterclockwise on screen (IMGUR5K's convention; the crop is then
the upright ``w x h`` rectangle). The order of a list of boxes is the reading order.

**Tesseract** (:func:`detect`): ``image_to_data`` word rows (level 5), empty text dropped,
confidence kept, lines numbered by (block, paragraph, line) in Tesseract's order.

**JSON** (:func:`read_boxes`): a list of words, or ``{"words": [...]}``; each word one of
``"box": [x0, y0, x1, y1]``, ``"polygon": [[x, y], ...]`` (its bounding box) or
``"rbox": [xc, yc, w, h, angle]`` (rotated, degrees counterclockwise), plus optional ``"text"``
and ``"line"`` (an integer; words without one are in line 0).

**PAGE-XML**: the Word elements of each TextLine (a line without words is one box), read by
``inkrepro.data.readers.pagexml``; polygons become their bounding boxes.

**Expansion** (:func:`expand`): a fraction of the box's width/height added on every side
(the release: 0.1 with docTR, none with Tesseract), clipped to the page.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytesseract
from PIL import Image

from inkrepro.data.readers import _base, pagexml
from inkrepro.errors import BadRecord, UserError
from inkrepro.evaluate import reader

TESSERACT_CONFIG = "--psm 3"   # automatic page segmentation (pages of text)


@dataclass(frozen=True)
class WordBox:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str = ""
    conf: float = -1.0       # Tesseract's confidence (0..100); -1: not from Tesseract
    line: int = 0
    angle: float = 0.0       # degrees counterclockwise about the centre (IMGUR5K)

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def center(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2

    @classmethod
    def rotated(cls, xc: float, yc: float, w: float, h: float, angle: float, **kw) -> WordBox:
        return cls(xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2, angle=angle, **kw)

    def scaled(self, k: float) -> WordBox:
        return dataclasses.replace(self, x0=self.x0 * k, y0=self.y0 * k, x1=self.x1 * k,
                                   y1=self.y1 * k)

    def to_json(self) -> dict:
        d = {"box": [round(v, 2) for v in (self.x0, self.y0, self.x1, self.y1)],
             "line": self.line, "box_text": self.text}
        if self.conf >= 0:
            d["conf"] = round(self.conf, 2)
        if self.angle:
            d["angle"] = self.angle
        return d


def detect(image: np.ndarray, *, lang: str = "eng", min_conf: float = -1.0) -> list[WordBox]:
    """Word boxes of a page photo by Tesseract (reading order; empty text dropped)."""
    reader.require()
    d = pytesseract.image_to_data(Image.fromarray(np.asarray(image)), lang=lang,
                                  config=TESSERACT_CONFIG, output_type=pytesseract.Output.DICT)
    lines: dict[tuple[int, int, int], int] = {}
    out = []
    for i, level in enumerate(d["level"]):
        text = str(d["text"][i]).strip()
        conf = float(d["conf"][i])
        if int(level) != 5 or not text or conf < min_conf:
            continue
        key = (int(d["block_num"][i]), int(d["par_num"][i]), int(d["line_num"][i]))
        line = lines.setdefault(key, len(lines))
        x, y, w, h = (float(d[k][i]) for k in ("left", "top", "width", "height"))
        if w >= 1 and h >= 1:
            out.append(WordBox(x, y, x + w, y + h, text=text, conf=conf, line=line))
    return out


def expand(boxes: list[WordBox], frac: float, width: int, height: int) -> list[WordBox]:
    """Each box grown by ``frac`` of its width/height on every side, clipped to the page."""
    if frac == 0:
        return list(boxes)
    out = []
    for b in boxes:
        mx, my = frac * b.width, frac * b.height
        if b.angle:   # rotated: grow about the centre, no clipping (the crop fills outside white)
            out.append(dataclasses.replace(b, x0=b.x0 - mx, y0=b.y0 - my, x1=b.x1 + mx, y1=b.y1 + my))
        else:
            out.append(dataclasses.replace(b, x0=max(0.0, b.x0 - mx), y0=max(0.0, b.y0 - my),
                                           x1=min(float(width), b.x1 + mx),
                                           y1=min(float(height), b.y1 + my)))
    return out


def _json_word(w, where: str) -> WordBox:
    if not isinstance(w, dict):
        raise BadRecord("not a word object", where, repr(w)[:80])
    text, line = str(w.get("text", "") or ""), w.get("line", 0)
    try:
        line = int(line)
        if "box" in w:
            x0, y0, x1, y1 = (float(v) for v in w["box"])
            box = WordBox(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1), text=text, line=line)
        elif "polygon" in w:
            pts = np.asarray(w["polygon"], dtype=np.float64).reshape(-1, 2)
            if len(pts) < 2:
                raise ValueError("a polygon needs 2 points or more")
            box = WordBox(*_base.polygon_bbox(pts), text=text, line=line)
        elif "rbox" in w:
            xc, yc, bw, bh, a = (float(v) for v in w["rbox"])
            box = WordBox.rotated(xc, yc, bw, bh, a, text=text, line=line)
        else:
            raise BadRecord("no box", where, "needs box, polygon or rbox")
    except (TypeError, ValueError) as e:
        raise BadRecord("malformed box", where, str(e)[:120]) from None
    if not all(np.isfinite([box.x0, box.y0, box.x1, box.y1, box.angle])):
        raise BadRecord("malformed box", where, "non-finite coordinates")
    return box


def read_boxes(path: str | Path) -> list[WordBox]:
    """Boxes of a JSON or PAGE-XML file (module docstring), in file order. A malformed word is
    an error naming the file and the word."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: boxes file not found")
    data = path.read_bytes()
    try:
        if data.lstrip()[:1] == b"<":
            return _page_xml(data, str(path))
        try:
            doc = json.loads(data)
        except ValueError as e:
            raise BadRecord("not JSON or PAGE-XML", str(path), str(e)[:120]) from None
        words = doc.get("words") if isinstance(doc, dict) else doc
        if not isinstance(words, list):
            raise BadRecord("no word list", str(path), 'expected a list or {"words": [...]}')
        return [_json_word(w, f"{path} [word {i}]") for i, w in enumerate(words)]
    except BadRecord as e:
        raise UserError(f"bad boxes file: {e}") from None


def _page_xml(data: bytes, where: str) -> list[WordBox]:
    tree = _base.parse_xml(data, where)
    pages = list(_base.iter_local(tree, "Page"))
    if not pages:
        raise BadRecord("not a PAGE file", where, "no Page element")
    out = []
    for line, el in pagexml.page_items(pages[0]):
        w = f"{where} [{el.get('id') or _base.local(el.tag)}]"
        out.append(WordBox(*_base.polygon_bbox(pagexml.points(el, w)),
                           text=(pagexml.text_of(el) or "").strip(), line=line))
    return out
