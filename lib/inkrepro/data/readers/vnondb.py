"""HANDS-VNOnDB (online ink + text; Vietnamese), InkML.

Paper role: digital-ink training (Vietnamese). Each InkML file holds the traces of a paragraph and
the segmentation as nested ``traceGroup`` elements, each with an ``annotation type="truth"`` and,
at the leaves, ``traceView traceDataRef="..."`` pointing at ``trace`` ids::

    <ink><trace id="0">x y, x y, ...</trace> ...
      <traceGroup><annotation type="truth">paragraph</annotation>
        <traceGroup><annotation type="truth">line</annotation>
          <traceGroup><annotation type="truth">word</annotation>
            <traceView traceDataRef="0"/> ...

Parsed with the ink core's InkML reader (:mod:`inkrepro.ink.inkml`, defusedxml).
``level="word"`` yields the leaf groups, ``level="line"`` their parents. A file without any
traceGroup is one sample (its root ``truth`` annotation; the word/line-level releases). Splits
come from ``train/``, ``valid[ation]/``, ``test/`` folders or split lists of file stems
(``split_lists``); otherwise ``default_split`` ("train": the paper trains on it only).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from inkrepro.data.readers import _base
from inkrepro.data.schema import Example
from inkrepro.errors import BadRecord, InkError, UserError
from inkrepro.ink.inkml import parse_inkml

SOURCE = _base.SourceInfo(
    name="vnondb",
    kind="ink",
    title="HANDS-VNOnDB (Vietnamese online handwriting)",
    licence="HANDS-VNOnDB terms: research use after request; no redistribution",
    citation="Nguyen et al., A database of unconstrained Vietnamese online handwriting and "
             "recognition experiments by recurrent neural networks, Pattern Recognition 78, 2018",
    url="http://tc11.cvc.uab.es/datasets/HANDS-VNOnDB2018_1",
    layout=("ROOT/[train|validation|test/]**/*.inkml   InkML with nested truth traceGroups"),
    language="vi", script="Latn",
    paper_role="digital-ink training (Vietnamese)",
    module=__name__,
)

SPLIT_DIRS = _base.SPLIT_DIRS


def _check(root: Path) -> None:
    _base.require_glob(SOURCE, root, "**/*.inkml", "InkML files (**/*.inkml)")


def _reason(msg: str) -> str:
    m = msg.lower()
    if "unknown trace" in m:
        return "unknown trace id"
    if "well-formed" in m:
        return "malformed XML"
    if "entity" in m or "forbidden" in m:
        return "forbidden XML construct"
    if "utf-8" in m:
        return "text encoding"
    return "malformed InkML"


def _samples(data: bytes, where: str, level: str) -> list[tuple[str, str | None, object]]:
    """(group id, truth text or None, Ink) per sample, via the ink core's InkML parser."""
    try:
        doc = parse_inkml(data, where)
    except InkError as e:
        raise BadRecord(_reason(str(e)), where, str(e).split(": ", 1)[-1][:200]) from None
    if not doc.groups:
        return [("0", doc.annotations.get("truth"), doc.ink)]

    def walk(gs):
        for g in gs:
            yield g
            yield from walk(g.groups)

    groups = list(walk(doc.groups))
    if level == "word":
        picked = [g for g in groups if not g.groups]
    else:
        picked = [g for g in groups if g.groups and all(not c.groups for c in g.groups)]
    return [(g.id or str(i), g.annotations.get("truth"), doc.group_ink(g)) for i, g in enumerate(picked)]


def _read(root: Path, ctx: _base.ReadContext, split: str | None = None, *, level: str = "word",
          default_split: str = "train", split_lists: Mapping[str, object] | None = None) -> Iterator[Example]:
    if level not in ("word", "line"):
        raise UserError(f"vnondb: level must be word or line, got {level!r}")
    lists = _base.SplitLists.from_spec(split_lists, root, {})
    return _records(root, ctx, split, level, default_split, lists)


def _records(root: Path, ctx: _base.ReadContext, split: str | None, level: str, default_split: str,
             lists: _base.SplitLists) -> Iterator[Example]:
    for path in sorted(root.glob("**/*.inkml")):
        rel = str(path.relative_to(root))
        s = next((SPLIT_DIRS[p.lower()] for p in path.relative_to(root).parts[:-1]
                  if p.lower() in SPLIT_DIRS), None)
        s = lists.split_of(path.stem, default=s or default_split) if lists else (s or default_split)
        if split is not None and s != split:
            continue
        samples = ctx.guard(_samples, path.read_bytes(), rel, level)
        if samples is None:
            continue
        for gid, text, ink in samples:
            where = f"{rel} [{gid}]"
            if text is None:
                ctx.bad(BadRecord("missing truth annotation", where))
                continue
            if not text.strip():
                ctx.drop("empty transcription")
                continue
            ink = ctx.guard(_base.ink_from_points, [st.xy if not st.has_time else
                                                    np.column_stack([st.xy, st.t]) for st in ink], where)
            if ink is None:
                continue
            yield Example(id=f"{path.stem}/{gid}", source=SOURCE.name, split=s, kind="ink",
                          text=text.strip(), ink=ink, language="vi", script="Latn",
                          meta={"level": level, "file": rel})


read = _base.make_reader(SOURCE, _read, _check)
