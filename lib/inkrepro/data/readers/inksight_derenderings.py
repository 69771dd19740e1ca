"""The authors' release ``Derendering/InkSight-Derenderings`` (model outputs + human tracings).

Source name ``inksight-derenderings``. Layout of the release (dataset folder names keep their
case: ``IAM``, ``IMGUR5K``, ``HierText``)::

    ROOT/<Dataset>/images_sample/<exampleId>.png           100 word crops per dataset
    ROOT/<model>_<Dataset>_inkml/{d+t,vanilla,r+d}/*.inkml  model in small-p, small-i, large-i
    ROOT/human_tracing_hash_to_ink.npy                      pickled {id: Ink} (HierText tracings)

InkML: ``<trace>`` text ``x,y x,y ...`` in the 224x224 model frame, annotations
``application``, ``sourceDataset``, ``inferenceMode`` ("Vanilla" / "Vanilla Derender",
"Derender with Text", "Recognize and Derender"), ``exampleId``, ``textField`` (a single space for
vanilla). Ids: a trailing ``.png`` is removed as a suffix (``removesuffix``, never ``rstrip``).

Examples are ``kind="derendered"``, one per (model, mode, example), id
``<model>_<Dataset>/<mode>/<exampleId>``; ``meta`` holds model, mode, dataset, example_id and
``frame``: when the example's image exists the ink is mapped from the 224 frame back to the image's
pixels (inverse letterbox), ``frame="image"``; otherwise it stays in the model frame,
``frame="model224"``. Human tracings become ``model="human"``, ``mode="human"`` examples.

``human_tracing_hash_to_ink.npy`` is read with a restricted unpickler: numpy array
reconstruction and classes named ``Ink``/``Stroke`` from the modules in ``INK_MODULES`` (mapped
to minimal local classes) are admitted, anything else is refused with a message naming it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from inkrepro.data.readers import _base
from inkrepro.data.schema import Example
from inkrepro.errors import BadRecord, UserError
from inkrepro.ink import inkml
from inkrepro.ink.core import Ink
from inkrepro.ink.geometry import letterbox_transform

SOURCE = _base.SourceInfo(
    name="inksight-derenderings",
    kind="derendered",
    title="InkSight-Derenderings (authors' released model outputs and human tracings)",
    licence="see the Hugging Face dataset card (Derendering/InkSight-Derenderings); images keep "
            "their source datasets' licences (IAM, IMGUR5K, HierText)",
    citation="Mitrevski et al., InkSight: Offline-to-Online Handwriting Conversion by Teaching "
             "Vision-Language Models to Read and Write, TMLR 2025 (arXiv:2402.05804)",
    url="https://huggingface.co/datasets/Derendering/InkSight-Derenderings",
    layout=("ROOT/<Dataset>/images_sample/<exampleId>.png            Dataset in IAM, IMGUR5K, HierText\n"
            "ROOT/<model>_<Dataset>_inkml/{d+t,vanilla,r+d}/*.inkml   model in small-p, small-i, large-i\n"
            "ROOT/human_tracing_hash_to_ink.npy                       optional human tracings"),
    paper_role="released outputs: evaluated with our metrics beside our models",
    module=__name__,
)

MODELS = ("small-p", "small-i", "large-i")
DATASETS = ("IAM", "IMGUR5K", "HierText")
MODES = {"d+t": "Derender with Text", "vanilla": "Vanilla", "r+d": "Recognize and Derender"}
MODE_LABELS = {"vanilla": "vanilla", "vanilla derender": "vanilla", "derender with text": "d+t",
               "recognize and derender": "r+d"}
FOLDER_RE = re.compile(r"^(?P<model>[A-Za-z]+-[A-Za-z])_(?P<dataset>[A-Za-z0-9]+)_inkml$")
HUMAN_FILE = "human_tracing_hash_to_ink.npy"
# What the paper / dataset card describe: 100 word crops per dataset (and so 100 InkML files per
# model, dataset and mode), 200 HierText test samples traced by people.
EXPECTED = {"images_per_dataset": 100, "inkml_per_folder": 100, "human_tracings": 200}
# Module paths the release's pickle may name for its Ink/Stroke classes (colab, utils package).
INK_MODULES = ("__main__", "ink", "utils", "utils.ink", "inksight", "inksight.ink",
               "inksight.utils", "inksight.utils.ink", "ink_utils")


def strip_png(name: str) -> str:
    return name.removesuffix(".png")


# --------------------------------------------------------------------------- InkML


def _parse_inkml_local(data: bytes, where: str) -> tuple[list[np.ndarray], dict[str, str]]:
    tree = _base.parse_xml(data, where)
    ann = {a.get("type", ""): (a.text or "") for a in _base.iter_local(tree, "annotation")}
    strokes = []
    for t in _base.iter_local(tree, "trace"):
        pts = []
        for tok in (t.text or "").split():
            xy = tok.split(",")
            try:
                pts.append((float(xy[0]), float(xy[1])))
            except (ValueError, IndexError):
                raise BadRecord("malformed trace", where, tok[:40]) from None
        if pts:
            strokes.append(np.asarray(pts))
    return strokes, ann


def parse_inkml(data: bytes, where: str) -> tuple[list[np.ndarray], dict[str, str]]:
    """(strokes as (N, 2) arrays, annotations) by the ink core's InkML parser; on failure the
    local reading names what is malformed."""
    try:
        doc = inkml.parse_inkml(data, where)
    except BadRecord:
        raise
    except Exception as e:  # noqa: BLE001 - the parser's own error types
        _parse_inkml_local(data, where)  # raises a precise BadRecord for malformed XML/traces
        raise BadRecord("malformed InkML", where, str(e)[:200]) from None
    return [s.xy for s in doc.ink.strokes], dict(doc.annotations)


# --------------------------------------------------------------------------- pickle


class ReleaseStroke:
    """Minimal stand-in for the release's Stroke (attributes x, y; optional t)."""

    def __setstate__(self, state):
        self.__dict__.update(state if isinstance(state, dict) else {"x": state[0], "y": state[1]})


class ReleaseInk:
    """Minimal stand-in for the release's Ink (attribute strokes)."""

    def __setstate__(self, state):
        self.__dict__.update(state if isinstance(state, dict) else {"strokes": state})


def _allowed(modules=INK_MODULES) -> dict[tuple[str, str], type]:
    out: dict[tuple[str, str], type] = {}
    for m in modules:
        out[(m, "Ink")] = ReleaseInk
        out[(m, "Stroke")] = ReleaseStroke
    return out


def load_human_tracings(path: Path, modules=INK_MODULES) -> dict:
    """{id: ReleaseInk} from the release's .npy (or a plain pickle), restricted unpickler."""
    raw = path.read_bytes()
    f = io.BytesIO(raw)
    what = path.name
    try:
        if raw[:6] == b"\x93NUMPY":
            arr = _base.load_npy(f, _allowed(modules), what)
            obj = arr.item() if arr.shape == () else arr
        else:
            obj = _base.RestrictedUnpickler(f, _allowed(modules), what).load()
    except _base.RefusedPickle:
        raise
    except Exception as e:  # noqa: BLE001
        raise UserError(f"{path}: not a readable tracing file ({type(e).__name__}: {e})") from None
    if not isinstance(obj, dict):
        raise UserError(f"{path}: expected a dict id -> Ink, got {type(obj).__name__}")
    return obj


def _attr(obj, *names):
    d = getattr(obj, "__dict__", {})
    for n in names:
        if n in d:
            return d[n]
    return None


def release_ink_to_strokes(obj, where: str) -> list[np.ndarray]:
    """ReleaseInk -> (N, 2) arrays. Accepts strokes with x/y lists or arrays (also _x/_y) or
    with a points list of (x, y)."""
    strokes = _attr(obj, "strokes", "_strokes") if isinstance(obj, ReleaseInk) else None
    if strokes is None:
        raise BadRecord("not an Ink", where, type(obj).__name__)
    out = []
    for s in strokes:
        if not isinstance(s, ReleaseStroke):
            raise BadRecord("not an Ink", where, f"stroke of type {type(s).__name__}")
        x, y, pts = _attr(s, "x", "_x"), _attr(s, "y", "_y"), _attr(s, "points", "_points")
        try:
            if x is not None and y is not None:
                xy = np.column_stack([np.asarray(x, dtype=np.float64).reshape(-1),
                                      np.asarray(y, dtype=np.float64).reshape(-1)])
            elif pts is not None:
                xy = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
            else:
                raise BadRecord("not an Ink", where, f"stroke without x/y: {sorted(s.__dict__)}")
        except ValueError as e:
            raise BadRecord("invalid ink", where, str(e)[:120]) from None
        out.append(xy)
    return out


# --------------------------------------------------------------------------- reading


def model_folders(root: Path) -> list[tuple[str, str, Path]]:
    out = []
    for p in sorted(root.iterdir()):
        m = FOLDER_RE.match(p.name)
        if p.is_dir() and m:
            out.append((m["model"], m["dataset"], p))
    return out


def _check(root: Path) -> None:
    if not model_folders(root) and not (root / HUMAN_FILE).is_file():
        raise _base.layout_error(SOURCE, root, "<model>_<Dataset>_inkml/ folders (e.g. small-p_IAM_inkml/)")


def _to_image_frame(strokes: list[np.ndarray], img: np.ndarray | None) -> tuple[list[np.ndarray], str]:
    if img is None:
        return strokes, "model224"
    h, w = img.shape[:2]
    tf = letterbox_transform(w, h)
    return [tf.inverse_xy(s) for s in strokes], "image"


def _example_from_inkml(path: Path, model: str, dataset: str, folder_mode: str, root: Path,
                        images: dict, where: str, ctx) -> Example:
    strokes, ann = parse_inkml(path.read_bytes(), where)
    label = ann.get("inferenceMode", "").strip()
    mode = MODE_LABELS.get(label.lower())
    if label and mode is None:
        raise BadRecord("unknown inference mode", where, repr(label))
    if mode is not None and mode != folder_mode:
        raise BadRecord("mode label disagrees with folder", where, f"{label!r} in {folder_mode}/")
    src = ann.get("sourceDataset", dataset).strip()
    if src and src != dataset:
        raise BadRecord("sourceDataset disagrees with folder", where, f"{src!r} in {dataset}")
    eid = strip_png(ann.get("exampleId", "").strip() or path.stem)
    text_field = ann.get("textField", "")
    key = (dataset, eid)
    if key not in images:
        p = root / dataset / "images_sample" / f"{eid}.png"
        images[key] = ctx.guard(_base.load_image, p, f"{dataset}/images_sample/{eid}.png") if p.exists() else None
    img = images[key]
    strokes, frame = _to_image_frame(strokes, img)
    ink = _base.ink_from_points(strokes, where) if strokes else Ink()
    return Example(id=f"{model}_{dataset}/{folder_mode}/{eid}", source=SOURCE.name, split="test",
                   kind="derendered", text=text_field if text_field.strip() else "", ink=ink,
                   image=img, meta={"model": model, "mode": folder_mode, "dataset": dataset,
                                    "example_id": eid, "frame": frame, "text_field": text_field,
                                    "valid": bool(strokes),
                                    "application": ann.get("application", "")})


def _read(root: Path, ctx: _base.ReadContext, split: str | None = None, *,
          models: tuple[str, ...] | None = None, datasets: tuple[str, ...] | None = None,
          modes: tuple[str, ...] | None = None, human: bool = True,
          ink_modules: tuple[str, ...] = INK_MODULES) -> Iterator[Example]:
    if split not in (None, "test"):
        return
    images: dict = {}
    for model, dataset, folder in model_folders(root):
        if (models and model not in models) or (datasets and dataset not in datasets):
            continue
        for mode in MODES:
            if modes and mode not in modes:
                continue
            d = folder / mode
            if not d.is_dir():
                ctx.bad(BadRecord("missing mode folder", f"{folder.name}/{mode}"))
                continue
            for path in sorted(d.glob("*.inkml")):
                where = f"{folder.name}/{mode}/{path.name}"
                ex = ctx.guard(_example_from_inkml, path, model, dataset, mode, root, images, where, ctx)
                if ex is not None:
                    yield ex
    hp = root / HUMAN_FILE
    if human and hp.is_file() and (not datasets or "HierText" in datasets):
        tracings = load_human_tracings(hp, ink_modules)
        for key in sorted(tracings, key=str):
            eid = strip_png(str(key))
            where = f"{HUMAN_FILE} [{eid}]"
            strokes = ctx.guard(release_ink_to_strokes, tracings[key], where)
            if strokes is None:
                continue
            ikey = ("HierText", eid)
            if ikey not in images:
                p = root / "HierText" / "images_sample" / f"{eid}.png"
                images[ikey] = ctx.guard(_base.load_image, p, where) if p.exists() else None
            img = images[ikey]
            strokes, frame = _to_image_frame(strokes, img)
            ink = ctx.guard(_base.ink_from_points, strokes, where)
            if ink is None:
                continue
            yield Example(id=f"human_HierText/human/{eid}", source=SOURCE.name, split="test",
                          kind="derendered", ink=ink, image=img,
                          meta={"model": "human", "mode": "human", "dataset": "HierText",
                                "example_id": eid, "frame": frame})


def inventory(root: Path) -> dict:
    """Counts for `data verify`: images per dataset, InkML files per model and mode, tracings."""
    root = Path(root)
    inv: dict = {"images": {}, "inkml": {}, "human_tracings": None, "expected": dict(EXPECTED)}
    for ds in DATASETS:
        d = root / ds / "images_sample"
        inv["images"][ds] = len(list(d.glob("*.png"))) if d.is_dir() else 0
    for model, dataset, folder in model_folders(root):
        for mode in MODES:
            d = folder / mode
            inv["inkml"][f"{model}_{dataset}/{mode}"] = len(list(d.glob("*.inkml"))) if d.is_dir() else 0
    hp = root / HUMAN_FILE
    if hp.is_file():
        inv["human_tracings"] = len(load_human_tracings(hp))
    return inv


read = _base.make_reader(SOURCE, _read, _check)
