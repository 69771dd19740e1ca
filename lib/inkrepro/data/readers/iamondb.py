"""IAM On-Line Handwriting Database (online ink + text, text lines).

Not in the paper's mixture (the paper uses DeepWriting, a preprocessed IAM-OnDB); provided so
that the raw data can be used directly. Format facts (the database's own files; the exceptions
below are those public IAM-OnDB readers work around, e.g. the a08-551z and z01-000z blacklists):

- ``lineStrokes/a01/a01-000/a01-000u-01.xml``: one file per written line::

      <WhiteboardCaptureSession><StrokeSet>
        <Stroke colour="black" start_time="769.05" end_time="769.64">
          <Point x="1073" y="1058" time="769.05"/> ...

- ``ascii/a01/a01-000/a01-000u.txt``: the form's text; the lines after ``CSR:`` (a blank line
  follows it) are the transcriptions of the stroke files in order (``-01`` is the first).
- A CSR line can span two stroke files: ``%%%%%%%%%%%`` marks where the second begins (form
  a08-551z: 9 stroke files, 8 CSR lines; line 8 reads "... ankle bone %%%%%%%%%%% pinned.").
  The reader splits CSR lines at such a marker (three or more ``%``) before numbering them.
- Some forms carry the placeholder CSR "Please Enter Transcription here" (eight in the full
  set): every line of such a form is skipped and counted as "placeholder label".
- Split lists (``trainset.txt``, ``testset_v.txt``, ``testset_t.txt``, ``testset_f.txt``) list
  form ids; a listed form covers its lines. Unlisted lines get ``unassigned``.

Timestamps become seconds from the line's first point. A stroke file whose number has no CSR
line is skipped as "no transcription for line".
"""

from __future__ import annotations

import re
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


_MARKER = re.compile(r"\s*%{3,}\s*")


def _csr_lines(path: Path, where: str) -> list[str]:
    """The transcription of each stroke file of a form, in order (CSR lines split at markers)."""
    if not path.is_file():
        raise BadRecord("missing transcription", where, str(path.name))
    text = _base.decode_text(path.read_bytes(), where, ("utf-8", "latin-1"))
    lines = text.splitlines()
    for i, ln in enumerate(lines):
        if ln.strip().startswith("CSR:"):
            csr = [x.strip() for x in lines[i + 1:] if x.strip()]
            if any(_base.is_placeholder(x) for x in csr):
                raise BadRecord(_base.PLACEHOLDER_REASON, where, f"{path.name}: {csr[0]!r}")
            return [part for x in csr for part in _MARKER.split(x)]
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
    forms: dict[Path, _base.Shared] = {}
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
        ascii_path = root / "ascii" / xml.parent.relative_to(root / "lineStrokes") / f"{form}.txt"
        if ascii_path not in forms:
            forms[ascii_path] = ctx.shared(_csr_lines, ascii_path)
        lines = forms[ascii_path].get(rel)
        if lines is None:
            continue
        k = int(num) - 1
        if not 0 <= k < len(lines) or not lines[k]:
            ctx.bad(BadRecord("no transcription for line", rel, f"line {k + 1} of {len(lines)}"))
            continue
        ink = ctx.guard(_ink, xml.read_bytes(), rel)
        if ink is None:
            continue
        yield Example(id=lid, source=SOURCE.name, split=s, kind="ink", text=lines[k], ink=ink,
                      language="en", script="Latn", meta={"form": form, "file": rel})


read = _base.make_reader(SOURCE, _read, _check)
