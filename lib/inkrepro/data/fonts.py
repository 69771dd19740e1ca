"""Glyph sources for synthetic handwriting and photo text.

- Hershey single-stroke vector fonts (``hershey-fonts`` package, module ``HersheyFonts``):
  the package's coordinates already have y pointing down (cap line -12, base line 9); we
  normalise every face to baseline y = 0 and cap height 1 (y down).
- KanjiVG (``kanjivg`` package, SVG files installed as the top-level folder ``kanji/``):
  stroke-ordered glyphs for kana, CJK, Latin letters and digits, parsed with defusedxml.
  CC BY-SA 3.0, Ulrich Apel: :func:`kanjivg_attribution` gives the text to keep with any data
  derived from it.
- Outline TTF fonts for the "real photo" stand-in: matplotlib's bundled DejaVu family.
"""

from __future__ import annotations

import importlib.util
import re
import sysconfig
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import defusedxml.ElementTree as ET
import numpy as np
from HersheyFonts import HersheyFonts

from inkrepro.errors import UserError

# Faces: Hershey face name -> (style, joinable). Joinable faces connect letters in a word.
HERSHEY_FACES = {
    "cursive": ("cursive", True),    # Hershey script, joined
    "scripts": ("cursive", True),    # script simplex
    "futural": ("print", False),     # simplex sans: print handwriting
    "rowmans": ("print", False),     # roman simplex
}
_HERSHEY_CAP, _HERSHEY_BASE = -12.0, 9.0


@dataclass(frozen=True)
class Glyph:
    """Strokes (list of (N, 2) float arrays; baseline y = 0, cap height 1, y down), advance."""

    strokes: tuple[np.ndarray, ...]
    advance: float
    left: float = 0.0

    @property
    def ink_extent(self) -> tuple[float, float]:
        """(xmin, xmax) of the glyph's strokes."""
        xs = np.concatenate([s[:, 0] for s in self.strokes]) if self.strokes else np.zeros(1)
        return float(xs.min()), float(xs.max())


@lru_cache(maxsize=16)
def hershey_face(name: str) -> dict[str, Glyph]:
    """All glyphs of a Hershey face, normalised."""
    if name not in HersheyFonts().default_font_names:
        raise UserError(f"unknown Hershey face {name!r}")
    f = HersheyFonts()
    f.load_default_font(name)
    scale = _HERSHEY_BASE - _HERSHEY_CAP
    out = {}
    for ch, g in f.all_glyphs.items():
        if not isinstance(ch, str) or len(ch) != 1:
            continue
        strokes = tuple((np.asarray(s, dtype=np.float64) - (g.left_offset, _HERSHEY_BASE)) / scale
                        for s in g.strokes if len(s) > 0)
        out[ch] = Glyph(strokes, g.char_width / scale)
    return out


# ----------------------------------------------------------------------------- KanjiVG

@lru_cache(maxsize=1)
def kanjivg_dir() -> Path:
    """The ``kanji/`` folder the kanjivg wheel installs into site-packages."""
    cands = [Path(sysconfig.get_paths()["purelib"]) / "kanji"]
    spec = importlib.util.find_spec("kanji")
    if spec is not None and spec.submodule_search_locations:
        cands += [Path(p) for p in spec.submodule_search_locations]
    for c in cands:
        if c.is_dir() and any(c.glob("0004*.svg")):
            return c
    raise UserError("KanjiVG glyphs not found (pip package 'kanjivg' installs site-packages/kanji/)")


def kanjivg_attribution() -> str:
    """Attribution + licence notice required by CC BY-SA 3.0 for KanjiVG-derived data."""
    text = ("Glyph stroke data derived from KanjiVG (https://kanjivg.tagaini.net), "
            "Copyright (C) 2009-2024 Ulrich Apel, licensed under the Creative Commons "
            "Attribution-Share Alike 3.0 licence (https://creativecommons.org/licenses/by-sa/3.0/). "
            "Derived stroke data is distributed under the same licence.\n")
    for dist in Path(sysconfig.get_paths()["purelib"]).glob("kanjivg-*.dist-info"):
        for lic in sorted(dist.glob("licenses/*")) + sorted(dist.glob("COPYING*")):
            if lic.is_file():
                text += "\n---- " + lic.name + " ----\n" + lic.read_text(errors="replace")
                break
    return text


HERSHEY_NOTICE = ("Glyphs from the Hershey vector fonts (A. V. Hershey, U.S. National Bureau of "
                  "Standards, 1967), as packaged by the 'hershey-fonts' Python package "
                  "(use and redistribution permitted with this notice).\n")

_NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_CMD = re.compile(r"([MmCcSsLlHhVvZzQqTt])([^MmCcSsLlHhVvZzQqTt]*)")


def _bezier(p0, p1, p2, p3, n: int) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n + 1)[1:, None]
    return ((1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3)


def parse_svg_path(d: str, seg_points: int = 8) -> list[np.ndarray]:
    """SVG path data (M, L, H, V, C, S, Q, T, Z; absolute and relative) -> polylines."""
    polys: list[list[np.ndarray]] = []
    cur = np.zeros(2)
    start = np.zeros(2)
    last_ctrl = None
    for cmd, argstr in _CMD.findall(d):
        nums = [float(v) for v in _NUM.findall(argstr)]
        rel = cmd.islower()
        c = cmd.upper()
        if c == "Z":
            if polys:
                polys[-1].append(start[None].copy())
            cur, last_ctrl = start.copy(), None
            continue
        arity = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "T": 2}[c]
        if arity and len(nums) % arity:
            raise ValueError(f"bad SVG path segment {cmd}{argstr!r}")
        for k in range(0, len(nums), arity):
            a = np.array(nums[k:k + arity])
            base = cur if rel else np.zeros(2)
            if c == "M" and k == 0:
                cur = base + a
                start = cur.copy()
                polys.append([cur[None].copy()])
                last_ctrl = None
                continue
            if not polys:
                polys.append([cur[None].copy()])
            if c in ("L", "M"):
                nxt = base + a
                polys[-1].append(nxt[None])
                last_ctrl = None
            elif c == "H":
                nxt = np.array([a[0] + (cur[0] if rel else 0.0), cur[1]])
                polys[-1].append(nxt[None])
                last_ctrl = None
            elif c == "V":
                nxt = np.array([cur[0], a[0] + (cur[1] if rel else 0.0)])
                polys[-1].append(nxt[None])
                last_ctrl = None
            elif c in ("C", "S"):
                if c == "C":
                    c1, c2, nxt = base + a[0:2], base + a[2:4], base + a[4:6]
                else:
                    c1 = 2 * cur - last_ctrl if last_ctrl is not None else cur.copy()
                    c2, nxt = base + a[0:2], base + a[2:4]
                polys[-1].append(_bezier(cur, c1, c2, nxt, seg_points))
                last_ctrl = c2
            else:  # Q, T: quadratic as cubic
                if c == "Q":
                    q, nxt = base + a[0:2], base + a[2:4]
                else:
                    q = 2 * cur - last_ctrl if last_ctrl is not None else cur.copy()
                    nxt = base + a[0:2]
                polys[-1].append(_bezier(cur, cur + 2 / 3 * (q - cur), nxt + 2 / 3 * (q - nxt), nxt,
                                         seg_points))
                last_ctrl = q
            cur = nxt
    return [np.concatenate(p) for p in polys if sum(len(x) for x in p) > 0]


_KVG_BOX = 109.0
_KVG_BASE, _KVG_CAP = 92.0, 12.0   # baseline / top of a full-height glyph in the 109 box


@lru_cache(maxsize=8192)
def kanjivg_glyph(ch: str) -> Glyph | None:
    """Stroke-ordered glyph of ``ch`` from KanjiVG (None if KanjiVG lacks it)."""
    path = kanjivg_dir() / f"{ord(ch):05x}.svg"
    if not path.is_file():
        return None
    root = ET.parse(path).getroot()
    paths = [el for el in root.iter() if el.tag.endswith("path") and el.get("d")]

    def order(el) -> int:
        m = re.search(r"-s(\d+)$", el.get("id", ""))
        return int(m.group(1)) if m else 0

    strokes = []
    for el in sorted(paths, key=order):
        for poly in parse_svg_path(el.get("d")):
            strokes.append((poly - (0.0, _KVG_BASE)) / (_KVG_BASE - _KVG_CAP))
    if not strokes:
        return None
    return Glyph(tuple(strokes), _KVG_BOX / (_KVG_BASE - _KVG_CAP))


@lru_cache(maxsize=1)
def kanjivg_chars() -> frozenset[str]:
    out = set()
    for p in kanjivg_dir().glob("*.svg"):
        stem = p.stem
        if re.fullmatch(r"[0-9a-f]{5}", stem):
            out.add(chr(int(stem, 16)))
    return frozenset(out)


# ----------------------------------------------------------------------------- TTF fonts

SYSTEM_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"))


@lru_cache(maxsize=2)
def ttf_fonts(system: bool = False) -> list[Path]:
    """Outline fonts for the photo stand-in, found without importing matplotlib: the DejaVu
    family bundled with matplotlib (pinned by the lock, so every machine draws the same photos)
    and, with ``system``, also the machine's DejaVu/Liberation fonts (which Debian installs as
    a dependency of e.g. Chromium: the photos then depend on the machine)."""
    spec = importlib.util.find_spec("matplotlib")
    d = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" if spec and spec.origin else Path()
    found = sorted(p for p in d.glob("DejaVu*.ttf") if "Display" not in p.name)
    for sysdir in SYSTEM_FONT_DIRS if system else ():
        if sysdir.is_dir():
            found += sorted(p for p in sysdir.glob("*.ttf") if p.name not in {f.name for f in found})
    if not found:
        raise UserError("no TTF fonts found (matplotlib's DejaVu fonts are expected)")
    return found


def random_case(word: str, rng, p_upper: float, p_capitalized: float) -> str:
    """ALL CAPS with probability ``p_upper``, Capitalised with ``p_capitalized``, else as is
    (one ``rng.random()`` draw: the corpora's seeds rely on that)."""
    r = rng.random()
    if r < p_upper:
        return word.upper()
    if r < p_upper + p_capitalized:
        return word[:1].upper() + word[1:]
    return word
