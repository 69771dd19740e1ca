"""DeepWriting (online ink + text; English, IAM-OnDB and ETH handwriting, semantically chunked).

Paper role: digital-ink training data. Format facts (the authors' repository
emreaksan/deepwriting: ``data_scripts/preprocessing.py`` writes the files, ``dataset_hw.py``
reads them and undoes the preprocessing; checked against the validation ``.npz`` that repository
once held):

- ``deepwriting_training.npz`` / ``deepwriting_validation.npz``: ``strokes`` (older files) or
  ``samples``, an object array of (T, 3) float32 arrays (x, y, pen; pen = 1 on the last point of
  a stroke); ``texts`` (unicode), ``subject_labels`` (writer), ``preprocessing`` (the steps
  applied), ``min``/``max`` (scale statistics, 3 values) and ``mean``/``std`` (normalisation
  statistics, 3 values, float32), plus per-point label arrays this reader does not need.
- The object arrays were pickled with protocol 2 for Python 2 (``numpy.core.multiarray
  ._reconstruct`` with ``_codecs.encode(<str>, 'latin1')`` payloads); they are read with the
  restricted unpickler, which admits exactly that and nothing that can run code.
- ``preprocessing`` may *repeat* steps, e.g. ``scale, scale, origin_translation,
  relative_representation, normalization, normalization`` (merging the IAM-OnDB and ETH sets and
  the validation split append the names again); each step was applied once. Undoing follows the
  authors' ``undo_preprocess``: each step at most once, in this fixed order: normalisation
  (``x * std + mean``), relative representation (cumulative sum; the first row is 0), origin
  translation (per-sample offsets are not stored, so ink starts at the origin), scale
  (``x * (max - min) + min``). So the first point comes back at (min_x, min_y).

Strokes are cut after each pen-up point. Files named otherwise (``*.npz``) are read as train
unless their name contains "valid".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from inkrepro.data.readers import _base
from inkrepro.data.schema import Example
from inkrepro.errors import BadRecord

SOURCE = _base.SourceInfo(
    name="deepwriting",
    kind="ink",
    title="DeepWriting (preprocessed IAM-OnDB + ETH handwriting)",
    licence="DeepWriting data: non-commercial research (ETH / IAM-OnDB terms); no redistribution",
    citation="Aksan, Pece & Hilliges, DeepWriting: Making Digital Ink Editable via Deep "
             "Generative Modeling, CHI 2018",
    url="https://github.com/emreaksan/deepwriting (data: ait.ethz.ch/deepwriting)",
    layout=("ROOT/deepwriting_training.npz     from deepwriting_dataset.zip\n"
            "ROOT/deepwriting_validation.npz"),
    language="en", script="Latn",
    paper_role="digital-ink training (English)",
    module=__name__,
)

FILES = {"deepwriting_training.npz": "train", "deepwriting_validation.npz": "validation"}


def _check(root: Path) -> None:
    if not any((root / f).is_file() for f in FILES) and not list(root.glob("*.npz")):
        raise _base.layout_error(SOURCE, root, "deepwriting_training.npz")


def _files(root: Path) -> list[tuple[str, Path]]:
    out = [(s, root / f) for f, s in FILES.items() if (root / f).is_file()]
    if not out:
        for p in sorted(root.glob("*.npz")):
            out.append(("validation" if "valid" in p.name else "train", p))
    return out


# The authors' undo_preprocess order (dataset_hw.py); names not here change no coordinates.
UNDO_ORDER = ("normalization", "relative_representation", "origin_translation", "scale")


def undo_preprocessing(sample: np.ndarray, steps: list[str], stats: dict[str, np.ndarray]) -> np.ndarray:
    """(T, 3) preprocessed (x, y, pen) -> (T, 3) with x, y in the scale the data had before.
    ``steps`` may repeat names: each step is undone once, in UNDO_ORDER."""
    out = np.array(sample[:, :3], dtype=np.float64)
    for step in (s for s in UNDO_ORDER if s in steps):
        if step == "normalization":
            out[:, :2] = out[:, :2] * stats["std"][:2] + stats["mean"][:2]
        elif step == "relative_representation":
            out[:, :2] = np.cumsum(out[:, :2], axis=0)
        elif step == "scale":
            lo, hi = stats["min"][:2], stats["max"][:2]
            out[:, :2] = out[:, :2] * (hi - lo) + lo
    out[:, 2] = sample[:, 2]
    return out


def split_strokes(xyp: np.ndarray) -> list[np.ndarray]:
    """Cut after every point whose pen flag is 1 (pen up after that point)."""
    ends = np.flatnonzero(xyp[:, 2] > 0.5) + 1
    return [s[:, :2] for s in np.split(xyp, ends) if len(s)]


def _stats(data: dict, where: str) -> tuple[list[str], dict[str, np.ndarray]]:
    """(the steps to undo, in UNDO_ORDER, each once; the statistics they need)."""
    listed = {str(s) for s in np.asarray(data.get("preprocessing", [])).reshape(-1).tolist()}
    steps = [s for s in UNDO_ORDER if s in listed]
    stats: dict[str, np.ndarray] = {}
    if "normalization" in steps:
        if "mean" not in data or "std" not in data:
            raise BadRecord("missing normalisation statistics", where, "preprocessing lists "
                            "normalization but mean/std are absent")
        stats["mean"] = np.asarray(data["mean"], dtype=np.float64).reshape(-1)
        stats["std"] = np.asarray(data["std"], dtype=np.float64).reshape(-1)
    if "scale" in steps:
        if "min" in data and "max" in data:
            stats["min"] = np.asarray(data["min"], dtype=np.float64).reshape(-1)
            stats["max"] = np.asarray(data["max"], dtype=np.float64).reshape(-1)
        else:
            steps.remove("scale")  # the sample is kept; its aspect ratio cannot be restored
            stats["scale_missing"] = np.ones(1)
    return steps, stats


def _example(sample, text, writer, idx: int, split: str, steps, stats, where: str) -> Example:
    arr = np.asarray(sample, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] < 3 or len(arr) == 0:
        raise BadRecord("malformed sample", where, f"shape {arr.shape}, need (T, 3)")
    if not np.isfinite(arr).all():
        raise BadRecord("invalid ink", where, "NaN or infinite values")
    ink = _base.ink_from_points(split_strokes(undo_preprocessing(arr, steps, stats)), where)
    return Example(id=f"{split}/{idx:06d}", source=SOURCE.name, split=split, kind="ink",
                   text=str(text), ink=ink, writer=str(writer), language="en", script="Latn",
                   meta={"preprocessing_undone": [s for s in steps if s != "origin_translation"],
                         "aspect_restored": "scale_missing" not in stats})


# What the reader uses of a file (its per-point label arrays are not loaded).
KEYS = ("samples", "strokes", "texts", "subject_labels", "preprocessing", "mean", "std", "min", "max")


def _read(root: Path, ctx: _base.ReadContext, split: str | None = None) -> Iterator[Example]:
    for s, path in _files(root):
        if split is not None and s != split:
            continue
        try:
            data = _base.load_npz(path, keys=KEYS)
        except _base.RefusedPickle:
            raise
        except Exception as e:  # noqa: BLE001 - zip/npy format errors of any kind
            ctx.bad(BadRecord("malformed npz", path.name, f"{type(e).__name__}: {e}"[:200]))
            continue
        key = "samples" if "samples" in data else "strokes" if "strokes" in data else None
        if key is None or "texts" not in data:
            ctx.bad(BadRecord("malformed npz", path.name, "needs samples (or strokes) and texts"))
            continue
        st = ctx.guard(_stats, data, path.name)
        if st is None:
            continue
        steps, stats = st
        samples, texts = data[key], data["texts"]
        writers = data.get("subject_labels", np.zeros(len(samples), dtype=np.int64))
        if len(texts) != len(samples):
            ctx.bad(BadRecord("malformed npz", path.name, f"{len(samples)} samples, {len(texts)} texts"))
            continue
        for i in range(len(samples)):
            w = writers[i] if i < len(writers) else ""
            w = np.asarray(w).reshape(-1)[0] if np.asarray(w).size else ""
            ex = ctx.guard(_example, samples[i], texts[i], w, i, s, steps, stats, f"{path.name} [{i}]")
            if ex is not None:
                yield ex


read = _base.make_reader(SOURCE, _read, _check)
