"""IMGUR5K handwriting dataset (OCR: rotated word boxes on photos -> upright word crops).

Paper role: OCR training; its test split (~23.7k words) is an evaluation set.

Annotation files (``dataset_info/imgur5k_annotations_{train,val,test}.json``, written by the
dataset's ``download_imgur5k.py``)::

    {"index_id": {IMG: {"image_url": ..., "image_path": "images/IMG.jpg", "image_hash": ...}},
     "index_to_ann_map": {IMG: ["IMG_0", ...]},
     "ann_id": {"IMG_0": {"word": "There", "bounding_box": "[xc, yc, w, h, angle]"}}}

``bounding_box`` is a *string* holding a JSON list; ``angle`` is in degrees (OpenCV RotatedRect
convention, as in the dataset's own tooling; ``angle_sign=-1`` flips it). Words or boxes ``"."``
were not annotated and are dropped (counted as filtered). Images the download step could not fetch are
counted as ``missing image``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from inkrepro.data.readers import _base
from inkrepro.data.schema import Example
from inkrepro.errors import BadRecord

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
          angle_sign: float = 1.0) -> Iterator[Example]:
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
            ann_ids = ann_map[img_id]
            info = index.get(img_id) or {}
            rel = info.get("image_path") if isinstance(info, dict) else None
            img_path = root / rel if rel else root / "images" / f"{img_id}.jpg"
            if not img_path.is_file():
                img_path = root / "images" / f"{img_id}.jpg"
            img = None
            for aid in ann_ids:
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
                word, (xc, yc, w, h, a) = parsed
                if img is None:
                    img = ctx.guard(_base.load_image, img_path, f"{where} image {img_id}")
                    img = False if img is None else Image.fromarray(img)
                if img is False:  # the image was counted once; its words are counted here
                    ctx.skipped["word of unreadable image"] += 1
                    continue
                crop = ctx.guard(_base.crop_rotated, img, xc, yc, w, h, angle_sign * a, where)
                if crop is None:
                    continue
                yield Example(id=aid, source=SOURCE.name, split=s, kind="ocr", text=word,
                              image=crop, language="en", script="Latn",
                              meta={"image_id": img_id, "box_xywha": [xc, yc, w, h, a]})


read = _base.make_reader(SOURCE, _read, _check)
