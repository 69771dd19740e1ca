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
from PIL import Image

from inkrepro import names
from inkrepro.data import images
from inkrepro.data.schema import Example
from inkrepro.errors import BadRecord, InkError, UserError
from inkrepro.ink import inkml
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

    def __init__(self, source: SourceInfo, root: Path, strict: bool,
                 max_image_pixels: int | None = images.DEFAULT_MAX_PIXELS):
        self.source, self.root, self.strict = source, root, strict
        self.max_image_pixels = max_image_pixels
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

    def load_image(self, path: Path, where: str) -> np.ndarray:
        """:func:`load_image` with this read's pixel limit (a BadRecord when it fails)."""
        return load_image(path, where, self.max_image_pixels)

    def path_in(self, base: Path, name: str, where: str, within: Path | None = None) -> Path:
        """``base / name`` for a name read from a file; a name that would leave ``within``
        (default: the dataset root) is a BadRecord ("unsafe path")."""
        p = names.contained_path(base, name, self.root if within is None else within)
        if p is None:
            raise BadRecord("unsafe path", where, repr(str(name)[:120]))
        return p

    def shared(self, load: Callable[..., Any], *args) -> Shared:
        """A resource several records need (a page image, a form's transcription), loaded once
        by ``load(*args, where)``."""
        return Shared(self, load, args)


class Shared:
    """Loads its resource on the first ``get(where)``; when loading fails, every record that asks
    for it is counted once, under the resource's reason (so skip counts equal records lost)."""

    def __init__(self, ctx: ReadContext, load: Callable[..., Any], args: tuple = ()):
        self.ctx, self.load, self.args = ctx, load, args
        self.loaded, self.value, self.error = False, None, None

    def get(self, where: str) -> Any:
        if not self.loaded:
            self.loaded = True
            try:
                self.value = self.load(*self.args, where)
            except BadRecord as e:
                self.error = e
        if self.error is not None:
            self.ctx.bad(BadRecord(self.error.reason, where, self.error.detail))
            return None
        return self.value


# Labels that publishers left in place of a transcription (compared case- and space-insensitively).
# A record carrying one is skipped and counted under PLACEHOLDER_REASON.
PLACEHOLDER_LABELS = frozenset({
    "please enter transcription here",  # IAM-OnDB: eight forms carry it as their CSR text
})
PLACEHOLDER_REASON = "placeholder label"


def is_placeholder(text: str) -> bool:
    return " ".join(text.split()).lower() in PLACEHOLDER_LABELS


class Records(Iterator[Example]):
    """An iterator of Examples that also reports what it skipped."""

    def __init__(self, source: SourceInfo, root: Path | str, gen: Callable[[ReadContext], Iterable[Example]],
                 strict: bool = False, split: str | None = None,
                 max_image_pixels: int | None = images.DEFAULT_MAX_PIXELS):
        self.source, self.root, self.split = source, Path(root), split
        self.ctx = ReadContext(source, self.root, strict, max_image_pixels)
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
            if ex.text and is_placeholder(ex.text):
                file = ex.meta.get("file") or ex.meta.get("image_path")
                where = f"{file} [{ex.id}]" if file else ex.id
                self.ctx.bad(BadRecord(PLACEHOLDER_REASON, where, repr(ex.text)))
                continue
            self.ctx.examples[ex.split] += 1
            return ex

    def report(self) -> dict[str, Any]:
        return {"source": self.source.name, "root": str(self.root), "counts": dict(self.counts),
                "skipped": dict(self.skipped), "filtered": dict(self.filtered),
                "first_bad": dict(self.ctx.first_bad)}


def make_reader(source: SourceInfo, body: Callable[..., Iterable[Example]], check: Callable[[Path], None]):
    """Build a module-level ``read(root, split=None, strict=False, max_image_pixels=..., **options)``
    function. ``max_image_pixels`` (every reader): images with more pixels are skipped and
    counted as "image too large" before they are decoded."""

    params = [p for p in inspect.signature(body).parameters.values()
              if p.kind == inspect.Parameter.KEYWORD_ONLY]
    known = {p.name for p in params}

    def read(root: Path | str, split: str | None = None, strict: bool = False,
             max_image_pixels: int | None = images.DEFAULT_MAX_PIXELS, **options) -> Records:
        unknown = sorted(set(options) - known)
        if unknown:
            raise UserError(f"{source.name}: unknown reader option(s) {', '.join(unknown)}; "
                            f"options: {', '.join(sorted(known | {'max_image_pixels'}))}")
        if max_image_pixels is not None and (isinstance(max_image_pixels, bool)
                                             or not isinstance(max_image_pixels, int) or max_image_pixels < 1):
            raise UserError(f"{source.name}: max_image_pixels must be a positive integer (or null for "
                            f"Pillow's own limit), got {max_image_pixels!r}")
        root = Path(root).expanduser()
        if not root.is_dir():
            raise UserError(f"{source.name}: dataset folder {root} does not exist. Expected layout:\n"
                            f"{source.layout}\nGet it from {source.url}")
        check(root)
        return Records(source, root, lambda ctx: body(root, ctx, split=split, **options),
                       strict=strict, split=split, max_image_pixels=max_image_pixels)

    read.__doc__ = f"Read {source.title} from ROOT.\n\nLayout:\n{source.layout}"
    read.options = {p.name: p.default for p in params} | {"max_image_pixels": images.DEFAULT_MAX_PIXELS}
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


def load_image(path: Path, where: str, max_pixels: int | None = images.DEFAULT_MAX_PIXELS) -> np.ndarray:
    """HxWx3 uint8 RGB (:func:`inkrepro.data.images.load_image`); a missing, unreadable or too
    large image is a BadRecord under the image error's reason."""
    try:
        return images.load_image(path, max_pixels=max_pixels)
    except images.ImageError as e:
        raise BadRecord(e.reason, where, f"{Path(path).name}: {e.detail}" if e.detail else Path(path).name) from None


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


def parse_inkml(data: bytes, where: str):
    """The ink core's InkML parser (:mod:`inkrepro.ink.inkml`, defusedxml); a bad file is a
    BadRecord whose reason says what is wrong."""
    try:
        return inkml.parse_inkml(data, where)
    except InkError as e:
        msg = str(e).split(": ", 1)[-1]
        m = msg.lower()
        reason = ("unknown trace id" if "unknown trace" in m else "malformed XML" if "well-formed" in m
                  else "forbidden XML construct" if "entity" in m or "forbidden" in m
                  else "text encoding" if "utf-8" in m else "malformed InkML")
        raise BadRecord(reason, where, msg[:200]) from None


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


def rotated_crop_affine(xc: float, yc: float, w: float, h: float, angle_deg: float
                        ) -> tuple[int, int, np.ndarray]:
    """(W, H, M) of the upright crop of a rotated box: its pixel size and the 2x3 affine map from
    crop pixels to image pixels (:func:`crop_rotated`'s convention). Output (u, v) -> input:
    centre + (u sx - w/2) (cos a, sin a) + (v sy - h/2) (-sin a, cos a)."""
    W, H = max(1, int(round(w))), max(1, int(round(h)))
    th = np.deg2rad(angle_deg)
    c, s = np.cos(th), np.sin(th)
    sx, sy = w / W, h / H
    return W, H, np.array([[c * sx, -s * sy, xc - c * w / 2 + s * h / 2],
                           [s * sx, c * sy, yc - s * w / 2 - c * h / 2]])


def crop_rotated(img, xc: float, yc: float, w: float, h: float, angle_deg: float,
                 where: str, fill: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """Upright w x h crop of a rotated box (OpenCV RotatedRect convention: the box's width axis is
    (cos a, sin a) in y-down image coordinates). ``img``: HxWx3 uint8 or an RGB PIL image (pass
    the PIL image when cropping many words from one page)."""
    src = img if isinstance(img, Image.Image) else Image.fromarray(img)
    if w < 1 or h < 1:
        raise BadRecord("degenerate box", where, f"w={w} h={h}")
    th = np.deg2rad(angle_deg)
    c, s = np.cos(th), np.sin(th)
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    pts = corners @ np.array([[c, s], [-s, c]]) + [xc, yc]
    iw, ih = src.size
    if pts[:, 0].max() < 0 or pts[:, 1].max() < 0 or pts[:, 0].min() > iw or pts[:, 1].min() > ih:
        raise BadRecord("box outside image", where, f"center ({xc:.0f},{yc:.0f}) image {iw}x{ih}")
    W, H, m = rotated_crop_affine(xc, yc, w, h, angle_deg)
    out = src.transform((W, H), Image.Transform.AFFINE, tuple(m.ravel()),
                        resample=Image.Resampling.BILINEAR, fillcolor=fill)
    return np.asarray(out, dtype=np.uint8)


def letterbox_params(w: int, h: int, size: int = 224) -> tuple[float, int, int]:
    """(ratio, dx, dy) of the image-frame contract (design reference)."""
    ratio = min(size / w, size / h)
    nw, nh = int(w * ratio), int(h * ratio)
    return ratio, (size - nw) // 2, (size - nh) // 2


# --------------------------------------------------------------------------- restricted unpickling

# numpy's array reconstructors: all that an object array of plain arrays needs.
_NUMPY_GLOBALS = {
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
}
_PLAIN_GLOBALS = {("copyreg", "_reconstructor"), ("builtins", "object")}
_LATIN1 = {"latin1", "latin-1", "latin_1", "iso-8859-1", "iso8859-1", "l1"}


def _codecs_encode(text, encoding="utf-8", errors="strict"):
    """Stand-in for ``_codecs.encode`` as protocol-2 pickles use it: numpy arrays written for
    Python 2 (np.save with protocol 2, e.g. DeepWriting's .npz) carry their raw bytes as
    ``_codecs.encode(<str>, 'latin1')``. Only that form is admitted: a str and a latin-1 codec
    name. Any other codec (rot13, hex, zlib, ... or one a search function would import) is
    refused, so no codec machinery runs on behalf of the file."""
    if not isinstance(text, str) or not isinstance(encoding, str) or encoding.lower() not in _LATIN1 \
            or errors != "strict":
        raise RefusedPickle(f"refused _codecs.encode({type(text).__name__}, {encoding!r}, {errors!r}): "
                            "only _codecs.encode(str, 'latin1') is admitted (restricted unpickler)")
    return text.encode("latin-1")


def _empty_bytes(*args):
    """Stand-in for ``bytes`` as protocol-2 pickles use it: ``bytes()`` for an empty payload
    (an array of size 0). Any argument (a size to allocate, an iterable) is refused."""
    if args:
        raise RefusedPickle("refused bytes(...) with arguments: only bytes() is admitted "
                            "(restricted unpickler)")
    return b""


def _np_reconstruct(subtype, shape, dtype):
    """Stand-in for numpy's ``_reconstruct`` as ``ndarray.__reduce__`` uses it: always an empty
    ``(0,)`` array that ``__setstate__`` then fills from bytes in the file. Any other shape (an
    allocation the file does not pay for) or subtype is refused."""
    if subtype is not np.ndarray or tuple(shape) != (0,):
        raise RefusedPickle(f"refused numpy _reconstruct({getattr(subtype, '__name__', subtype)}, "
                            f"{str(shape)[:40]}): only ndarray of shape (0,) is admitted (restricted unpickler)")
    return np.ndarray(shape=(0,), dtype=dtype)


# Helpers numpy pickles name (also protocol 2), mapped to the guarded stand-ins above.
_PROTOCOL2_GLOBALS = {("_codecs", "encode"): _codecs_encode, ("__builtin__", "bytes"): _empty_bytes,
                      ("builtins", "bytes"): _empty_bytes,
                      ("numpy.core.multiarray", "_reconstruct"): _np_reconstruct,
                      ("numpy._core.multiarray", "_reconstruct"): _np_reconstruct}


class RefusedPickle(UserError):
    """A pickle names a global the restricted unpickler does not admit."""


class RestrictedUnpickler(pickle.Unpickler):
    """Admits numpy array reconstruction (also as numpy wrote it for Python 2: protocol 2 with
    ``_codecs.encode(str, 'latin1')`` payloads, Python-2 strings read as latin-1) and the classes
    in ``allowed`` ({(module, name): cls}); anything else is refused with a message naming it."""

    def __init__(self, file, allowed: Mapping[tuple[str, str], type] | None = None, what: str = "pickle"):
        super().__init__(file, encoding="latin1")
        self.allowed = dict(allowed or {})
        self.what = what

    def find_class(self, module: str, name: str):
        if (module, name) in self.allowed:
            return self.allowed[(module, name)]
        if (module, name) in _PROTOCOL2_GLOBALS:
            return _PROTOCOL2_GLOBALS[(module, name)]
        if (module, name) in _NUMPY_GLOBALS or (module, name) in _PLAIN_GLOBALS:
            return super().find_class(module, name)
        if module.startswith("numpy") and name == "dtype":
            return np.dtype
        raise RefusedPickle(
            f"{self.what}: refused to load {module}.{name}: this file may only contain "
            f"{', '.join(sorted({n for _, n in self.allowed})) or 'plain numpy arrays'} "
            f"(restricted unpickler). Do not load it with allow_pickle=True.")

    def load(self):
        try:
            return super().load()
        except RefusedPickle as e:
            if str(e).startswith(f"{self.what}: "):
                raise
            raise RefusedPickle(f"{self.what}: {e}") from None


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


def load_npz(path: Path, allowed: Mapping[tuple[str, str], type] | None = None,
             keys: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """The arrays of an .npz (all, or those named in ``keys``) without allow_pickle=True
    (object arrays: restricted unpickler)."""
    wanted = None if keys is None else set(keys)
    out = {}
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            key = name[:-4] if name.endswith(".npy") else name
            if wanted is not None and key not in wanted:
                continue
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
