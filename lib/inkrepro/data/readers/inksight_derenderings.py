"""The authors' release ``Derendering/InkSight-Derenderings`` (model outputs + human tracings).

Source name ``inksight-derenderings``. Format facts (google-research/inksight: ``docs/dataset.md``,
``visualize_dataset.py``, ``utils/io.py``)::

    ROOT/<Dataset>/images_sample/<exampleId>.png           100 word crops per dataset
    ROOT/<model>_<dataset>_inkml/{d+t,vanilla,r+d}/*.inkml  model in small-p, small-i, large-i
    ROOT/human_tracing_hash_to_ink.npy                      pickled {id: Ink} (HierText tracings)

- Folder case differs between the authors' own files: the docs write ``large-i_IMGUR5K_inkml``,
  ``visualize_dataset.py`` builds ``{model.lower()}_{dataset.lower()}_inkml``. Model and dataset
  folder names are matched case-insensitively (datasets ``IAM``, ``IMGUR5K``, ``HierText``).
- InkML (namespaced): ``<trace>`` text ``x,y x,y ...`` in the 224x224 model frame, annotations
  ``application``, ``sourceDataset``, ``inferenceMode``, ``exampleId``, ``textField`` (a single
  space for vanilla).
- ``inferenceMode`` is written "Vanilla Derender" in the files and "Vanilla" in the docs; it is
  parsed defensively (case, spacing, ``_``/``-`` ignored; the folder names ``d+t``/``r+d`` and
  "Derender with Text" / "Recognize and Derender" accepted). A recognised label that disagrees
  with its folder, or an unknown one, is a bad record.
- Ids: a trailing ``.png`` is removed as a suffix (``removesuffix``; ``visualize_dataset.py``
  uses ``strip(".png")``, which would also eat trailing p/n/g letters). An id (``exampleId`` or
  pickle key) that is not a plain file name (absolute, with ``/``, ``..``) is a bad record
  ("unsafe path"): names from files never reach outside ``<Dataset>/images_sample``.
- Images are decoded lazily, one per example (nothing is cached across examples: a word crop is
  decoded again for each model and mode that needs it), through :mod:`inkrepro.data.images`.

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
from inkrepro.errors import BadRecord, InkError, UserError
from inkrepro.ink.core import Ink
from inkrepro.ink.geometry import letterbox_transform
from inkrepro.ink.inkml import mode_from_label

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
            "ROOT/<model>_<dataset>_inkml/{d+t,vanilla,r+d}/*.inkml   model in small-p, small-i, large-i;\n"
            "                                                        names in either case\n"
            "ROOT/human_tracing_hash_to_ink.npy                       optional human tracings"),
    paper_role="released outputs: evaluated with our metrics beside our models",
    module=__name__,
)

MODELS = ("small-p", "small-i", "large-i")
DATASETS = ("IAM", "IMGUR5K", "HierText")
MODES = {"d+t": "Derender with Text", "vanilla": "Vanilla", "r+d": "Recognize and Derender"}
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


def folder_mode(label: str, where: str) -> str:
    """A released ``inferenceMode`` label -> its folder name (vanilla, d+t, r+d)."""
    try:
        task = mode_from_label(" ".join(label.replace("_", " ").replace("-", " ").split()))
    except InkError:
        raise BadRecord("unknown inference mode", where, repr(label)) from None
    return {"vanilla_derender": "vanilla", "derender_with_text": "d+t", "recognize_and_derender": "r+d"}[task]


def canonical_dataset(name: str) -> str:
    return next((d for d in DATASETS if d.lower() == name.lower()), name)


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
    """(model, dataset, folder) of every ``<model>_<dataset>_inkml`` folder, in any case."""
    out = []
    for p in sorted(root.iterdir()):
        m = FOLDER_RE.match(p.name)
        if p.is_dir() and m:
            out.append((m["model"].lower(), canonical_dataset(m["dataset"]), p))
    return out


def images_dir(root: Path, dataset: str) -> Path:
    """``ROOT/<Dataset>/images_sample``, the dataset folder matched case-insensitively."""
    for p in sorted(root.iterdir()):
        if p.is_dir() and p.name.lower() == dataset.lower():
            return p / "images_sample"
    return root / dataset / "images_sample"


def _check(root: Path) -> None:
    if not model_folders(root) and not (root / HUMAN_FILE).is_file():
        raise _base.layout_error(SOURCE, root, "<model>_<Dataset>_inkml/ folders (e.g. small-p_IAM_inkml/)")


def _to_image_frame(strokes: list[np.ndarray], img: np.ndarray | None) -> tuple[list[np.ndarray], str]:
    if img is None:
        return strokes, "model224"
    h, w = img.shape[:2]
    tf = letterbox_transform(w, h)
    return [tf.inverse_xy(s) for s in strokes], "image"


def _image(root: Path, dataset: str, eid: str, where: str, ctx: _base.ReadContext) -> np.ndarray | None:
    """The example's image, decoded now (and kept by nobody but the example); None when the
    release has no image for it (the ink then stays in the model frame). An unsafe id or an
    unreadable or too large image is a BadRecord."""
    d = images_dir(root, dataset)
    if "/" in eid or "\\" in eid:
        raise BadRecord("unsafe path", where, f"example id {eid[:120]!r} is not a file name")
    p = ctx.path_in(d, f"{eid}.png", where, within=d)
    return ctx.load_image(p, where) if p.exists() else None


def _example_from_inkml(path: Path, model: str, dataset: str, mode: str, root: Path,
                        where: str, ctx) -> Example | None:
    doc = _base.parse_inkml(path.read_bytes(), where)
    ann = doc.annotations
    label = ann.get("inferenceMode", "").strip()
    if label and folder_mode(label, where) != mode:
        raise BadRecord("mode label disagrees with folder", where, f"{label!r} in {mode}/")
    src = ann.get("sourceDataset", "").strip()
    if src and canonical_dataset(src) != dataset:
        raise BadRecord("sourceDataset disagrees with folder", where, f"{src!r} in {dataset}")
    eid = strip_png(ann.get("exampleId", "").strip() or path.stem)
    img = _image(root, dataset, eid, where, ctx)
    strokes, frame = _to_image_frame([s.xy for s in doc.ink.strokes if len(s)], img)
    ink = _base.ink_from_points(strokes, where) if strokes else Ink()
    text_field = ann.get("textField", "")
    return Example(id=f"{model}_{dataset}/{mode}/{eid}", source=SOURCE.name, split="test",
                   kind="derendered", text=text_field if text_field.strip() else "", ink=ink,
                   image=img, meta={"model": model, "mode": mode, "dataset": dataset,
                                    "example_id": eid, "frame": frame, "text_field": text_field,
                                    "valid": bool(strokes), "mode_label": label,
                                    "application": ann.get("application", "")})


def _read(root: Path, ctx: _base.ReadContext, split: str | None = None, *,
          models: tuple[str, ...] | None = None, datasets: tuple[str, ...] | None = None,
          modes: tuple[str, ...] | None = None, human: bool = True,
          ink_modules: tuple[str, ...] = INK_MODULES) -> Iterator[Example]:
    if split not in (None, "test"):
        return
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
                ex = ctx.guard(_example_from_inkml, path, model, dataset, mode, root, where, ctx)
                if ex is not None:
                    yield ex
    hp = root / HUMAN_FILE
    if human and hp.is_file() and (not datasets or "HierText" in datasets):
        tracings = load_human_tracings(hp, ink_modules)
        for i, key in enumerate(k for k in tracings if not isinstance(k, str)):
            ctx.bad(BadRecord("malformed tracing id", f"{HUMAN_FILE} [#{i}]", type(key).__name__))
        for key in sorted(k for k in tracings if isinstance(k, str)):
            eid = strip_png(key)
            ex = ctx.guard(_human_example, root, eid, tracings[key], f"{HUMAN_FILE} [{eid[:120]}]", ctx)
            if ex is not None:
                yield ex


def _human_example(root: Path, eid: str, obj, where: str, ctx: _base.ReadContext) -> Example:
    strokes = release_ink_to_strokes(obj, where)
    img = _image(root, "HierText", eid, where, ctx)
    strokes, frame = _to_image_frame(strokes, img)
    ink = _base.ink_from_points(strokes, where)
    return Example(id=f"human_HierText/human/{eid}", source=SOURCE.name, split="test",
                   kind="derendered", ink=ink, image=img,
                   meta={"model": "human", "mode": "human", "dataset": "HierText",
                         "example_id": eid, "frame": frame})


def inventory(root: Path) -> dict:
    """Counts for `data verify`: images per dataset, InkML files per model and mode, tracings."""
    root = Path(root)
    inv: dict = {"images": {}, "inkml": {}, "human_tracings": None, "expected": dict(EXPECTED)}
    for ds in DATASETS:
        d = images_dir(root, ds)
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
