"""The .pot binary format of CASIA-OLHWDB 1.0-1.2 (isolated online characters).

A file is a sequence of samples, each one isolated character::

    uint16  sample size in bytes (this header included), little-endian
    4 bytes tag code: the GB2312/GBK code in the first two bytes (low byte first, as the
            CASIA tools write it; ``byte_order="natural"`` reads high byte first), then 0, 0
    uint16  stroke count
    int16 x, int16 y ...  points; (-1, 0) ends a stroke, (-1, -1) ends the character

A sample whose declared size, stroke count or end marker disagree with its points, or whose tag
code does not decode, is a bad record; the reader resynchronises on the declared size, and a
sample running past the end of the file ends the file ("truncated sample").
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from inkrepro.data.readers import _base
from inkrepro.data.schema import Example
from inkrepro.errors import BadRecord

HEADER = 8


def decode_tag(tag: bytes, where: str, encoding: str = "gbk", byte_order: str = "swapped") -> str:
    if len(tag) != 4 or tag[2:] != b"\0\0":
        raise BadRecord("bad tag code", where, tag.hex())
    code = bytes((tag[1], tag[0])) if byte_order == "swapped" else tag[:2]
    code = code.strip(b"\0")
    if not code:
        raise BadRecord("bad tag code", where, tag.hex())
    try:
        return code.decode(encoding)
    except UnicodeDecodeError:
        raise BadRecord("bad tag code", where, f"{tag.hex()} is not {encoding}") from None


def parse_sample(buf: bytes, where: str, encoding: str, byte_order: str) -> tuple[str, list[np.ndarray]]:
    size, = struct.unpack_from("<H", buf, 0)
    char = decode_tag(buf[2:6], where, encoding, byte_order)
    n_strokes, = struct.unpack_from("<H", buf, 6)
    body = buf[HEADER:]
    if len(body) % 4:
        raise BadRecord("sample size mismatch", where, f"{size} bytes is not header + 4*points")
    xy = np.frombuffer(body, dtype="<i2").reshape(-1, 2).astype(np.int64)
    end = np.flatnonzero((xy[:, 0] == -1) & (xy[:, 1] == -1))
    if len(end) == 0 or end[0] != len(xy) - 1:
        raise BadRecord("missing character end marker", where, "(-1, -1) must end the sample")
    xy = xy[:-1]
    cuts = np.flatnonzero((xy[:, 0] == -1) & (xy[:, 1] == 0))
    strokes = [s for s in np.split(xy, cuts) if len(s)]
    strokes = [s[1:] if len(s) and s[0, 0] == -1 and s[0, 1] == 0 else s for s in strokes]
    strokes = [s.astype(np.float64) for s in strokes if len(s)]
    if len(strokes) != n_strokes or len(cuts) != n_strokes:
        raise BadRecord("stroke count mismatch", where, f"header says {n_strokes}, found {len(cuts)} end markers")
    return char, strokes


def iter_file(path: Path, rel: str, ctx: _base.ReadContext, encoding: str,
              byte_order: str) -> Iterator[tuple[int, str, list[np.ndarray]]]:
    data = path.read_bytes()
    pos, i = 0, 0
    while pos < len(data):
        where = f"{rel} [sample {i} @ byte {pos}]"
        if len(data) - pos < HEADER:
            ctx.bad(BadRecord("truncated sample", where, f"{len(data) - pos} trailing bytes"))
            return
        size, = struct.unpack_from("<H", data, pos)
        if size < HEADER + 4:
            ctx.bad(BadRecord("sample size mismatch", where, f"declared {size} bytes"))
            return
        if pos + size > len(data):
            ctx.bad(BadRecord("truncated sample", where, f"declared {size} bytes, {len(data) - pos} left"))
            return
        parsed = ctx.guard(parse_sample, data[pos:pos + size], where, encoding, byte_order)
        if parsed is not None:
            yield i, parsed[0], parsed[1]
        pos += size
        i += 1


def split_of(path: Path, root: Path, default: str) -> str:
    for part in path.relative_to(root).parts[:-1]:
        p = part.lower()
        if "trn" in p or "train" in p:
            return "train"
        if "tst" in p or "test" in p:
            return "test"
    return default


def read_pot_tree(source: _base.SourceInfo, root: Path, ctx: _base.ReadContext, split: str | None,
                  encoding: str, byte_order: str, default_split: str) -> Iterator[Example]:
    files = sorted(p for p in root.glob("**/*") if p.suffix.lower() == ".pot" and p.is_file())
    for path in files:
        s = split_of(path, root, default_split)
        if split is not None and s != split:
            continue
        rel = str(path.relative_to(root))
        for i, char, strokes in iter_file(path, rel, ctx, encoding, byte_order):
            where = f"{rel} [sample {i}]"
            ink = ctx.guard(_base.ink_from_points, strokes, where)
            if ink is None:
                continue
            yield Example(id=f"{path.stem}/{i:05d}", source=source.name, split=s, kind="ink",
                          text=char, ink=ink, writer=path.stem.split("-")[0], language="zh",
                          script="Hani", meta={"file": rel})


def check(source: _base.SourceInfo, root: Path) -> None:
    if not any(p.suffix.lower() == ".pot" for p in root.glob("**/*")):
        raise _base.layout_error(source, root, "*.pot files")


def make_reader(source: _base.SourceInfo):
    """The module-level ``read`` of a ``.pot`` dataset (CASIA-OLHWDB): options
    ``encoding`` (default GBK), ``byte_order`` (default "swapped") and ``default_split``."""
    def body(root: Path, ctx, split=None, *, encoding: str = "gbk", byte_order: str = "swapped",
             default_split: str = "train"):
        return read_pot_tree(source, root, ctx, split, encoding, byte_order, default_split)

    return _base.make_reader(source, body, lambda root: check(source, root))
