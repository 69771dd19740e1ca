"""IAM On-Line Handwriting Database (online ink + text, text lines).

Not in the paper's mixture (the paper uses DeepWriting, a preprocessed IAM-OnDB); provided so
that the raw data can be used directly. ``lineStrokes`` XML, one file per text line::

    <WhiteboardCaptureSession><StrokeSet>
      <Stroke colour="black" start_time="769.05" end_time="769.64">
        <Point x="1073" y="1058" time="769.05"/> ...

``ascii/<a01>/<a01-000>/<a01-000u>.txt`` holds the form's text; the lines after ``CSR:`` are the
line transcriptions in order (line file ``a01-000u-01.xml`` is the first). Timestamps become
seconds from the line's first point. Split lists (``trainset.txt``, ``testset_v.txt``,
``testset_t.txt``, ``testset_f.txt``) list form/line ids; unlisted lines get ``unassigned``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from inkrepro.data.readers import _base
from inkrepro.data.schema import Example
from inkrepro.errors import BadRecord

SOURCE = _base.SourceInfo(
    name="iamondb",
    kind="ink",
    title="IAM On-Line Handwriting Database (IAM-OnDB)",
    licence="IAM-OnDB terms: non-commercial research after registration; no redistribution",
    citation="Liwicki & Bunke, IAM-OnDB - an On-Line English Sentence Database Acquired from "
             "Handwritten Text on a Whiteboard, ICDAR 2005",
    url="https://fki.tic.heia-fr.ch/databases/iam-on-line-handwriting-database",
    layout=("ROOT/lineStrokes/a01/a01-000/a01-000u-01.xml   stroke XML per text line\n"
            "ROOT/ascii/a01/a01-000/a01-000u.txt            form text; line texts after 'CSR:'\n"
            "ROOT/[splits/]trainset.txt testset_v.txt testset_t.txt testset_f.txt  optional"),
    language="en", script="Latn",
    paper_role="",
    module=__name__,
)

AUTO_SPLITS = {"trainset.txt": "train", "testset_v.txt": "validation",
               "testset_t.txt": "validation", "testset_f.txt": "test"}


def _check(root: Path) -> None:
    _base.require(SOURCE, root, "lineStrokes", "ascii")


def _csr_lines(path: Path, where: str) -> list[str]:
    if not path.is_file():
        raise BadRecord("missing transcription", where, str(path.name))
    text = _base.decode_text(path.read_bytes(), where, ("utf-8", "latin-1"))
    lines = text.splitlines()
    for i, ln in enumerate(lines):
        if ln.strip().startswith("CSR:"):
            return [x.strip() for x in lines[i + 1:] if x.strip()]
    raise BadRecord("malformed transcription", where, "no CSR: section")


def _ink(xml_bytes: bytes, where: str):
    tree = _base.parse_xml(xml_bytes, where)
    strokes = []
    for st in _base.iter_local(tree, "Stroke"):
        try:
            pts = [(float(p.get("x")), float(p.get("y")), float(p.get("time")))
                   for p in _base.children(st, "Point")]
        except (TypeError, ValueError):
            raise BadRecord("malformed Point", where, "x/y/time missing or not numbers") from None
        if pts:
            strokes.append(np.asarray(pts))
    if not strokes:
        raise BadRecord("empty ink", where)
    t0 = min(s[:, 2].min() for s in strokes)
    return _base.ink_from_points([np.column_stack([s[:, :2], s[:, 2] - t0]) for s in strokes], where)


def _read(root: Path, ctx: _base.ReadContext, split: str | None = None, *,
          split_lists: Mapping[str, object] | None = None) -> Iterator[Example]:
    return _records(root, ctx, split, _base.SplitLists.from_spec(split_lists, root, AUTO_SPLITS))


def _records(root: Path, ctx: _base.ReadContext, split: str | None, splits: _base.SplitLists) -> Iterator[Example]:
    cache: dict[str, list[str] | None] = {}
    for xml in sorted((root / "lineStrokes").glob("**/*.xml")):
        lid = xml.stem  # a01-000u-01
        rel = str(xml.relative_to(root))
        s = splits.split_of(lid)
        if split is not None and s != split:
            continue
        form, _, num = lid.rpartition("-")
        if not form or not num.isdigit():
            ctx.bad(BadRecord("unexpected file name", rel, "expected <form>-<NN>.xml"))
            continue
        if form not in cache:
            ascii_path = root / "ascii" / xml.parent.relative_to(root / "lineStrokes") / f"{form}.txt"
            cache[form] = ctx.guard(_csr_lines, ascii_path, str(ascii_path.relative_to(root)))
        lines = cache[form]
        if lines is None:
            ctx.skipped["line of unreadable transcription"] += 1
            continue
        k = int(num) - 1
        if not 0 <= k < len(lines):
            ctx.bad(BadRecord("no transcription for line", rel, f"line {k + 1} of {len(lines)}"))
            continue
        ink = ctx.guard(_ink, xml.read_bytes(), rel)
        if ink is None:
            continue
        yield Example(id=lid, source=SOURCE.name, split=s, kind="ink", text=lines[k], ink=ink,
                      language="en", script="Latn", meta={"form": form})


read = _base.make_reader(SOURCE, _read, _check)
