"""HANDS-VNOnDB (online ink + text; Vietnamese), InkML as the ICFHR 2018 release ships it.

Paper role: digital-ink training (Vietnamese). Format facts (the release's InkML, as read by the
public converters vndee/vnondb-extractor and VinhLoiIT/vnondb_convert):

- Three segmentations of the same 1,146 paragraphs come as separate folders of the same file
  names: ``InkData_word/``, ``InkData_line/``, ``InkData_paragraph/`` (e.g.
  ``InkData_word/20140603_0003_BCCTC.inkml``). ``level`` picks the folder (default ``word``).
- A file is un-namespaced ``<ink>``: an optional document ``<annotationXML>``, then one *flat*
  ``<traceGroup id="...">`` per sample (word, line or paragraph), each holding its label and its
  traces directly (no ``traceView``)::

      <ink>
        <annotationXML>...</annotationXML>
        <traceGroup id="tg_0_0">
          <annotationXML><Tg_Truth>Việt</Tg_Truth></annotationXML>
          <trace id="...">x y,x y,...</trace> ...

  Traces are ``x y`` pairs separated by commas (integers in practice; line breaks may occur).
  Sample ids are ``<file stem>/<group id>`` (the converters name their outputs the same way).
- Splits: ``VNOnDB_ICFHR2018_dataSplit/{train_set,validation_set,test_set}.txt`` (the
  ICFHR 2018 competition split, downloaded as ``VNOnDB_ICFHR2018_dataSplit.zip``; the three
  files may also sit in ROOT) list InkML file names, one per line; the same names apply to every
  level. Files no list names are ``unassigned``. Without the split files every file gets
  ``default_split`` ("train": the paper trains on it only); ``split_lists`` overrides both.

Parsed with the ink core's InkML reader (:mod:`inkrepro.ink.inkml`, defusedxml), which also
resolves ``traceView`` references and ``<annotation type="truth">`` labels where a file has them.
A group without a ``Tg_Truth`` (or ``truth``) label is a bad record; an empty label is filtered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from inkrepro.data.readers import _base
from inkrepro.data.schema import Example
from inkrepro.errors import BadRecord, UserError

LEVELS = ("word", "line", "paragraph")
SPLIT_DIR = "VNOnDB_ICFHR2018_dataSplit"
SPLIT_FILES = {"train_set.txt": "train", "validation_set.txt": "validation", "test_set.txt": "test"}

SOURCE = _base.SourceInfo(
    name="vnondb",
    kind="ink",
    title="HANDS-VNOnDB (Vietnamese online handwriting)",
    licence="HANDS-VNOnDB terms: research use after request; no redistribution",
    citation="Nguyen et al., A database of unconstrained Vietnamese online handwriting and "
             "recognition experiments by recurrent neural networks, Pattern Recognition 78, 2018",
    url="http://tc11.cvc.uab.es/datasets/HANDS-VNOnDB2018_1",
    layout=("ROOT/InkData_word/<name>.inkml        one flat <traceGroup> per word (-o level=word)\n"
            "ROOT/InkData_line/<name>.inkml        ... per line (-o level=line)\n"
            "ROOT/InkData_paragraph/<name>.inkml   ... per paragraph (-o level=paragraph)\n"
            f"ROOT/{SPLIT_DIR}/train_set.txt validation_set.txt test_set.txt   file names per split"),
    language="vi", script="Latn",
    paper_role="digital-ink training (Vietnamese)",
    module=__name__,
)


def _level_dir(level: str) -> str:
    return f"InkData_{level}"


def _check(root: Path) -> None:
    if not any((root / _level_dir(lv)).is_dir() for lv in LEVELS):
        raise _base.layout_error(SOURCE, root, "InkData_word/ (or InkData_line/, InkData_paragraph/)")


def _samples(data: bytes, where: str) -> list[tuple[str, str | None, list[np.ndarray]]]:
    """(group id, label or None, strokes) per top-level traceGroup."""
    doc = _base.parse_inkml(data, where)
    if not doc.groups:
        raise BadRecord("no traceGroup", where, "expected one <traceGroup> per sample")
    out = []
    for i, g in enumerate(doc.groups):
        label = g.annotations.get("Tg_Truth", g.annotations.get("truth"))
        strokes = [doc.ink.strokes[k].xy for k in g.all_traces()]
        out.append((g.id or str(i), label, strokes))
    return out


def _read(root: Path, ctx: _base.ReadContext, split: str | None = None, *, level: str = "word",
          default_split: str = "train", split_lists: Mapping[str, object] | None = None) -> Iterator[Example]:
    if level not in LEVELS:
        raise UserError(f"vnondb: level must be one of {', '.join(LEVELS)}, got {level!r}")
    folder = root / _level_dir(level)
    if not folder.is_dir():
        raise _base.layout_error(SOURCE, root, f"{_level_dir(level)}/ (for level={level})")
    files = sorted(folder.glob("*.inkml"))
    if not files:
        raise _base.layout_error(SOURCE, root, f"{_level_dir(level)}/*.inkml")
    auto = {**{f"{SPLIT_DIR}/{name}": s for name, s in SPLIT_FILES.items()}, **SPLIT_FILES}
    lists = _base.SplitLists.from_spec(split_lists, root, auto)
    return _records(root, ctx, split, files, level, default_split, lists)


def _split_of(path: Path, lists: _base.SplitLists, default_split: str) -> str:
    if not lists:
        return default_split
    return lists.split_of(path.name, "") or lists.split_of(path.stem, "") or _base.UNASSIGNED


def _records(root: Path, ctx: _base.ReadContext, split: str | None, files: list[Path], level: str,
             default_split: str, lists: _base.SplitLists) -> Iterator[Example]:
    for path in files:
        s = _split_of(path, lists, default_split)
        if split is not None and s != split:
            continue
        rel = str(path.relative_to(root))
        samples = ctx.guard(_samples, path.read_bytes(), rel)
        if samples is None:
            continue
        for gid, text, strokes in samples:
            where = f"{rel} [{gid}]"
            if text is None:
                ctx.bad(BadRecord("missing truth annotation", where, "no <annotationXML><Tg_Truth>"))
                continue
            if not text.strip():
                ctx.drop("empty transcription")
                continue
            ink = ctx.guard(_base.ink_from_points, strokes, where)
            if ink is None:
                continue
            yield Example(id=f"{path.stem}/{gid}", source=SOURCE.name, split=s, kind="ink",
                          text=_base.norm_space(text), ink=ink, language="vi", script="Latn",
                          meta={"level": level, "file": rel, "group": gid})


read = _base.make_reader(SOURCE, _read, _check)
