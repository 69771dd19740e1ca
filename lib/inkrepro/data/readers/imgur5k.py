"""IMGUR5K handwriting dataset (OCR: rotated word boxes on photos -> upright word crops).

Paper role: OCR training; its test split (~23.7k words) is an evaluation set. Format facts
(facebookresearch/IMGUR5K-Handwriting-Dataset: README.md and download_imgur5k.py, which writes
the annotation files; checked against the repository's ``imgur5k_annotations_test.json``):

- ``dataset_info/imgur5k_annotations_{train,val,test}.json``::

      {"index_id": {IMG: {"image_url": ..., "image_path": "images/IMG.jpg", "image_hash": ...}},
       "index_to_ann_map": {IMG: ["IMG_0", ...]},
       "ann_id": {"IMG_0": {"word": "Felly", "bounding_box": "[455.5, 610.5, 838.5, 519.0, -0.5]"}}}

- ``bounding_box`` is a *string* holding ``[xc, yc, w, h, a]`` in absolute pixels: centre,
  width, height and "the angle in degrees counterclockwise" (README). Counterclockwise as seen
  on the image, whose y axis points down, so the box's width axis is (cos a, -sin a);
  ``angle_direction="clockwise"`` reads it the other way.
- A word (or box) ``"."`` was not annotated: dropped, counted as filtered (1,843 of the test
  split's 23,842 annotations).
- Images are ``<index>.jpg`` from the download script (``image_path``, else ``images/``); an image
  it could not fetch is missing. Each word of a missing or unreadable image is counted once,
  under the image's reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from inkrepro.data.readers import _base
from inkrepro.data.schema import Example
from inkrepro.errors import BadRecord, UserError

SOURCE = _base.SourceInfo(
    name="imgur5k",
    kind="ocr",
    title="IMGUR5K Handwriting Dataset",
    licence="CC BY-NC 4.0 (annotations); images from imgur.com, downloaded by the user",
    citation="Krishnan et al., TextStyleBrush: Transfer of Text Aesthetics from a Single "
             "Example, arXiv:2106.08385, 2021",
    url="https://github.com/facebookresearch/IMGUR5K-Handwriting-Dataset",
    layout=("ROOT/dataset_info/imgur5k_annotations_train.json  (and _val.json, _test.json)\n"
            "ROOT/images/<index>.jpg                          (download_imgur5k.py output)"),
    language="en", script="Latn",
    paper_role="OCR training (real images); evaluation: test split (~23.7k words)",
    module=__name__,
)

SPLIT_FILES = {"train": "imgur5k_annotations_train.json",
               "validation": "imgur5k_annotations_val.json",
               "test": "imgur5k_annotations_test.json"}


def _check(root: Path) -> None:
    d = root / "dataset_info"
    if not any((d / f).is_file() for f in SPLIT_FILES.values()):
        raise _base.layout_error(SOURCE, root, "dataset_info/imgur5k_annotations_{train,val,test}.json")


def _box(ann: dict, where: str) -> tuple[str, list[float]]:
    if not isinstance(ann, dict) or "word" not in ann or "bounding_box" not in ann:
        raise BadRecord("malformed annotation", where, "needs word and bounding_box")
    bb = ann["bounding_box"]
    try:
        vals = json.loads(bb) if isinstance(bb, str) else bb
        vals = [float(v) for v in vals]
    except (ValueError, TypeError):
        raise BadRecord("malformed bounding box", where, repr(bb)[:80]) from None
    if len(vals) != 5:
        raise BadRecord("malformed bounding box", where, f"{len(vals)} values, need 5")
    return str(ann["word"]), vals


def _read(root: Path, ctx: _base.ReadContext, split: str | None = None, *,
          angle_direction: str = "counterclockwise") -> Iterator[Example]:
    if angle_direction not in ("counterclockwise", "clockwise"):
        raise UserError(f"imgur5k: angle_direction must be counterclockwise or clockwise, "
                        f"got {angle_direction!r}")
    # crop_rotated takes the OpenCV convention (clockwise on screen): flip counterclockwise angles
    sign = -1.0 if angle_direction == "counterclockwise" else 1.0
    return _records(root, ctx, split, sign)


def _image_path(ctx: _base.ReadContext, root: Path, img_id: str, info, where: str) -> Path:
    """The index's ``image_path`` when that file exists, else ``images/<id>.jpg``; names that
    leave the dataset root are refused."""
    rel = info.get("image_path") if isinstance(info, dict) else None
    if rel and isinstance(rel, str):
        p = ctx.path_in(root, rel, where)
        if p.is_file():
            return p
    return ctx.path_in(root / "images", f"{img_id}.jpg", where)


def _page(ctx: _base.ReadContext, root: Path, img_id: str, info, where: str) -> Image.Image:
    """The page as a PIL image (cropped many times)."""
    return Image.fromarray(ctx.load_image(_image_path(ctx, root, img_id, info, where), where))


def _records(root: Path, ctx: _base.ReadContext, split: str | None, sign: float) -> Iterator[Example]:
    for s, fname in SPLIT_FILES.items():
        if split is not None and s != split:
            continue
        path = root / "dataset_info" / fname
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_bytes())
            index, ann_map, anns = data["index_id"], data["index_to_ann_map"], data["ann_id"]
        except (ValueError, KeyError, TypeError) as e:
            ctx.bad(BadRecord("malformed annotation file", f"dataset_info/{fname}", str(e)[:200]))
            continue
        for img_id in sorted(ann_map):
            page = ctx.shared(_page, ctx, root, img_id, index.get(img_id))
            for aid in ann_map[img_id]:
                where = f"dataset_info/{fname} [{aid}]"
                if aid not in anns:
                    ctx.bad(BadRecord("unknown annotation id", where))
                    continue
                if isinstance(anns[aid], dict) and "." in (anns[aid].get("word"), anns[aid].get("bounding_box")):
                    ctx.drop("not annotated ('.')")
                    continue
                parsed = ctx.guard(_box, anns[aid], where)
                if parsed is None:
                    continue
                img = page.get(where)
                if img is None:
                    continue
                word, (xc, yc, w, h, a) = parsed
                crop = ctx.guard(_base.crop_rotated, img, xc, yc, w, h, sign * a, where)
                if crop is None:
                    continue
                yield Example(id=aid, source=SOURCE.name, split=s, kind="ocr", text=word,
                              image=crop, language="en", script="Latn",
                              meta={"image_id": img_id, "box_xywha": [xc, yc, w, h, a]})


read = _base.make_reader(SOURCE, _read, _check)
