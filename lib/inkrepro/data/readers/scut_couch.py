"""SCUT-COUCH2009 (online ink of Chinese characters and words), ``.idx`` + ``.dat`` pairs.

Paper role: digital-ink training (Chinese). Format facts (the release's binary layout, as two
independent public readers parse it: shinrai2/readCouch ``main.go`` and the ``couch_raw_item`` /
``couch_item`` reader of an az handwriting library):

- One folder per subset, named ``Couch_<set>_<writers>`` (``Couch_GB1_188``, ``Couch_GB2_195``,
  ``Couch_Digit_195``, ``Couch_Letter_195``, ``Couch_Symbol_130``, ...); one writer per file
  pair ``<set>_<NNN>.idx`` + ``<set>_<NNN>.dat`` (the data file may be ``.DAT``, e.g.
  ``Couch_GB1_188/GB1_049.DAT``). All numbers little-endian.
- ``.idx``: uint32 sample count, then per sample 13 bytes: uint8 state, uint32 index in the
  original writing session, uint32 index, uint32 byte offset of the sample in ``.dat``.
- ``.dat`` at that offset: uint8 label length n; n bytes label (GBK / GB18030; one character,
  or a word in the word sets); uint16 point count; uint16 stroke count; uint16 m; m x uint16
  time-point indices; m x uint32 elapsed times; then per stroke: uint16 point count k and
  k x (uint16 x, uint16 y).

A sample whose offset, point count or label does not hold up is a bad record named by file and
sample index. There is no published train/test split: every sample gets ``default_split``
("train"; the paper trains on it only). Writer = file stem (``GB1_001``).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from inkrepro.data.readers import _base
from inkrepro.data.schema import Example
from inkrepro.errors import BadRecord

SOURCE = _base.SourceInfo(
    name="scut-couch",
    kind="ink",
    title="SCUT-COUCH2009 (Chinese online handwriting)",
    licence="SCUT-COUCH terms: research use after a signed agreement; no redistribution",
    citation="Jin, Gao, Li & Zhang, SCUT-COUCH2009: a comprehensive online unconstrained Chinese "
             "handwriting database and benchmark evaluation, IJDAR 14:53-64, 2011",
    url="http://www.hcii-lab.net/data/scutcouch/",
    layout=("ROOT/Couch_GB1_188/GB1_001.idx + GB1_001.dat (or .DAT)   one file pair per writer\n"
            "ROOT/Couch_<set>_<writers>/...                       every subset folder found is read"),
    language="zh", script="Hani",
    paper_role="digital-ink training (Chinese)",
    module=__name__,
)

IDX_RECORD = struct.Struct("<BIII")  # state, session index, index, .dat offset


def _pairs(root: Path) -> list[tuple[Path, Path | None]]:
    """(.idx, its .dat/.DAT or None) for every index file under ROOT."""
    out = []
    for idx in sorted(p for p in root.glob("**/*") if p.suffix.lower() == ".idx" and p.is_file()):
        dat = next((idx.with_suffix(e) for e in (".dat", ".DAT", ".Dat") if idx.with_suffix(e).is_file()), None)
        out.append((idx, dat))
    return out


def _check(root: Path) -> None:
    if not _pairs(root):
        raise _base.layout_error(SOURCE, root, "Couch_<set>_<writers>/<set>_<NNN>.idx with its .dat")


def parse_sample(dat: bytes, offset: int, where: str, encoding: str) -> tuple[str, list[np.ndarray]]:
    """(label, strokes as (k, 2) float arrays) of the sample at ``offset`` of a .dat file."""
    try:
        n = dat[offset]
        code = dat[offset + 1:offset + 1 + n]
        pos = offset + 1 + n
        n_points, n_strokes, m = struct.unpack_from("<HHH", dat, pos)
        pos += 6 + 6 * m  # time-point indices (uint16) and elapsed times (uint32)
        strokes = []
        for _ in range(n_strokes):
            k, = struct.unpack_from("<H", dat, pos)
            xy = np.frombuffer(dat, dtype="<u2", count=2 * k, offset=pos + 2).reshape(k, 2)
            strokes.append(xy.astype(np.float64))
            pos += 2 + 4 * k
    except (IndexError, struct.error, ValueError):
        raise BadRecord("truncated sample", where, f"offset {offset} runs past the end of the .dat "
                        f"({len(dat)} bytes)") from None
    if len(code) != n or not code.strip(b"\0"):
        raise BadRecord("bad label code", where, code.hex())
    try:
        label = code.rstrip(b"\0").decode(encoding)
    except UnicodeDecodeError:
        raise BadRecord("bad label code", where, f"{code.hex()} is not {encoding}") from None
    if sum(len(s) for s in strokes) != n_points:
        raise BadRecord("point count mismatch", where,
                        f"header says {n_points}, strokes hold {sum(len(s) for s in strokes)}")
    return label, strokes


def _read(root: Path, ctx: _base.ReadContext, split: str | None = None, *, encoding: str = "gb18030",
          default_split: str = "train") -> Iterator[Example]:
    if split is not None and split != default_split:
        return
    for idx, dat_path in _pairs(root):
        rel = str(idx.relative_to(root))
        if dat_path is None:
            ctx.bad(BadRecord("missing .dat", rel, "no .dat or .DAT beside the .idx"))
            continue
        index, dat = idx.read_bytes(), dat_path.read_bytes()
        if len(index) < 4:
            ctx.bad(BadRecord("malformed index", rel, f"{len(index)} bytes"))
            continue
        count, = struct.unpack_from("<I", index, 0)
        present = (len(index) - 4) // IDX_RECORD.size
        if present < count:  # the announced samples it does not hold cannot be named: one count
            ctx.bad(BadRecord("truncated index", rel, f"{count} samples announced, {present} present"))
        for i in range(min(count, present)):
            state, session_index, _, offset = IDX_RECORD.unpack_from(index, 4 + i * IDX_RECORD.size)
            where = f"{rel} [sample {i}]"
            parsed = ctx.guard(parse_sample, dat, offset, where, encoding)
            if parsed is None:
                continue
            ink = ctx.guard(_base.ink_from_points, parsed[1], where)
            if ink is None:
                continue
            yield Example(id=f"{idx.parent.name}/{idx.stem}/{i:05d}", source=SOURCE.name,
                          split=default_split, kind="ink", text=parsed[0], ink=ink, writer=idx.stem,
                          language="zh", script="Hani",
                          meta={"file": rel, "subset": idx.parent.name, "state": state,
                                "session_index": session_index})


read = _base.make_reader(SOURCE, _read, _check)
