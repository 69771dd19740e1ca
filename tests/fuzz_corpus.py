"""A generated corpus of hostile and careless input, and the harness that runs it (issue 16).

Each entry point has a builder that writes its cases into a folder and returns them, and a
runner that feeds one case to the code under test. ``python tests/fuzz_corpus.py ENTRY DIR``
builds and runs every case of ENTRY in a fresh interpreter and prints one JSON line per case:
its outcome ("ok", "error" for a clear user-facing error, "crash" for anything else, with the
traceback), the error message, seconds and the growth of the process's peak RSS. The tests in
``test_fuzz_inputs.py`` check the outcomes against each case's expectation and the bounds.

``python tests/fuzz_corpus.py cli OUT.json -- ARGS...`` runs ``inkrepro ARGS`` in this process
and writes its exit status and peak-RSS growth to OUT.json (for CLI runs in a subprocess).

To add an entry point (spec files, config overrides, ...): write ``build_<entry>(dir) ->
list[Case]`` and ``run_<entry>(case) -> object`` and list them in ``ENTRIES``.
"""

from __future__ import annotations

import io
import json
import pickle
import resource
import struct
import sys
import time
import traceback
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

NS = "http://www.w3.org/2003/InkML"
BOUND_SECONDS = 10.0
BOUND_RSS_MB = 500.0
SENTINEL = "pwned.txt"  # a hostile pickle would create this file beside the corpus


@dataclass
class Case:
    name: str
    payload: Any                  # a path (files) or a value (token strings, id lists)
    expect: str                   # "ok" | "error" | "any" (either, but never a crash)
    check: Callable[[Any], None] | None = None   # on "ok": asserts about the result
    needle: str = ""              # on "error": a substring of the message


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _clear_errors() -> tuple[type, ...]:
    from inkrepro.errors import BadRecord, InkError, UserError

    return (UserError, InkError, BadRecord)


# ----------------------------------------------------------------------------- InkML

def _ink(body: str, head: str = '<?xml version="1.0" encoding="UTF-8"?>\n') -> bytes:
    return (head + f'<ink xmlns="{NS}">{body}</ink>').encode("utf-8")


def _release(eid: str = "w1", src: str = "IAM", mode: str = "Vanilla Derender", traces: str = "10,20 30,40") -> bytes:
    ann = "".join(f'<annotation type="{k}">{v}</annotation>' for k, v in (
        ("application", "InkSight"), ("sourceDataset", src), ("inferenceMode", mode),
        ("exampleId", eid), ("textField", "word")))
    return _ink(ann + f"<trace>{traces}</trace>")


XYT = '<traceFormat><channel name="X"/><channel name="Y"/><channel name="T"/></traceFormat>'


def inkml_cases() -> dict[str, tuple[bytes, str, str]]:
    """name -> (file bytes, expectation, needle). Files that parse are "ok"."""
    deep = "<traceGroup>" * 5000 + "<trace>1 2</trace>" + "</traceGroup>" * 5000
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              '<!ENTITY l2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
              '<!ENTITY l3 "&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;">]>'
              f'<ink xmlns="{NS}"><annotation type="a">&l3;</annotation></ink>')
    xxe = ('<?xml version="1.0"?><!DOCTYPE ink [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           f'<ink xmlns="{NS}"><annotation type="a">&x;</annotation></ink>')
    return {
        "good_w3c": (_ink(XYT + "<trace>1 2 0, 3 4 10</trace>"), "ok", ""),
        "good_release": (_release(), "ok", ""),
        "encoding_unknown": (_ink("<trace>1 2</trace>", '<?xml version="1.0" encoding="x-nonexistent"?>'),
                             "error", "unknown text encoding"),
        "encoding_not_text": (_ink("<trace>1 2</trace>", '<?xml version="1.0" encoding="rot13"?>'),
                              "error", "unknown text encoding"),
        "encoding_multibyte": ('<?xml version="1.0" encoding="shift_jis"?><ink><annotation type="a">'
                               '漢字</annotation><trace>1 2</trace></ink>'.encode("shift_jis"), "error", "encoding"),
        "utf16_bom": ('<?xml version="1.0" encoding="UTF-16"?><ink><trace>1 2</trace></ink>'.encode("utf-16"),
                      "ok", ""),
        "latin1_undeclared": ("<ink><annotation type='a'>é</annotation></ink>".encode("latin-1"), "error", "UTF-8"),
        "nested_5000_groups": (_ink(deep), "error", "nested deeper"),
        "nested_100k_elements": (_ink("<x>" * 100_000 + "</x>" * 100_000 + "<trace>1 2</trace>"), "ok", ""),
        "channels_more_values": (_ink(XYT + "<trace>1 2 3 4, 5 6</trace>"), "error", "point 0 has 4"),
        "channels_fewer_values": (_ink(XYT + "<trace>1 2, 3 4</trace>"), "error", "point 0 has 2"),
        "channels_inksight_3_values": (_ink("<trace>1,2,3 4,5,6</trace>"), "error", "point 0 has 3"),
        "channels_mixed_forms": (_ink("<trace>1,2 3,4,5</trace>"), "error", "point 1 has 3"),
        "channels_empty_point": (_ink("<trace>1 2,,3 4</trace>"), "error", "point 1 has 0"),
        "coords_1e300": (_release(traces="1e300,2 3,4"), "ok", ""),
        "coords_overflow": (_ink("<trace>1e400 2</trace>"), "error", "NaN or infinite"),
        "coords_nan": (_ink("<trace>nan 2</trace>"), "error", "NaN or infinite"),
        "coords_unicode_digits": (_ink("<trace>١ ٢</trace>"), "error", "as a number"),
        "coords_underscore": (_ink("<trace>1_000 2</trace>"), "error", "as a number"),
        "coords_hex": (_ink("<trace>0x10 2</trace>"), "error", "as a number"),
        "difference_encoding": (_ink("<trace>1 2, '1 '1</trace>"), "error", "difference encoding"),
        "trace_200k_points": (_ink("<trace>" + "1 2, " * 200_000 + "3 4</trace>"), "ok", ""),
        "traces_20k": (_ink("<trace>1 2</trace>" * 20_000), "ok", ""),
        "annotation_1MB": (_ink('<annotation type="textField">' + "a" * 1_000_000 + "</annotation>"), "ok", ""),
        "billion_laughs": (laughs.encode(), "error", "entity"),
        "xxe": (xxe.encode(), "error", "entity"),
        "nul_byte": (_ink("<trace>1 2\x00</trace>"), "error", "well-formed"),
        "binary_garbage": (bytes(range(256)) * 4, "error", ""),
        "empty_file": (b"", "error", "well-formed"),
        "truncated": (_ink("<trace>1 2, 3")[:-10], "error", "well-formed"),
        "wrong_root": (b"<svg><path d='M0 0'/></svg>", "error", "not <ink>"),
        "unknown_trace_ref": (_ink("<traceGroup><traceView traceDataRef='#nope'/></traceGroup>"),
                              "error", "unknown trace"),
        "no_x_channel": (_ink('<traceFormat><channel name="Y"/></traceFormat>'), "error", "needs X and Y"),
        "unsafe_names": (_release(eid="../../../../etc/passwd", src="../../etc"), "ok", ""),
        "absolute_example_id": (_release(eid="/etc/passwd"), "ok", ""),
        "unknown_mode_label": (_release(mode="Guess" * 2000), "ok", ""),   # parses; the mode is checked later
    }


def build_inkml(d: Path) -> list[Case]:
    d.mkdir(parents=True, exist_ok=True)
    out = []
    for name, (data, expect, needle) in inkml_cases().items():
        p = d / f"{name}.inkml"
        p.write_bytes(data)
        out.append(Case(name, p, expect, None, needle))
    return out


def run_inkml(case: Case) -> Any:
    from inkrepro.ink import inkml

    doc = inkml.read_inkml(case.payload)
    return f"{doc.ink.num_strokes} strokes"


# ----------------------------------------------------------------------------- tokens

def _ink_of(expected_points: list[list[list[int]]]) -> Callable[[Any], None]:
    def check(ink) -> None:
        got = [s.xy.astype(int).tolist() for s in ink]
        assert got == expected_points, got
    return check


def build_tokens(d: Path) -> list[Case]:
    S, Y = 450, 225
    ids = {
        "nan": ([S, float("nan"), 1 + Y], "error", "not an integer"),
        "inf": ([S, float("inf"), 1 + Y], "error", "not an integer"),
        "minus_inf": ([S, float("-inf")], "error", "not an integer"),
        "fraction": ([S, 1.7, 2 + Y], "error", "not an integer"),
        "integral_float": ([S, 1.0, 2.0 + Y], "ok", ""),
        "numpy_ints": (np.array([S, 1, 2 + Y], np.int32), "ok", ""),
        "numpy_floats": (np.array([S, 1.5, 2 + Y]), "error", "not an integer"),
        "numpy_2d": (np.array([[S, 1, 2 + Y]]), "error", "not an integer"),
        "unicode_digit_str": ([S, "\u0663", 2 + Y], "error", "ASCII"),
        "digits_5000_str": ([S, "9" * 5000], "error", "5000 digits"),
        "int_5000_digits": ([S, 10 ** 4999], "error", "outside 0..450"),
        "negative": ([S, -1], "error", "outside"),
        "too_big": ([S, 451], "error", "outside"),
        "none": ([S, None], "error", "not an integer"),
        "bytes": ([S, b"1"], "error", "not an integer"),
        "nested": ([S, [1, 2]], "error", "not an integer"),
        "long_valid": ([S] + [5, 5 + Y] * 50_000, "ok", ""),
    }
    texts = {
        "text_5000_digits": ("<ink_token_" + "9" * 5000 + ">", "error", "5000 digits"),
        "text_unicode_digit": ("<ink_token_\u0663><ink_token_230>", "error", "ASCII"),
        "text_fullwidth_digit": ("<ink_token_\uff11>", "error", "ASCII"),
        "text_fraction_not_a_token": ("<ink_token_450><ink_token_1.7><ink_token_3><ink_token_230>", "ok", ""),
        "text_negative_not_a_token": ("<ink_token_-1>", "ok", ""),
        "text_leading_zeros": ("<ink_token_450><ink_token_0003><ink_token_00230>", "ok", ""),
        "text_out_of_range": ("<ink_token_451>", "error", "outside"),
        "text_unclosed_100k": ("<ink_token_" * 100_000, "ok", ""),
        "text_1MB_tokens": ("<ink_token_450><ink_token_5><ink_token_230>" * 25_000, "ok", ""),
        "text_nul_and_controls": ("\x00<ink_token_450>\x07<ink_token_1>\x1b<ink_token_226>", "ok", ""),
    }
    checks = {"integral_float": _ink_of([[[1, 2]]]), "numpy_ints": _ink_of([[[1, 2]]]),
              "text_fraction_not_a_token": _ink_of([[[3, 5]]]),
              "text_leading_zeros": _ink_of([[[3, 5]]]),
              "text_negative_not_a_token": _ink_of([]),
              "text_nul_and_controls": _ink_of([[[1, 1]]])}
    out = [Case(k, ("ids", v), e, checks.get(k), n) for k, (v, e, n) in ids.items()]
    out += [Case(k, ("text", v), e, checks.get(k), n) for k, (v, e, n) in texts.items()]
    return out


def run_tokens(case: Case) -> Any:
    from inkrepro.ink import tokens

    kind, value = case.payload
    if kind == "ids":
        return tokens.decode(value)
    ink = tokens.decode_text(value)
    text, ink2 = tokens.split_text_and_ink(value)
    assert ink2.num_points == ink.num_points
    return ink


# ----------------------------------------------------------------------------- images

def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def png_header_only(w: int, h: int) -> bytes:
    """A PNG that declares w x h 8-bit grey pixels and holds almost no data."""
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + _png_chunk(b"IEND", b""))


def png_real_zeros(w: int, h: int) -> bytes:
    """A complete w x h grey PNG of zeros (a few hundred KB for 12000 x 12000), streamed."""
    z = zlib.compressobj(9)
    row = b"\x00" * (w + 1)
    idat = b"".join(z.compress(row) for _ in range(h)) + z.flush()
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b""))


def png_ztxt_bomb() -> bytes:
    """A 4x4 PNG with a zTXt chunk that inflates to 64 MB."""
    body = png_header_only(4, 4)
    ztxt = _png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"a" * 64_000_000, 9))
    return body[:33] + ztxt + body[33:]


def _enc(im, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _rgb_check(shape=None, corner=None, mean_range=None) -> Callable[[np.ndarray], None]:
    def check(a: np.ndarray) -> None:
        assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3, (a.shape, a.dtype)
        if shape is not None:
            assert a.shape[:2] == shape, a.shape
        if corner is not None:
            assert a[0, 0].tolist() == list(corner), a[0, 0].tolist()
        if mean_range is not None:
            assert mean_range[0] <= a.mean() <= mean_range[1], a.mean()
    return check


def image_files() -> dict[str, tuple[str, bytes, str, str, Callable | None]]:
    """name -> (file name, bytes, expectation, needle, check)."""
    from PIL import Image

    grey16 = Image.fromarray(np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (8, 1)))
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[2:4, :, 3] = 255        # opaque black ink on transparent black
    la = np.zeros((8, 8, 2), np.uint8)
    la[2:4, :, 1] = 255
    pal = Image.new("P", (8, 8), 0)
    pal.putpalette([0, 0, 0, 20, 20, 20])
    pal.putpixel((3, 3), 1)
    exif_im = Image.new("RGB", (40, 10), (255, 255, 255))
    exif = exif_im.getexif()
    exif[0x0112] = 6             # rotate 90 degrees clockwise for display
    cmyk = Image.new("CMYK", (6, 4), (0, 0, 0, 255))
    frames = [Image.new("L", (5, 5), v) for v in (10, 200)]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:])
    rgb = Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 40, 3), dtype=np.uint8))
    return {
        "bomb_header_png": ("bomb.png", png_header_only(20000, 20000), "error", "image too large", None),
        "bomb_real_png_12000": ("real12000.png", png_real_zeros(12000, 12000), "error", "image too large", None),
        "bomb_header_gif": ("bomb.gif", b"GIF89a" + struct.pack("<HH", 65535, 65535) + b"\x00\x00\x00"
                            + b",\x00\x00\x00\x00" + struct.pack("<HH", 65535, 65535) + b"\x00\x02\x02D\x01\x00;",
                            "error", "image too large", None),
        "bomb_header_bmp": ("bomb.bmp", b"BM" + struct.pack("<IHHI", 70, 0, 0, 54)
                            + struct.pack("<IiiHHIIiiII", 40, 30000, 30000, 1, 24, 0, 0, 0, 0, 0, 0) + b"\x00" * 16,
                            "error", "image too large", None),
        "ztxt_bomb_png": ("ztxt.png", png_ztxt_bomb(), "any", "", None),
        "truncated_png": ("trunc.png", _enc(rgb)[:300], "error", "unreadable image", None),
        "truncated_jpeg": ("trunc.jpg", _enc(rgb, "JPEG")[:200], "error", "unreadable image", None),
        "zero_bytes": ("zero.png", b"", "error", "unreadable image", None),
        "text_as_png": ("text.png", b"this is not an image\n", "error", "unreadable image", None),
        "eps_as_png": ("eps.png", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",
                       "error", "unreadable image", None),
        "svg_as_png": ("svg.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "error", "unreadable image", None),
        "jpeg_as_png": ("jpeg.png", _enc(rgb, "JPEG"), "ok", "", _rgb_check((40, 40))),
        "grey16_png": ("grey16.png", _enc(grey16), "ok", "", _rgb_check((8, 64), (0, 0, 0), (100, 155))),
        "rgba_on_transparent": ("rgba.png", _enc(Image.fromarray(rgba, "RGBA")), "ok", "",
                                _rgb_check((8, 8), (255, 255, 255), (150, 210))),
        "la_on_transparent": ("la.png", _enc(Image.fromarray(la, "LA")), "ok", "",
                              _rgb_check((8, 8), (255, 255, 255), (150, 210))),
        "palette_transparent": ("pal.png", _enc(pal, transparency=0), "ok", "",
                                _rgb_check((8, 8), (255, 255, 255), (240, 255))),
        "exif_rotated_jpeg": ("exif.jpg", _enc(exif_im, "JPEG", exif=exif.tobytes()), "ok", "",
                              _rgb_check((40, 10))),
        "cmyk_jpeg": ("cmyk.jpg", _enc(cmyk, "JPEG"), "ok", "", _rgb_check((4, 6))),
        "bilevel_png": ("one.png", _enc(Image.new("1", (9, 3), 1)), "ok", "", _rgb_check((3, 9), (255, 255, 255))),
        "float_tiff": ("f.tif", _enc(Image.fromarray(np.full((4, 4), 0.5, np.float32), "F"), "TIFF"), "ok", "",
                       _rgb_check((4, 4), (128, 128, 128))),
        "animated_gif": ("anim.gif", gif.getvalue(), "ok", "", _rgb_check((5, 5), (10, 10, 10))),
        "thin_1x60000": ("thin.png", _enc(Image.new("L", (60000, 1), 0)), "ok", "", _rgb_check((1, 60000))),
        "webp": ("w.webp", _enc(rgb, "WEBP"), "ok", "", _rgb_check((40, 40))),
    }


def build_images(d: Path) -> list[Case]:
    d.mkdir(parents=True, exist_ok=True)
    out = []
    for name, (fname, data, expect, needle, check) in image_files().items():
        (d / fname).write_bytes(data)
        out.append(Case(name, d / fname, expect, check, needle))
    (d / "folder.png").mkdir()
    out.append(Case("directory_named_png", d / "folder.png", "error", None, "missing image"))
    out.append(Case("missing_file", d / "nope.png", "error", None, "missing image"))
    return out


def run_images(case: Case) -> Any:
    from inkrepro.data import images
    from inkrepro.data.readers import _base

    a = images.load_image(case.payload)
    b = _base.load_image(case.payload, case.name)  # the readers' path: same array
    assert np.array_equal(a, b)
    return a


# ----------------------------------------------------------------------------- pickles

class _Reduce:
    """An object whose pickle calls ``fn(*args)`` on load (what a hostile file does)."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def pickle_files(d: Path) -> dict[str, tuple[bytes, str, str]]:
    import builtins
    import codecs
    import os
    import subprocess

    from numpy._core.multiarray import _reconstruct

    sentinel = str(d / SENTINEL)

    def dumps(obj, protocol=2):
        return pickle.dumps(obj, protocol=protocol)

    def npy(obj) -> bytes:
        buf = io.BytesIO()
        np.save(buf, obj, allow_pickle=True)
        return buf.getvalue()

    return {
        "os_system": (npy({"a": _Reduce(os.system, f"touch {sentinel}")}), "error", "refused to load"),
        "builtins_eval": (dumps({"a": _Reduce(builtins.eval, f"open({sentinel!r}, 'w')")}), "error", "refused"),
        "builtins_exec_proto5": (dumps({"a": _Reduce(builtins.exec, "x=1")}, 5), "error", "refused"),
        "subprocess_popen": (dumps(_Reduce(subprocess.Popen, ["touch", sentinel])), "error", "refused"),
        "codecs_rot13": (dumps(_Reduce(codecs.encode, "abc", "rot13")), "error", "refused"),
        "bytes_allocation": (dumps(_Reduce(bytes, 10 ** 10)), "error", "refused"),
        "numpy_huge_reconstruct": (dumps(_Reduce(_reconstruct, np.ndarray, (10 ** 10,), b"f8")), "error", "refused"),
        "truncated": (npy({"a": np.arange(5)})[:-7], "error", "not a readable tracing file"),
        "not_a_pickle": (b"\x93NUMPY garbage", "error", "not a readable tracing file"),
        "list_not_dict": (dumps([1, 2, 3]), "error", "expected a dict"),
        "plain_dict_of_arrays": (npy({"a": np.arange(4)}), "ok", ""),
        "deep_nesting": (_nested_pickle(100_000), "error", "expected a dict"),
    }


def _nested_pickle(depth: int) -> bytes:
    """A pickle of a list nested ``depth`` deep (pickle.dumps itself would recurse too deep)."""
    return b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b"."


def build_pickles(d: Path) -> list[Case]:
    d.mkdir(parents=True, exist_ok=True)
    out = []
    for name, (data, expect, needle) in pickle_files(d).items():
        p = d / f"{name}.npy"
        p.write_bytes(data)
        out.append(Case(name, p, expect, None, needle))
    return out


def run_pickles(case: Case) -> Any:
    from inkrepro.data.readers import inksight_derenderings as R

    try:
        return sorted(R.load_human_tracings(case.payload))
    finally:
        assert not (case.payload.parent / SENTINEL).exists(), "a hostile pickle ran code"


# ----------------------------------------------------------------------------- sweep specs

SPEC_OK = "name: s\nprofiles:\n  smoke: {seeds: [0]}\narms:\n  - {name: a}\n"


def spec_files() -> dict[str, tuple[str, str, str]]:
    """name -> (YAML text, expect, needle) for ``inkrepro sweep SPEC --dry-run``."""
    lol = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    bomb = lol + "".join(f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
                         for p, c in zip("abcdefgh", "bcdefghi")) + "arms: *i\n"
    arms = "name: s\nprofiles:\n  smoke: {seeds: [0]}\narms: %s\n"
    seeds = "name: s\nprofiles:\n  smoke: {seeds: %s}\narms:\n  - {name: a}\n"
    over = "name: s\nprofiles:\n  smoke: {seeds: [0], overrides: %s}\narms:\n  - {name: a}\n"
    return {
        "valid": (SPEC_OK, "ok", ""),
        "runpy_step": (SPEC_OK + "steps: {resolve: 'runpy:run_path'}\n", "error", "not a step of this project"),
        "os_system_step": (SPEC_OK + "steps: {prepare: 'os:system'}\n", "error", "not a step of this project"),
        "python_tag": (SPEC_OK + "x: !!python/object/apply:os.system [echo]\n", "error", "not valid YAML"),
        "alias_bomb": (bomb, "error", "alias bomb"),
        "recursive_alias": (SPEC_OK + "overrides: &x {a: *x}\n", "error", "recursive alias"),
        "deep_nesting": ("x: " + "[" * 3000 + "]" * 3000 + "\n" + SPEC_OK, "error", "nested too deeply"),
        "duplicate_key": (SPEC_OK + "name: t\n", "error", "duplicate key 'name'"),
        "not_a_mapping": ("- 1\n- 2\n", "error", "a sweep spec is a YAML mapping"),
        "empty": ("", "error", "a sweep spec is a YAML mapping"),
        "binary": ("\x00\x01\x02 name: s", "error", "not valid YAML"),
        "seeds_scalar": (seeds % "0", "error", "seeds must be"),
        "seeds_text": (seeds % "[a]", "error", "seeds must be"),
        "seeds_float": (seeds % "[0.9]", "error", "seeds must be"),
        "seeds_repeat": (seeds % "[1, 1]", "error", "seeds must be"),
        "seeds_negative": (seeds % "[-1]", "error", "seeds must be"),
        "seeds_huge_list": (seeds % str(list(range(100_000))), "error", "larger than"),
        "many_nodes": ("x: [" + "[1,1,1,1,1,1,1,1,1,1]," * 5000 + "]\n" + SPEC_OK, "error", "larger than"),
        "override_type": (over % "{train.steps: lots}", "error", "train.steps='lots': must be an integer"),
        "override_range": (over % "{train.steps: -1}", "error", "train.steps=-1 is out of range"),
        "override_key": (over % "{train.stepz: 3}", "error", "unknown config key 'train.stepz'"),
        "override_list_bad": (over % "[train.steps]", "error", "must look like key=value"),
        "override_group": (over % "{train: 1}", "error", "train is a group of settings"),
        "from_self": (arms % "[{name: a, from: a}]", "error", "is 'from' itself"),
        "from_cycle": (arms % "[{name: a, from: b}, {name: b, from: a}]", "error", "no chains or cycles"),
        "from_unknown": (arms % "[{name: a, from: z}]", "error", "unknown arm 'z'"),
        "arm_path": (arms % "[{name: '../../x'}]", "error", "not a safe identifier"),
        "arm_name_list": (arms % "[{name: [1, 2]}]", "error", "not a safe identifier"),
        "arms_missing": ("name: s\n", "error", "at least one arm"),
        "profile_path": ("name: s\nprofiles:\n  ../p: {seeds: [0]}\narms: [{name: a}]\n", "error",
                         "not a safe identifier"),
        "unknown_top_key": (SPEC_OK + "stepz: {}\n", "error", "unknown key"),
        "no_such_profile": (SPEC_OK.replace("smoke", "laptop"), "error", "has no profile 'smoke'"),
    }


def build_specs(d: Path) -> list[Case]:
    from inkrepro import tracking
    from inkrepro.experiments import sweep  # noqa: F401 - imports and the store are not timed

    tracking.setup()
    d.mkdir(parents=True, exist_ok=True)
    cases = []
    for name, (text, expect, needle) in spec_files().items():
        p = d / f"{name}.yaml"
        p.write_text(text)
        cases.append(Case(name, p, expect, needle=needle))
    return cases


def run_specs(case: Case) -> Any:
    """What ``inkrepro sweep SPEC --profile smoke --dry-run`` does."""
    from inkrepro.experiments import spec, sweep

    s = spec.load_spec(case.payload)
    return sweep.run_sweep(s, "smoke", dry_run=True, progress=False, log=lambda *a: None)


# ----------------------------------------------------------------------------- config overrides

def override_cases() -> dict[str, tuple[list[str], str, str]]:
    """name -> (``-o`` overrides, expect, needle) for ``inkrepro train --print-config``."""
    return {
        "valid": (["train.steps=20", "model.d_model=64"], "ok", ""),
        "steps_negative": (["train.steps=-1"], "error", "train.steps=-1 is out of range: must be >= 1"),
        "steps_zero": (["train.steps=0"], "error", "train.steps=0 is out of range"),
        "steps_text": (["train.steps=abc"], "error", "train.steps='abc': must be an integer"),
        "steps_float": (["train.steps=1.5"], "error", "train.steps=1.5: must be an integer"),
        "steps_huge": (["train.steps=" + "9" * 5000], "error", "not a usable YAML value"),
        "keep_zero": (["train.keep_checkpoints=0"], "error", "train.keep_checkpoints=0 is out of range"),
        "batch_zero": (["train.batch_size=0"], "error", "train.batch_size=0 is out of range"),
        "batch_negative": (["train.batch_size=-4"], "error", "train.batch_size=-4 is out of range"),
        "batch_mesh": (["train.mesh_fsdp=3"], "error", "divisible by the mesh"),
        "lr_text": (["train.lr_peak=fast"], "error", "train.lr_peak='fast': must be a number"),
        "lr_nan": (["train.lr_peak=.nan"], "error", "train.lr_peak=nan is out of range"),
        "lr_inf": (["train.lr_peak=.inf"], "any", ""),
        "warmup_ge_steps": (["train.warmup_steps=100"], "error", "must be < train.steps"),
        "seed_text": (["seed=abc"], "error", "seed='abc': must be an integer"),
        "seed_negative": (["seed=-3"], "error", "seed=-3 is out of range"),
        "train_scalar": (["train=1"], "error", "train is a group of settings"),
        "model_scalar": (["model=1"], "error", "model is a group of settings"),
        "model_unknown": (["model=huge"], "error", "unknown model config"),
        "image_negative": (["data.image_size=-32"], "error", "data.image_size=-32 is out of range"),
        "image_not_patch": (["data.image_size=36"], "error", "multiple of model.patch_size"),
        "bool_int": (["train.track=1"], "error", "train.track=1: must be true/false"),
        "unknown_key": (["train.stepz=3"], "error", "unknown config key 'train.stepz'"),
        "below_value": (["train.steps.x=3"], "error", "goes below a plain value"),
        "no_equals": (["train.steps"], "error", "must look like key=value"),
        "mixture_text": (["data.mixture.vanilla_derender=x"], "error", "must be a number"),
        "mixture_all_zero": (["data.mixture={}"], "error", "at least one weight must be > 0"),
        "alias_bomb_value": (["train.steps=[&a [1,1,1,1,1,1,1,1,1,1], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a], "
                              "&c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b], &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c], "
                              "&e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d], [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]]"],
                             "error", "alias bomb"),
        "python_tag_value": (["train.steps=!!python/object/apply:os.system [echo]"], "error", "not valid YAML"),
        "optimizer": (["train.optimizer=sgd"], "error", "train.optimizer='sgd': must be one of"),
        "dropout_one": (["model.dropout=1"], "error", "model.dropout=1.0 is out of range"),
        "profile_key": (["profile=paper"], "error", "profile is chosen"),
    }


def build_overrides(d: Path) -> list[Case]:
    from inkrepro import config  # noqa: F401 - imports are not timed

    return [Case(n, ov, e, needle=nd) for n, (ov, e, nd) in override_cases().items()]


def run_overrides(case: Case) -> Any:
    """What ``inkrepro train --profile smoke -o ... --print-config`` does."""
    from inkrepro import config, configlib

    return json.dumps(configlib.to_dict(config.profile("smoke", case.payload)))


# ----------------------------------------------------------------------------- the harness

ENTRIES: dict[str, tuple[Callable[[Path], list[Case]], Callable[[Case], Any]]] = {
    "inkml": (build_inkml, run_inkml),
    "tokens": (build_tokens, run_tokens),
    "images": (build_images, run_images),
    "pickles": (build_pickles, run_pickles),
    "specs": (build_specs, run_specs),
    "overrides": (build_overrides, run_overrides),
}


def run_entry(entry: str, d: Path) -> list[dict[str, Any]]:
    build, run = ENTRIES[entry]
    clear = _clear_errors()
    rows = []
    for case in build(d / entry):
        rss0, t0 = _maxrss_mb(), time.perf_counter()
        row: dict[str, Any] = {"name": case.name, "expect": case.expect, "needle": case.needle}
        try:
            result = run(case)
            row["outcome"] = "ok"
            if case.check is not None:
                try:
                    case.check(result)
                except AssertionError as e:
                    row["outcome"], row["message"] = "check failed", str(e)[:300]
        except clear as e:
            row["outcome"], row["message"] = "error", str(e)
            row["type"] = type(e).__name__
        except Exception as e:  # noqa: BLE001 - what the corpus exists to find
            row["outcome"], row["message"] = "crash", f"{type(e).__name__}: {str(e)[:300]}"
            row["traceback"] = traceback.format_exc()[-3000:]
        row["seconds"] = time.perf_counter() - t0
        row["rss_growth_mb"] = _maxrss_mb() - rss0
        rows.append(row)
    return rows


def run_cli(out: Path, argv: list[str], preload: list[str]) -> int:
    """``inkrepro argv`` in this process; exit status and peak-RSS growth (after importing
    ``preload``, so that library imports do not count) go to ``out``."""
    import importlib

    for m in preload:
        importlib.import_module(m)
    from inkrepro import cli

    rss0, t0, rc = _maxrss_mb(), time.perf_counter(), None
    try:
        rc = cli.main(argv)
        return rc
    finally:
        out.write_text(json.dumps({"rc": rc, "seconds": time.perf_counter() - t0,
                                   "rss_growth_mb": _maxrss_mb() - rss0}))


if __name__ == "__main__":
    if sys.argv[1] == "cli":
        sep = sys.argv.index("--")
        pre = [m for a in sys.argv[3:sep] for m in a.split(",") if m]
        sys.exit(run_cli(Path(sys.argv[2]), sys.argv[sep + 1:], pre))
    for r in run_entry(sys.argv[1], Path(sys.argv[2])):
        print(json.dumps(r))
