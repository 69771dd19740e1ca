"""HierText (OCR: word crops from the paragraph > line > word hierarchy).

Paper role: OCR training; its handwritten test words (~1.3k, "after the same filtering as the
OCR training data") are an evaluation set. The paper does not spell the filtering out: every
filter here is explicit in :class:`HierTextFilter` and every drop is counted by reason.

Ground truth (``gt/{train,validation,test}.jsonl.gz``; despite the name one JSON document)::

    {"info": {...}, "annotations": [{"image_id": ..., "image_width": W, "image_height": H,
      "paragraphs": [{"vertices": [[x, y], ...], "legible": bool,
        "lines": [{"vertices": ..., "text": ..., "legible": ..., "handwritten": ..., "vertical": ...,
          "words": [{"vertices": [[x, y], ...], "text": ..., "legible": bool,
                     "handwritten": bool, "vertical": bool}]}]}]}]}

One JSON object per line (true JSON Lines) is accepted too. Word ids are
``<image_id>_<k>`` with k the word's index in document order (paragraph, line, word), counted
before filtering so ids do not depend on the filters. Crops are the axis-aligned bounding box of
the word polygon (clipped to the image) plus ``pad`` pixels.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inkrepro.data.readers import _base
from inkrepro.data.schema import Example
from inkrepro.errors import BadRecord, UserError

SOURCE = _base.SourceInfo(
    name="hiertext",
    kind="ocr",
    title="HierText",
    licence="CC BY-SA 4.0 (annotations); images from Open Images (CC BY 2.0)",
    citation="Long et al., Towards End-to-End Unified Scene Text Detection and Layout Analysis, "
             "CVPR 2022",
    url="https://github.com/google-research-datasets/hiertext",
    layout=("ROOT/gt/train.jsonl.gz, ROOT/gt/validation.jsonl.gz (or val.jsonl.gz), "
            "ROOT/gt/test.jsonl.gz\n"
            "ROOT/train/<image_id>.jpg, ROOT/validation/<image_id>.jpg, ROOT/test/<image_id>.jpg"),
    language="", script="",
    paper_role="OCR training (real images); evaluation: handwritten test words (~1.3k)",
    module=__name__,
)

GT_FILES = {"train": ("train",), "validation": ("validation", "val"), "test": ("test",)}


@dataclass(frozen=True)
class HierTextFilter:
    """Which words become examples. Defaults: legible, horizontal, handwritten words with text."""

    handwritten: bool | None = True  # True: handwritten only; False: printed only; None: both
    legible_only: bool = True
    drop_vertical: bool = True
    min_text_len: int = 1
    min_width: int = 1  # polygon bbox, pixels
    min_height: int = 1
    pad: int = 0  # pixels added around the crop


def _check(root: Path) -> None:
    if not (root / "gt").is_dir():
        raise _base.layout_error(SOURCE, root, "gt/ (train.jsonl.gz, validation.jsonl.gz, test.jsonl.gz)")
    if not list(_gt_files(root)):
        raise _base.layout_error(SOURCE, root, "gt/train.jsonl.gz (or validation/test)")


def _gt_files(root: Path) -> Iterator[tuple[str, Path]]:
    for split, stems in GT_FILES.items():
        for stem in stems:
            for name in (f"{stem}.jsonl.gz", f"{stem}.jsonl", f"{stem}.json.gz", f"{stem}.json"):
                if (root / "gt" / name).is_file():
                    yield split, root / "gt" / name
                    break
            else:
                continue
            break


def _annotations(path: Path) -> Iterator[dict]:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise BadRecord("corrupt gzip", f"gt/{path.name}", str(e)) from None
    text = raw.decode("utf-8")
    try:
        doc = json.loads(text)
        docs = [doc]
    except ValueError:
        docs = None
    if docs is None:  # JSON Lines
        docs = []
        for i, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    docs.append(json.loads(line))
                except ValueError as e:
                    raise BadRecord("malformed JSON", f"gt/{path.name}:{i}", str(e)[:120]) from None
    for d in docs:
        if isinstance(d, dict) and "annotations" in d:
            yield from d["annotations"]
        else:
            yield d


def _words(ann: dict, where: str) -> list[tuple[int, dict]]:
    try:
        out, k = [], 0
        for para in ann["paragraphs"]:
            for line in para["lines"]:
                for word in line["words"]:
                    out.append((k, word))
                    k += 1
        return out
    except (KeyError, TypeError) as e:
        raise BadRecord("malformed annotation", where, f"missing {e}") from None


def _read(root: Path, ctx: _base.ReadContext, split: str | None = None, *,
          filters: HierTextFilter | dict | None = None) -> Iterator[Example]:
    try:
        flt = filters if isinstance(filters, HierTextFilter) else HierTextFilter(**(filters or {}))
    except TypeError as e:
        raise UserError(f"hiertext: bad filters {filters!r} ({e}); fields: "
                        f"{', '.join(HierTextFilter.__dataclass_fields__)}") from None
    return _records(root, ctx, split, flt)


def _records(root: Path, ctx: _base.ReadContext, split: str | None, flt: HierTextFilter) -> Iterator[Example]:
    for s, path in _gt_files(root):
        if split is not None and s != split:
            continue
        rel = f"gt/{path.name}"
        try:
            anns = list(_annotations(path))
        except BadRecord as e:
            ctx.bad(e)
            continue
        except UnicodeDecodeError as e:
            ctx.bad(BadRecord("text encoding", rel, str(e)[:120]))
            continue
        for ann in anns:
            image_id = ann.get("image_id") if isinstance(ann, dict) else None
            where = f"{rel} [{image_id}]"
            if not image_id:
                ctx.bad(BadRecord("malformed annotation", rel, "annotation without image_id"))
                continue
            words = ctx.guard(_words, ann, where)
            if words is None:
                continue
            keep = []
            for k, w in words:
                reason = _filtered(w, flt)
                if reason:
                    ctx.drop(reason)
                else:
                    keep.append((k, w))
            if not keep:
                continue
            page = ctx.shared(_page, ctx, root / s, f"{image_id}.jpg")
            for k, w in keep:
                wid = f"{image_id}_{k}"
                img = page.get(f"{rel} [{wid}]")  # a missing image counts each of its words once
                if img is None:
                    continue
                ex = ctx.guard(_example, img, w, wid, s, flt, f"{rel} [{wid}]")
                if ex is not None:
                    yield ex


def _page(ctx: _base.ReadContext, base: Path, name: str, where: str) -> np.ndarray:
    return ctx.load_image(ctx.path_in(base, name, where), where)


def _filtered(w: dict, f: HierTextFilter) -> str:
    if not isinstance(w, dict):
        return ""  # malformed: reported by _example
    if f.handwritten is True and not w.get("handwritten", False):
        return "not handwritten"
    if f.handwritten is False and w.get("handwritten", False):
        return "handwritten"
    if f.legible_only and not w.get("legible", True):
        return "illegible"
    if f.drop_vertical and w.get("vertical", False):
        return "vertical"
    if len(str(w.get("text", ""))) < f.min_text_len:
        return "text too short"
    try:
        x0, y0, x1, y1 = _base.polygon_bbox(np.asarray(w["vertices"], dtype=np.float64))
    except (KeyError, ValueError, TypeError):
        return ""  # malformed: reported by _example
    if x1 - x0 < f.min_width or y1 - y0 < f.min_height:
        return "too small"
    return ""


def _example(img: np.ndarray, w: dict, wid: str, split: str, f: HierTextFilter, where: str) -> Example:
    if not isinstance(w, dict) or "vertices" not in w:
        raise BadRecord("malformed annotation", where, "word without vertices")
    try:
        pts = np.asarray(w["vertices"], dtype=np.float64).reshape(-1, 2)
    except (ValueError, TypeError):
        raise BadRecord("malformed polygon", where, repr(w["vertices"])[:80]) from None
    if len(pts) < 3 or not np.isfinite(pts).all():
        raise BadRecord("malformed polygon", where, f"{len(pts)} vertices")
    x0, y0, x1, y1 = _base.polygon_bbox(pts)
    if x1 - x0 < 1 or y1 - y0 < 1:
        raise BadRecord("degenerate box", where, f"{x1 - x0:.1f}x{y1 - y0:.1f}")
    crop = _base.crop_box(img, x0, y0, x1, y1, where, pad=f.pad)
    return Example(id=wid, source=SOURCE.name, split=split, kind="ocr", text=str(w.get("text", "")),
                   image=crop, meta={"vertices": pts.tolist(), "handwritten": bool(w.get("handwritten")),
                                     "legible": bool(w.get("legible", True)),
                                     "vertical": bool(w.get("vertical", False))})


read = _base.make_reader(SOURCE, _read, _check)
