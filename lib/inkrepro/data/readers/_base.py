"""What every real-dataset reader shares: source metadata, skip-and-count, strict mode, layout
errors, split lists, safe image/text/XML/npy loading and crops.

A reader module exposes ``SOURCE`` (a :class:`SourceInfo`) and
``read(root, split=None, strict=False, **options) -> Records``. ``Records`` is an iterator of
:class:`~inkrepro.data.schema.Example`; while it runs it counts skipped bad records by reason
(``records.skipped``) and records dropped by a configured filter (``records.filtered``). With
``strict=True`` the first bad record raises :class:`~inkrepro.errors.BadRecord` naming file and
record (filters never raise: they are choices, not errors).
"""

from __future__ import annotations

import inspect
import io
import pickle
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as DET
import numpy as np
from defusedxml import DefusedXmlException
from numpy.lib import format as npf
from PIL import Image, UnidentifiedImageError

from inkrepro.data.schema import Example
from inkrepro.errors import BadRecord, InkError, UserError
from inkrepro.ink.core import Ink, Stroke

UNASSIGNED = "unassigned"  # split of records no split list names (never used for training)


@dataclass(frozen=True)
class SourceInfo:
    """Where a dataset comes from and how it must be laid out on disk."""

    name: str
    kind: str  # "ocr" | "ink" | "derendered"
    title: str
    licence: str
    citation: str
    url: str
    layout: str  # the expected directory layout, shown in errors and in `data list`
    language: str = ""
    script: str = ""
    paper_role: str = ""  # how the paper uses it ("" if it does not)
    module: str = ""


# --------------------------------------------------------------------------- records + counting


class ReadContext:
    """Counts bad records (skip) and filtered records (drop); strict turns a skip into a raise."""

    def __init__(self, source: SourceInfo, root: Path, strict: bool):
        self.source, self.root, self.strict = source, root, strict
        self.skipped: Counter[str] = Counter()
        self.filtered: Counter[str] = Counter()
        self.examples: Counter[str] = Counter()  # yielded per split
        self.first_bad: dict[str, str] = {}  # reason -> first "where" (for reports)

    def where(self, path: Path | str, record: str | None = None) -> str:
        p = Path(path)
        try:
            rel = p.relative_to(self.root)
        except ValueError:
            rel = p
        return f"{rel}" + (f" [{record}]" if record else "")

    def bad(self, err: BadRecord) -> None:
        if self.strict:
            raise err
        self.skipped[err.reason] += 1
        self.first_bad.setdefault(err.reason, err.where)

    def drop(self, reason: str) -> None:
        self.filtered[reason] += 1

    def guard(self, fn: Callable[..., Any], *args, **kwargs) -> Any:
        """Run ``fn``; on BadRecord (or invalid ink) count it and return None."""
        try:
            return fn(*args, **kwargs)
        except BadRecord as e:
            self.bad(e)
        return None


class Records(Iterator[Example]):
    """An iterator of Examples that also reports what it skipped."""

    def __init__(self, source: SourceInfo, root: Path | str, gen: Callable[[ReadContext], Iterable[Example]],
                 strict: bool = False, split: str | None = None):
        self.source, self.root, self.split = source, Path(root), split
        self.ctx = ReadContext(source, self.root, strict)
        # a body may validate its options before returning its generator: that happens here
        self._it: Iterator[Example] = iter(gen(self.ctx))

    @property
    def skipped(self) -> Counter[str]:
        return self.ctx.skipped

    @property
    def filtered(self) -> Counter[str]:
        return self.ctx.filtered

    @property
    def counts(self) -> Counter[str]:
        return self.ctx.examples

    def __iter__(self) -> Records:
        return self

    def __next__(self) -> Example:
        while True:
            ex = next(self._it)
            if self.split is not None and ex.split != self.split:
                continue
            self.ctx.examples[ex.split] += 1
            return ex

    def report(self) -> dict[str, Any]:
        return {"source": self.source.name, "root": str(self.root), "counts": dict(self.counts),
                "skipped": dict(self.skipped), "filtered": dict(self.filtered),
                "first_bad": dict(self.ctx.first_bad)}


def make_reader(source: SourceInfo, body: Callable[..., Iterable[Example]], check: Callable[[Path], None]):
    """Build a module-level ``read(root, split=None, strict=False, **options)`` function."""

    params = [p for p in inspect.signature(body).parameters.values()
              if p.kind == inspect.Parameter.KEYWORD_ONLY]
    known = {p.name for p in params}

    def read(root: Path | str, split: str | None = None, strict: bool = False, **options) -> Records:
        unknown = sorted(set(options) - known)
        if unknown:
            raise UserError(f"{source.name}: unknown reader option(s) {', '.join(unknown)}; "
                            f"options: {', '.join(sorted(known)) or 'none'}")
        root = Path(root).expanduser()
        if not root.is_dir():
            raise UserError(f"{source.name}: dataset folder {root} does not exist. Expected layout:\n"
                            f"{source.layout}\nGet it from {source.url}")
        check(root)
        return Records(source, root, lambda ctx: body(root, ctx, split=split, **options),
                       strict=strict, split=split)

    read.__doc__ = f"Read {source.title} from ROOT.\n\nLayout:\n{source.layout}"
    read.options = {p.name: p.default for p in params}
    return read


def layout_error(source: SourceInfo, root: Path, missing: str) -> UserError:
    return UserError(f"{source.name}: expected {missing} under {root}. Expected layout:\n"
                     f"{source.layout}\nGet it from {source.url}")


def require(source: SourceInfo, root: Path, *relpaths: str) -> None:
    for rel in relpaths:
        if not (root / rel).exists():
            raise layout_error(source, root, rel)


def require_glob(source: SourceInfo, root: Path, pattern: str, what: str | None = None) -> list[Path]:
    found = sorted(root.glob(pattern))
    if not found:
        raise layout_error(source, root, what or pattern)
    return found


# --------------------------------------------------------------------------- split lists


@dataclass
class SplitLists:
    """Split assignment from id lists (one id per line; a listed id also covers every id that
    extends it by ``-...``, so a form id a01-000u covers its lines and words)."""

    lists: dict[str, set[str]] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)

    def add(self, split: str, path: Path, encoding: str = "utf-8") -> None:
        ids = {ln.strip() for ln in path.read_text(encoding=encoding, errors="replace").splitlines()}
        self.lists.setdefault(split, set()).update(i for i in ids if i and not i.startswith("#"))
        self.files.setdefault(split, []).append(str(path))

    def __bool__(self) -> bool:
        return bool(self.lists)

    def split_of(self, rid: str, default: str = UNASSIGNED) -> str:
        parts = rid.split("-")
        prefixes = ["-".join(parts[:k]) for k in range(len(parts), 0, -1)]
        for split, ids in self.lists.items():
            if any(p in ids for p in prefixes):
                return split
        return default

    @classmethod
    def from_spec(cls, spec: Mapping[str, str | Path | Iterable[str | Path]] | None, root: Path,
                  auto: Mapping[str, str] | None = None) -> SplitLists:
        """``spec``: {split: path or [paths]} (relative paths are under root); else files named in
        ``auto`` ({file name: split}) found under root or root/splits."""
        out = cls()
        if spec:
            for split, paths in spec.items():
                for p in [paths] if isinstance(paths, str | Path) else paths:
                    p = Path(p)
                    p = p if p.is_absolute() else root / p
                    if not p.is_file():
                        raise UserError(f"split list {p} for split {split!r} does not exist")
                    out.add(split, p)
            return out
        for fname, split in (auto or {}).items():
            for d in (root, root / "splits", root / "split", root / "tasks"):
                if (d / fname).is_file():
                    out.add(split, d / fname)
                    break
        return out


def parse_split_option(values: Iterable[str] | None) -> dict[str, list[str]]:
    """CLI form ``--split-list test=testset_f.txt`` (repeatable) -> {split: [paths]}."""
    out: dict[str, list[str]] = {}
    for v in values or ():
        if "=" not in v:
            raise UserError(f"--split-list takes SPLIT=PATH, got {v!r}")
        k, p = v.split("=", 1)
        out.setdefault(k.strip(), []).append(p.strip())
    return out


# --------------------------------------------------------------------------- loading helpers


def load_image(path: Path, where: str) -> np.ndarray:
    """HxWx3 uint8 RGB; missing or truncated/corrupt files become BadRecords."""
    if not path.is_file():
        raise BadRecord("missing image", where, str(path.name))
    try:
        with Image.open(path) as im:
            im.load()
            return np.asarray(im.convert("RGB"), dtype=np.uint8)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as e:
        raise BadRecord("unreadable image", where, f"{path.name}: {e}") from None


def image_size(path: Path) -> tuple[int, int] | None:
    try:
        with Image.open(path) as im:
            return im.size
    except Exception:  # noqa: BLE001 - only a hint for frame conversion
        return None


def decode_text(raw: bytes, where: str, encodings: Iterable[str] = ("utf-8",)) -> str:
    for enc in encodings:
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise BadRecord("text encoding", where, f"not decodable as {'/'.join(encodings)}")


def read_lines(path: Path, where_prefix: str, encodings: Iterable[str] = ("utf-8",)) -> Iterator[tuple[int, str | BadRecord]]:
    """(line number, decoded line or BadRecord) per line; a bad line does not stop the file."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for i, raw in enumerate(data.splitlines(), 1):
        try:
            yield i, decode_text(raw, f"{where_prefix}:{i}", encodings)
        except BadRecord as e:
            yield i, e


def parse_xml(data: bytes | str, where: str):
    """defusedxml parse; malformed or hostile XML is a BadRecord."""
    try:
        return DET.fromstring(data)
    except DefusedXmlException as e:
        raise BadRecord("forbidden XML construct", where, type(e).__name__) from None
    except Exception as e:  # ParseError and friends
        raise BadRecord("malformed XML", where, str(e)[:200]) from None


def local(tag: str) -> str:
    """Tag name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def iter_local(elem, name: str):
    for e in elem.iter():
        if isinstance(e.tag, str) and local(e.tag) == name:
            yield e


def children(elem, name: str):
    return [e for e in elem if isinstance(e.tag, str) and local(e.tag) == name]


# --------------------------------------------------------------------------- crops


def crop_box(img: np.ndarray, x0: float, y0: float, x1: float, y1: float, where: str, pad: int = 0) -> np.ndarray:
    h, w = img.shape[:2]
    a, b = max(0, int(np.floor(x0)) - pad), max(0, int(np.floor(y0)) - pad)
    c, d = min(w, int(np.ceil(x1)) + pad), min(h, int(np.ceil(y1)) + pad)
    if c - a < 1 or d - b < 1:
        raise BadRecord("box outside image", where, f"box ({x0:.0f},{y0:.0f},{x1:.0f},{y1:.0f}) image {w}x{h}")
    return np.ascontiguousarray(img[b:d, a:c])


def polygon_bbox(points: np.ndarray) -> tuple[float, float, float, float]:
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return float(p[:, 0].min()), float(p[:, 1].min()), float(p[:, 0].max()), float(p[:, 1].max())


def crop_rotated(img, xc: float, yc: float, w: float, h: float, angle_deg: float,
                 where: str, fill: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """Upright w x h crop of a rotated box (OpenCV RotatedRect convention: the box's width axis is
    (cos a, sin a) in y-down image coordinates). ``img``: HxWx3 uint8 or an RGB PIL image (pass
    the PIL image when cropping many words from one page)."""
    src = img if isinstance(img, Image.Image) else Image.fromarray(img)
    W, H = max(1, int(round(w))), max(1, int(round(h)))
    if w < 1 or h < 1:
        raise BadRecord("degenerate box", where, f"w={w} h={h}")
    th = np.deg2rad(angle_deg)
    c, s = np.cos(th), np.sin(th)
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    pts = corners @ np.array([[c, s], [-s, c]]) + [xc, yc]
    iw, ih = src.size
    if pts[:, 0].max() < 0 or pts[:, 1].max() < 0 or pts[:, 0].min() > iw or pts[:, 1].min() > ih:
        raise BadRecord("box outside image", where, f"center ({xc:.0f},{yc:.0f}) image {iw}x{ih}")
    # output (u, v) -> input: centre + (u - w/2) * (c, s) + (v - h/2) * (-s, c)
    sx, sy = w / W, h / H
    a, b = c * sx, -s * sy
    d, e = s * sx, c * sy
    cst = xc - c * w / 2 + s * h / 2
    fst = yc - s * w / 2 - c * h / 2
    out = src.transform((W, H), Image.Transform.AFFINE, (a, b, cst, d, e, fst),
                                         resample=Image.Resampling.BILINEAR, fillcolor=fill)
    return np.asarray(out, dtype=np.uint8)


def letterbox_params(w: int, h: int, size: int = 224) -> tuple[float, int, int]:
    """(ratio, dx, dy) of the image-frame contract (design reference)."""
    ratio = min(size / w, size / h)
    nw, nh = int(w * ratio), int(h * ratio)
    return ratio, (size - nw) // 2, (size - nh) // 2


# --------------------------------------------------------------------------- restricted unpickling

_NUMPY_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
}
_PLAIN_GLOBALS = {("copyreg", "_reconstructor"), ("builtins", "object")}


class RefusedPickle(UserError):
    """A pickle names a global the restricted unpickler does not admit."""


class RestrictedUnpickler(pickle.Unpickler):
    """Admits numpy array reconstruction and the classes in ``allowed`` ({(module, name): cls});
    anything else is refused with a message naming it."""

    def __init__(self, file, allowed: Mapping[tuple[str, str], type] | None = None, what: str = "pickle"):
        super().__init__(file)
        self.allowed = dict(allowed or {})
        self.what = what

    def find_class(self, module: str, name: str):
        if (module, name) in self.allowed:
            return self.allowed[(module, name)]
        if (module, name) in _NUMPY_GLOBALS or (module, name) in _PLAIN_GLOBALS:
            return super().find_class(module, name)
        if module.startswith("numpy") and name == "dtype":
            return np.dtype
        raise RefusedPickle(
            f"{self.what}: refused to load {module}.{name}: this file may only contain "
            f"{', '.join(sorted(n for _, n in self.allowed)) or 'plain numpy arrays'} "
            f"(restricted unpickler). Do not load it with allow_pickle=True.")


def load_npy(fileobj, allowed: Mapping[tuple[str, str], type] | None = None, what: str = "npy"):
    """np.load for one .npy stream; object arrays go through the restricted unpickler."""
    version = npf.read_magic(fileobj)
    if version == (1, 0):
        shape, fortran, dtype = npf.read_array_header_1_0(fileobj)
    else:
        shape, fortran, dtype = npf.read_array_header_2_0(fileobj)
    if dtype.hasobject:
        arr = RestrictedUnpickler(fileobj, allowed, what).load()
        if not isinstance(arr, np.ndarray):
            raise ValueError(f"{what}: object payload is {type(arr).__name__}, not an array")
        return arr
    count = int(np.prod(shape)) if shape else 1
    data = fileobj.read(count * dtype.itemsize)
    if len(data) != count * dtype.itemsize:
        raise ValueError(f"{what}: truncated array data")
    arr = np.frombuffer(data, dtype=dtype, count=count)
    return arr.reshape(shape[::-1]).T if fortran else arr.reshape(shape)


def load_npz(path: Path, allowed: Mapping[tuple[str, str], type] | None = None) -> dict[str, np.ndarray]:
    """Every array of an .npz without allow_pickle=True (object arrays: restricted unpickler)."""
    out = {}
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            key = name[:-4] if name.endswith(".npy") else name
            with zf.open(name) as f:
                out[key] = load_npy(io.BytesIO(f.read()), allowed, f"{path.name}:{key}")
    return out


def ink_from_points(strokes: Iterable[np.ndarray], where: str, min_points: int = 1):
    """Ink from (N, 2) or (N, 3: x, y, t) arrays; empty strokes dropped; invalid ink -> BadRecord."""
    out = []
    try:
        for s in strokes:
            a = np.asarray(s, dtype=np.float64)
            if len(a) < min_points:
                continue
            out.append(Stroke(a[:, 0], a[:, 1], a[:, 2] if a.shape[1] > 2 else None))
        ink = Ink(tuple(out))
        if ink.is_empty:
            raise BadRecord("empty ink", where)
        return ink.validate()
    except InkError as e:
        raise BadRecord("invalid ink", where, str(e)) from None


_WS = re.compile(r"\s+")


def norm_space(s: str) -> str:
    return _WS.sub(" ", s).strip()


# Folder names that mark a split in datasets organised by directory (case-insensitive).
SPLIT_DIRS = {"train": "train", "training": "train", "valid": "validation", "validation": "validation",
              "val": "validation", "test": "test"}
