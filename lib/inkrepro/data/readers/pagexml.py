"""PAGE-XML historical documents (OCR: word or line crops), e.g. the ICDAR 2015 HTR competition
(tranScriptorium / Bentham) data the paper lists as "ICDAR'15 historical documents".

Paper role: OCR training. PAGE (PRImA) stores one XML per page image::

    <PcGts><Page imageFilename="p1.jpg" imageWidth=.. imageHeight=..>
      <TextRegion id="r1"><TextLine id="l1"><Coords points="x,y x,y ..."/>
        <Word id="w1"><Coords points="..."/><TextEquiv><Unicode>word</Unicode></TextEquiv></Word>
        <TextEquiv><Unicode>line text</Unicode></TextEquiv></TextLine></TextRegion></Page></PcGts>

Any PAGE namespace version is accepted, and the 2010 form ``<Coords><Point x= y=/></Coords>``.
``level``: "word" (Word elements), "line" (TextLine elements) or "auto" (a line's words when it
has any, else the line). Crops are the polygon's bounding box. Splits: sub-folders
``train/``, ``valid[ation]/``, ``test/`` under ROOT; XML elsewhere gets ``default_split``
("train": the paper uses these documents for training only).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from inkrepro import names
from inkrepro.data.readers import _base
from inkrepro.data.schema import Example
from inkrepro.errors import BadRecord, UserError

SOURCE = _base.SourceInfo(
    name="icdar15",
    kind="ocr",
    title="ICDAR 2015 HTR historical documents (PAGE-XML)",
    licence="per collection (tranScriptorium / Bentham: CC BY-NC-SA for research); no redistribution here",
    citation="Sanchez et al., ICDAR 2015 competition HTRtS: Handwritten Text Recognition on the "
             "tranScriptorium Dataset, ICDAR 2015",
    url="https://zenodo.org/records/248733 (tranScriptorium HTRtS 2015); PAGE format: "
        "https://www.primaresearch.org/tools/PAGELibraries",
    layout=("ROOT/[train|valid|test/]**/page/<page>.xml   PAGE-XML (TextLine/Word Coords + TextEquiv)\n"
            "ROOT/[train|valid|test/]**/<imageFilename>    page image named by Page@imageFilename"),
    language="en", script="Latn",
    paper_role="OCR training (real images)",
    module=__name__,
)

SPLIT_DIRS = _base.SPLIT_DIRS


def _check(root: Path) -> None:
    _base.require_glob(SOURCE, root, "**/*.xml", "PAGE-XML files (**/*.xml)")


def _split_of(path: Path, root: Path, default: str) -> str:
    for part in path.relative_to(root).parts[:-1]:
        if part.lower() in SPLIT_DIRS:
            return SPLIT_DIRS[part.lower()]
    return default


def points(elem, where: str) -> np.ndarray:
    coords = _base.children(elem, "Coords")
    if not coords:
        raise BadRecord("missing Coords", where)
    c = coords[0]
    pts_attr = c.get("points")
    try:
        if pts_attr is not None:
            pts = [tuple(float(v) for v in p.split(",")) for p in pts_attr.split()]
        else:
            pts = [(float(p.get("x")), float(p.get("y"))) for p in _base.children(c, "Point")]
        arr = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    except (ValueError, TypeError):
        raise BadRecord("malformed Coords", where, (pts_attr or "")[:80]) from None
    if len(arr) < 2:
        raise BadRecord("malformed Coords", where, f"{len(arr)} points")
    return arr


def text_of(elem) -> str | None:
    for te in _base.children(elem, "TextEquiv"):
        for u in _base.children(te, "Unicode"):
            return u.text or ""
    return None


def _image_path(xml: Path, root: Path, name: str, where: str) -> Path:
    """The page image ``imageFilename`` names, looked up beside the XML and under the root; a
    name that leaves the dataset root is refused."""
    cands = [p for d in (xml.parent, xml.parent.parent, root, root / "images")
             if (p := names.contained_path(d, name, root)) is not None]
    if not cands:
        raise BadRecord("unsafe path", where, repr(name[:120]))
    return next((p for p in cands if p.is_file()), cands[0])


def page_items(page, level: str = "auto") -> list[tuple[int, object]]:
    """(line number, element) of a Page's words or lines in document order (``level``: the
    module docstring). Also the reader of a user's ``--boxes`` file (``inkrepro derender``)."""
    items = []
    for n, line in enumerate(_base.iter_local(page, "TextLine")):
        words = _base.children(line, "Word")
        if level == "line" or (level == "auto" and not words):
            items.append((n, line))
        else:
            items.extend((n, w) for w in words)
    return items


def _page(ctx: _base.ReadContext, xml: Path, root: Path, name: str, where: str):
    return ctx.load_image(_image_path(xml, root, name, where), where)


def _read(root: Path, ctx: _base.ReadContext, split: str | None = None, *,
          level: str = "auto", default_split: str = "train", pad: int = 0) -> Iterator[Example]:
    if level not in ("auto", "word", "line"):
        raise UserError(f"icdar15: level must be auto, word or line, got {level!r}")
    return _records(root, ctx, split, level, default_split, pad)


def _records(root: Path, ctx: _base.ReadContext, split: str | None, level: str, default_split: str,
             pad: int) -> Iterator[Example]:
    for xml in sorted(root.glob("**/*.xml")):
        s = _split_of(xml, root, default_split)
        if split is not None and s != split:
            continue
        rel = str(xml.relative_to(root))
        tree = ctx.guard(_base.parse_xml, xml.read_bytes(), rel)
        if tree is None:
            continue
        pages = list(_base.iter_local(tree, "Page"))
        if not pages or not pages[0].get("imageFilename"):
            ctx.bad(BadRecord("not a PAGE file", rel, "no Page@imageFilename"))
            continue
        page = pages[0]
        items = [el for _, el in page_items(page, level)]
        image = ctx.shared(_page, ctx, xml, root, page.get("imageFilename"))
        for el in items:
            rid = el.get("id") or f"{xml.stem}_{len(items)}"
            where = f"{rel} [{rid}]"
            text = text_of(el)
            if text is None or not text.strip():
                ctx.drop("no transcription")
                continue
            img = image.get(where)  # a missing image counts each of its elements once
            if img is None:
                continue
            pts = ctx.guard(points, el, where)
            if pts is None:
                continue
            crop = ctx.guard(_base.crop_box, img, *_base.polygon_bbox(pts), where, pad=pad)
            if crop is None:
                continue
            yield Example(id=f"{xml.stem}/{rid}", source=SOURCE.name, split=s, kind="ocr",
                          text=text, image=crop, language="", script="Latn",
                          meta={"page": xml.stem, "level": _base.local(el.tag), "polygon": pts.tolist()})


read = _base.make_reader(SOURCE, _read, _check)
