"""Parquet shard store for examples: synthetic caches and prepared real datasets.

Layout: ``<root>/shards/<name>.parquet`` (one row per Example) and ``<root>/store.json``
(free-form metadata: source, config, licence, counts). Shard writes are atomic (temporary
file + rename), so a killed job never leaves a half-written shard that looks finished.

Row columns: id, source, split, kind, text, writer, language, script (strings); image (PNG
or JPEG bytes, null if none), image_format; points (flat float32 x,y,...), stroke_lengths
(int32), t (float64, null if no time), has_ink; meta (JSON string).
"""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from PIL import Image

from inkrepro import storage
from inkrepro.data.schema import Example
from inkrepro.errors import UserError
from inkrepro.ink.core import Ink

SCHEMA = pa.schema([
    ("id", pa.string()), ("source", pa.string()), ("split", pa.string()), ("kind", pa.string()),
    ("text", pa.string()), ("writer", pa.string()), ("language", pa.string()),
    ("script", pa.string()), ("image", pa.binary()), ("image_format", pa.string()),
    ("has_ink", pa.bool_()), ("points", pa.list_(pa.float32())),
    ("stroke_lengths", pa.list_(pa.int32())), ("t", pa.list_(pa.float64())),
    ("meta", pa.string()),
])


def encode_image(img: np.ndarray, fmt: str = "png", quality: int = 95) -> bytes:
    buf = io.BytesIO()
    if fmt == "png":
        Image.fromarray(img).save(buf, format="PNG", compress_level=1)
    elif fmt == "jpeg":
        Image.fromarray(img).save(buf, format="JPEG", quality=quality)
    else:
        raise ValueError(f"image format must be png or jpeg, got {fmt!r}")
    return buf.getvalue()


def decode_image(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB")).copy()


def _json_default(o: Any):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def to_row(ex: Example, image_format: str = "png") -> dict[str, Any]:
    row: dict[str, Any] = {k: getattr(ex, k) for k in
                           ("id", "source", "split", "kind", "text", "writer", "language", "script")}
    fmt = ex.meta.get("image_format", image_format)
    row["image"] = None if ex.image is None else encode_image(ex.image, fmt)
    row["image_format"] = "" if ex.image is None else fmt
    row["has_ink"] = ex.ink is not None
    if ex.ink is not None:
        pts, lens, t = ex.ink.to_arrays()
        row["points"] = pts.astype(np.float32).reshape(-1)
        row["stroke_lengths"] = lens.astype(np.int32)
        row["t"] = t
    else:
        row["points"], row["stroke_lengths"], row["t"] = None, None, None
    row["meta"] = json.dumps(ex.meta, default=_json_default, sort_keys=True)
    return row


def from_row(row: dict[str, Any]) -> Example:
    ink = None
    if row["has_ink"]:
        pts = np.asarray(row["points"], dtype=np.float64).reshape(-1, 2)
        t = None if row["t"] is None else np.asarray(row["t"], dtype=np.float64)
        ink = Ink.from_arrays(pts, np.asarray(row["stroke_lengths"]), t)
    image = None if row["image"] is None else decode_image(row["image"])
    return Example(id=row["id"], source=row["source"], split=row["split"], kind=row["kind"],
                   text=row["text"] or "", ink=ink, image=image, writer=row["writer"] or "",
                   language=row["language"] or "", script=row["script"] or "",
                   meta=json.loads(row["meta"]) if row["meta"] else {})


def write_examples(path: str | Path, examples: Iterable[Example], image_format: str = "png") -> int:
    """Write examples to one Parquet file atomically; returns the row count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [to_row(ex, image_format) for ex in examples]
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)
    return len(rows)


def read_examples(path: str | Path, split: str | None = None) -> list[Example]:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"shard {path} not found")
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as e:
        raise UserError(f"shard {path} is unreadable ({e}); delete it and prepare again") from e
    if split is not None:
        table = table.filter(pc.equal(table["split"], split))
    return [from_row(r) for r in table.to_pylist()]


class Store:
    """A folder of Parquet shards of Examples."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @property
    def shard_dir(self) -> Path:
        return self.root / "shards"

    def shard_path(self, name: str) -> Path:
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"bad shard name {name!r}")
        return self.shard_dir / f"{name}.parquet"

    def write_shard(self, name: str, examples: Iterable[Example], image_format: str = "png") -> int:
        return write_examples(self.shard_path(name), examples, image_format)

    def has_shard(self, name: str) -> bool:
        return self.shard_path(name).is_file()

    def shards(self) -> list[str]:
        if not self.shard_dir.is_dir():
            return []
        return sorted(p.stem for p in self.shard_dir.glob("*.parquet"))

    def exists(self) -> bool:
        return bool(self.shards())

    def iter_examples(self, split: str | None = None) -> Iterator[Example]:
        for name in self.shards():
            yield from read_examples(self.shard_path(name), split)

    def examples(self, split: str | None = None) -> list[Example]:
        return list(self.iter_examples(split))

    def counts(self) -> dict[str, int]:
        """Examples per split (read from the split column only)."""
        c: Counter = Counter()
        for name in self.shards():
            col = pq.read_table(self.shard_path(name), columns=["split"])["split"].to_pylist()
            c.update(col)
        return dict(sorted(c.items()))

    def write_meta(self, meta: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        # processes of one job may write it at once: each leaves a whole file
        storage.write_text(self.root / "store.json",
                           json.dumps(meta, indent=1, default=_json_default, sort_keys=True))

    def read_meta(self) -> dict[str, Any]:
        p = self.root / "store.json"
        return json.loads(p.read_text()) if p.is_file() else {}

    def __repr__(self) -> str:
        return f"Store({self.root}, shards={len(self.shards())})"


class ExampleSource:
    """Random-access, lazily decoded view of a Store (optionally one split): a grain data
    source (``len``, ``[i]`` -> Example). Columns are held as flat numpy arrays + offsets and
    compact Arrow binaries; images and ink are decoded on access."""

    _STR = ("id", "source", "split", "kind", "text", "writer", "language", "script", "meta",
            "image_format")

    def __init__(self, store: Store | str | Path, split: str | None = None):
        store = store if isinstance(store, Store) else Store(store)
        tables = []
        for name in store.shards():
            t = pq.read_table(store.shard_path(name))
            if split is not None:
                t = t.filter(pc.equal(t["split"], split))
            tables.append(t)
        table = pa.concat_tables(tables).combine_chunks() if tables else SCHEMA.empty_table()
        self.split = split
        self._n = table.num_rows
        self._str = {k: table[k].to_pylist() for k in self._STR}
        self._has_ink = np.asarray(table["has_ink"].to_pylist(), dtype=bool)
        self._image = table["image"].combine_chunks() if self._n else None
        self._lists = {}
        for k, dtype in (("points", np.float64), ("stroke_lengths", np.int64), ("t", np.float64)):
            col = table[k].combine_chunks() if self._n else None
            if col is None:
                self._lists[k] = (np.zeros(0, dtype), np.zeros(1, np.int64), np.zeros(0, bool))
                continue
            vals = col.values.to_numpy(zero_copy_only=False).astype(dtype)
            offs = col.offsets.to_numpy().astype(np.int64)
            valid = ~np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
            self._lists[k] = (vals, offs, valid)

    def __len__(self) -> int:
        return self._n

    def _list(self, k: str, i: int) -> np.ndarray | None:
        vals, offs, valid = self._lists[k]
        return vals[offs[i]:offs[i + 1]] if valid[i] else None

    def __getitem__(self, i: int) -> Example:
        n = self._n
        if not -n <= i < n:
            raise IndexError(i)
        i = int(i) % n
        s = {k: v[i] for k, v in self._str.items()}
        ink = None
        if self._has_ink[i]:
            ink = Ink.from_arrays(self._list("points", i).reshape(-1, 2),
                                  self._list("stroke_lengths", i), self._list("t", i))
        data = self._image[i].as_py() if self._image is not None else None
        return Example(id=s["id"], source=s["source"], split=s["split"], kind=s["kind"],
                       text=s["text"] or "", ink=ink,
                       image=None if data is None else decode_image(data),
                       writer=s["writer"] or "", language=s["language"] or "",
                       script=s["script"] or "", meta=json.loads(s["meta"]) if s["meta"] else {})

    def column(self, name: str) -> list:
        return list(self._str[name])

    def __repr__(self) -> str:
        return f"ExampleSource(rows={len(self)}, split={self.split})"
