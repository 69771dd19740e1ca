"""InkML read/write: W3C InkML and the InkSight release variant.

W3C form: a ``traceFormat`` lists channels (X, Y and optionally T); a trace is written
``x y t, x y t, ...``; ``traceGroup`` elements (nested, annotated, holding traces or
``traceView traceDataRef="#id"``) group traces, e.g. words in VNOnDB.

InkSight release variant (the authors' ``InkSight-Derenderings``): traces written
``x,y x,y ...`` and ``<annotation type="...">`` fields ``application`` ("InkSight"),
``sourceDataset``, ``inferenceMode`` ("Vanilla Derender" (also seen as "Vanilla"),
"Derender with Text", "Recognize and Derender"), ``exampleId`` and ``textField``.

Parsing uses defusedxml (no entities, no external references). Every problem with a file is
one :class:`InkmlError` whose message starts with the file name. Difference-encoded traces
(``'`` / ``"`` prefixes of the W3C spec) are not supported and are reported as such.
Every point carries exactly one value per regular channel of the ``traceFormat`` (default X, Y;
intermittent channels may follow and are dropped): a point with more or fewer values is an
error, never re-chunked. Numbers are ASCII decimals. An unknown declared encoding and
traceGroups nested deeper than ``MAX_GROUP_DEPTH`` are errors too.
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import defusedxml
import defusedxml.ElementTree as DET
import numpy as np

from inkrepro.errors import InkError
from inkrepro.ink.core import Ink, Stroke

NS = "http://www.w3.org/2003/InkML"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
VARIANTS = ("w3c", "inksight")
MODE_LABELS = {
    "vanilla_derender": "Vanilla Derender",
    "derender_with_text": "Derender with Text",
    "recognize_and_derender": "Recognize and Derender",
}
_MODE_ALIASES = {
    "vanilla derender": "vanilla_derender", "vanilla": "vanilla_derender",
    "vanilla_derender": "vanilla_derender",
    "derender with text": "derender_with_text", "d+t": "derender_with_text",
    "derender_with_text": "derender_with_text",
    "recognize and derender": "recognize_and_derender", "r+d": "recognize_and_derender",
    "recognize_and_derender": "recognize_and_derender",
}
INKSIGHT_FIELDS = ("application", "sourceDataset", "inferenceMode", "exampleId", "textField")
_XML_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\r\ufffe\uffff]")
MAX_GROUP_DEPTH = 100  # traceGroups nested deeper are refused (OUR CHOICE; real files nest 2-3)
_ENC_RE = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


class InkmlError(InkError):
    """A malformed InkML file; the message names the file and the problem."""


def mode_from_label(label: str) -> str:
    """Released mode label (or folder name vanilla / d+t / r+d) -> task-style mode name."""
    key = label.strip().lower()
    if key not in _MODE_ALIASES:
        raise InkError(f"unknown inference mode label {label!r}; known: {sorted(MODE_LABELS.values())}")
    return _MODE_ALIASES[key]


@dataclass
class TraceGroup:
    """A (possibly nested) group of traces; ``traces`` index strokes of the document's ink."""

    annotations: dict[str, str] = field(default_factory=dict)
    traces: list[int] = field(default_factory=list)
    groups: list[TraceGroup] = field(default_factory=list)
    id: str | None = None

    def all_traces(self) -> list[int]:
        return self.traces + [i for g in self.groups for i in g.all_traces()]


@dataclass
class InkmlDocument:
    ink: Ink
    annotations: dict[str, str] = field(default_factory=dict)
    variant: str = "w3c"
    groups: list[TraceGroup] = field(default_factory=list)
    trace_ids: list[str | None] = field(default_factory=list)

    def group_ink(self, group: TraceGroup) -> Ink:
        return Ink(tuple(self.ink.strokes[i] for i in group.all_traces()))

    @property
    def mode(self) -> str | None:
        """Task-style inference mode of an InkSight file (None when not annotated)."""
        label = self.annotations.get("inferenceMode")
        return None if label is None else mode_from_label(label)


# --------------------------------------------------------------------------- reading

def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(el, name: str):
    return [c for c in el if _local(c.tag) == name]


def _annotations(el) -> dict[str, str]:
    """``<annotation type="k">v</annotation>`` children as {k: v}; the child elements of
    ``<annotationXML>`` as {tag: text} (HANDS-VNOnDB: ``<annotationXML><Tg_Truth>word``)."""
    out = {}
    for a in _children(el, "annotation"):
        key = a.get("type") or a.get("name") or "annotation"
        out[key] = a.text or ""
    for ax in _children(el, "annotationXML"):
        for c in ax:
            if _local(c.tag):
                out.setdefault(_local(c.tag), c.text or "")
    return out


def _channels(root, name: str) -> tuple[list[str], int, float]:
    """Regular channel names of the first traceFormat (default X, Y), the number of its
    intermittent channels, and the T unit scale to seconds."""
    for el in root.iter():
        if _local(el.tag) == "traceFormat":
            chans = _children(el, "channel")
            inter = [c for ic in _children(el, "intermittentChannels") for c in _children(ic, "channel")]
            names = [(c.get("name") or "").upper() for c in chans]
            if "X" not in names or "Y" not in names:
                raise InkmlError(f"{name}: traceFormat has channels {names}, needs X and Y")
            scale = 1.0
            for c in chans:
                if (c.get("name") or "").upper() == "T":
                    scale = {"ms": 1e-3, "us": 1e-6, "s": 1.0}.get((c.get("units") or "s").lower(), 1.0)
            return names, len(inter), scale
    return ["X", "Y"], 0, 1.0


def _parse_trace(text: str, names: list[str], n_inter: int, name: str, k: int) -> tuple[np.ndarray, bool]:
    """Trace text -> (values (N, len(names)), inksight_form).

    Every point must carry exactly one value per regular channel of the traceFormat (plus at
    most ``n_inter`` intermittent values, which are dropped); values are never re-chunked."""
    nch = len(names)
    text = (text or "").strip().rstrip(",").strip()
    if not text:
        return np.zeros((0, nch)), False
    if any(c in text for c in "'\"!?*"):
        raise InkmlError(f"{name}: trace {k} uses difference encoding or special values, "
                         "which this reader does not support")
    tokens = text.split()
    inksight = all("," in t and not t.startswith(",") and not t.endswith(",") for t in tokens)
    rows = [t.split(",") for t in tokens] if inksight else [p.split() for p in text.split(",")]
    counts = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    bad = np.nonzero((counts < nch) | (counts > nch + n_inter))[0]
    if len(bad):
        j = int(bad[0])
        raise InkmlError(f"{name}: trace {k}: values do not split into points of the traceFormat's "
                         f"{nch} channels ({' '.join(names)}): point {j} has {counts[j]}")
    vals = [v for r in rows for v in r[:nch]] if n_inter else [v for r in rows for v in r]
    odd = not text.isascii() or "_" in text  # float() would read Unicode digits and 1_000
    try:
        if odd:
            raise ValueError
        arr = np.array(vals, dtype=np.float64).reshape(len(rows), nch)
    except ValueError:
        bad_v = next((v for v in vals if not _is_float(v) or not v.isascii() or "_" in v),
                     "".join(c for c in text if not c.isascii()))
        raise InkmlError(f"{name}: trace {k}: cannot read {bad_v[:20]!r} as a number") from None
    if not np.isfinite(arr).all():
        raise InkmlError(f"{name}: trace {k} has NaN or infinite values")
    return arr, inksight


def _is_float(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False


def _decode(data: bytes, name: str) -> bytes:
    m = _ENC_RE.match(data[:200])
    declared = m.group(1).decode().lower() if m else None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        declared = "utf-16"
    if declared is not None:
        try:
            known = getattr(codecs.lookup(declared), "_is_text_encoding", True)  # rot13, hex: False
        except LookupError:
            known = False
        if not known:
            raise InkmlError(f"{name}: unknown text encoding {declared!r} in the XML declaration; "
                             "re-encode the file as UTF-8")
    if declared in (None, "utf-8", "utf8"):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InkmlError(f"{name}: not valid UTF-8 (byte 0x{data[e.start]:02x} at offset "
                             f"{e.start}); re-encode the file as UTF-8") from None
    return data


def parse_inkml(data: str | bytes, name: str = "<string>") -> InkmlDocument:
    """Parse InkML text or bytes; ``name`` is used in error messages."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    data = _decode(data, name)
    try:
        root = DET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.EntitiesForbidden:
        raise InkmlError(f"{name}: XML entity declarations are not allowed (possible XML bomb)") from None
    except defusedxml.DefusedXmlException as e:
        raise InkmlError(f"{name}: forbidden XML construct ({type(e).__name__})") from None
    except ET.ParseError as e:
        raise InkmlError(f"{name}: not well-formed XML ({e})") from None
    except (LookupError, ValueError, UnicodeError) as e:  # e.g. a multi-byte legacy encoding
        raise InkmlError(f"{name}: cannot decode the file in its declared encoding ({e}); "
                         "re-encode it as UTF-8") from None
    if _local(root.tag) != "ink":
        raise InkmlError(f"{name}: root element is <{_local(root.tag)}>, not <ink>")
    names, n_inter, t_scale = _channels(root, name)
    ix, iy = names.index("X"), names.index("Y")
    it = names.index("T") if "T" in names else None

    strokes: list[Stroke] = []
    ids: list[str | None] = []
    index_of: dict[str, int] = {}
    forms: set[bool] = set()

    def read_trace(el) -> int:
        k = len(strokes)
        arr, inksight = _parse_trace(el.text, names, n_inter, name, k)
        if len(arr):
            forms.add(inksight)
        x, y = arr[:, ix], arr[:, iy]
        t = None if it is None else arr[:, it] * t_scale
        strokes.append(Stroke(x, y, t))
        tid = el.get(XML_ID) or el.get("id")
        ids.append(tid)
        if tid:
            index_of[tid] = k
        return k

    def read_group(el, depth: int = 1) -> TraceGroup:
        if depth > MAX_GROUP_DEPTH:
            raise InkmlError(f"{name}: traceGroups nested deeper than {MAX_GROUP_DEPTH} levels")
        g = TraceGroup(_annotations(el), id=el.get(XML_ID) or el.get("id"))
        for c in el:
            tag = _local(c.tag)
            if tag == "trace":
                g.traces.append(read_trace(c))
            elif tag == "traceGroup":
                g.groups.append(read_group(c, depth + 1))
            elif tag == "traceView":
                ref = (c.get("traceDataRef") or "").lstrip("#")
                pending.append((g, ref))
        return g

    pending: list[tuple[TraceGroup, str]] = []
    groups: list[TraceGroup] = []
    for c in root:
        tag = _local(c.tag)
        if tag == "trace":
            read_trace(c)
        elif tag == "traceGroup":
            groups.append(read_group(c))
        elif tag == "traceView":  # top-level traceView: a group of its own
            g = TraceGroup(_annotations(c))
            pending.append((g, (c.get("traceDataRef") or "").lstrip("#")))
            groups.append(g)
    for g, ref in pending:
        if ref not in index_of:
            raise InkmlError(f"{name}: traceView refers to unknown trace {ref!r}")
        g.traces.append(index_of[ref])

    annotations = _annotations(root)
    if True in forms:
        variant = "inksight"
    elif not forms and annotations.get("application", "").lower() == "inksight":
        variant = "inksight"
    else:
        variant = "w3c"
    try:
        ink = Ink(tuple(strokes))
    except InkError as e:
        raise InkmlError(f"{name}: {e}") from None
    return InkmlDocument(ink, annotations, variant, groups, ids)


def read_inkml(path: str | Path) -> InkmlDocument:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InkmlError(f"{path}: cannot read ({e.strerror or e})") from None
    return parse_inkml(data, str(path))


# --------------------------------------------------------------------------- writing

def xml_safe(text: str) -> str:
    """``text`` with the characters XML cannot hold replaced by U+FFFD (model outputs may have them)."""
    return _XML_BAD_CHARS.sub("\ufffd", str(text))


def _fmt(values: np.ndarray) -> list[str]:
    """Shortest strings that read back to exactly the same floats (integers without '.0')."""
    v = np.asarray(values, dtype=np.float64)
    if len(v) and np.all(v == np.rint(v)) and np.all(np.abs(v) < 1e15):
        return [str(i) for i in v.astype(np.int64).tolist()]
    return [str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x) for x in v.tolist()]


def _trace_text(s: Stroke, variant: str) -> str:
    cols = [_fmt(s.x), _fmt(s.y)] + ([_fmt(s.t)] if s.t is not None else [])
    if variant == "inksight":
        return " ".join(",".join(p) for p in zip(*cols))
    return ", ".join(" ".join(p) for p in zip(*cols))


def to_inkml_string(ink: Ink, annotations: dict[str, str] | None = None, variant: str = "w3c",
                    groups: list[TraceGroup] | None = None) -> str:
    """InkML text for ``ink``. ``groups`` (W3C or InkSight) are written as traceGroups of
    traceViews referring to trace ids ``t0, t1, ...``."""
    if variant not in VARIANTS:
        raise InkError(f"unknown InkML variant {variant!r}; use one of {VARIANTS}")
    ink.validate()
    for k, v in (annotations or {}).items():
        if _XML_BAD_CHARS.search(str(k) + str(v)):
            raise InkError(f"annotation {k!r} has control characters that XML cannot hold")
    ET.register_namespace("", NS)
    root = ET.Element(f"{{{NS}}}ink")
    for k, v in (annotations or {}).items():
        a = ET.SubElement(root, f"{{{NS}}}annotation", type=str(k))
        a.text = str(v)
    if variant == "w3c" or ink.has_time:
        ctx = ET.SubElement(root, f"{{{NS}}}context")
        ctx.set(XML_ID, "ctx0")
        tf = ET.SubElement(ctx, f"{{{NS}}}traceFormat")
        ET.SubElement(tf, f"{{{NS}}}channel", name="X", type="decimal")
        ET.SubElement(tf, f"{{{NS}}}channel", name="Y", type="decimal")
        if ink.has_time:
            ET.SubElement(tf, f"{{{NS}}}channel", name="T", type="decimal", units="s")
    for i, s in enumerate(ink.strokes):
        tr = ET.SubElement(root, f"{{{NS}}}trace")
        if groups:
            tr.set(XML_ID, f"t{i}")
        tr.text = _trace_text(s, variant)

    def add_group(parent, g: TraceGroup):
        el = ET.SubElement(parent, f"{{{NS}}}traceGroup")
        if g.id:
            el.set(XML_ID, g.id)
        for k, v in g.annotations.items():
            ET.SubElement(el, f"{{{NS}}}annotation", type=str(k)).text = str(v)
        for i in g.traces:
            if not 0 <= i < len(ink):
                raise InkError(f"traceGroup refers to stroke {i}; the ink has {len(ink)}")
            ET.SubElement(el, f"{{{NS}}}traceView", traceDataRef=f"#t{i}")
        for sub in g.groups:
            add_group(el, sub)

    for g in groups or []:
        add_group(root, g)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_inkml(path: str | Path, ink: Ink, annotations: dict[str, str] | None = None,
                variant: str = "w3c", groups: list[TraceGroup] | None = None) -> Path:
    """Write ``ink`` as InkML (UTF-8). For the InkSight variant pass the release's annotation
    fields, e.g. ``{"application": "InkSight", "inferenceMode": MODE_LABELS["vanilla_derender"], ...}``."""
    path = Path(path)
    text = to_inkml_string(ink, annotations, variant, groups)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
