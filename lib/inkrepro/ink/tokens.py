"""InkSight's ink token contract, bit for bit (see design reference, "Ink frame and tokens").

x -> id x (0..224), y -> 225 + y (225..449), start of stroke -> 450; 451 ink tokens in all,
written ``<ink_token_N>``. Decoding follows the authors' released parser.

Ids must be integers: an id that is not (NaN, inf, ``1.7``, a string of non-ASCII digits such as
``"\u0663"``, a number of thousands of digits) is an :class:`InkError`, never truncated or
read as a digit. In text, ``<ink_token_N>`` with ASCII digits ``N`` is a token; a token whose
digits are not ASCII (the released ``\\d`` would read them) is an InkError; anything else
(``<ink_token_1.7>``, ``<ink_token_-1>``) is not a token and is ignored, as in the release.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from inkrepro.errors import InkError
from inkrepro.ink.core import Ink, Stroke

FRAME_MAX = 224  # largest coordinate of the 224x224 model frame (225 values: 0..224)
Y_OFFSET = 225
START_STROKE = 450
NUM_INK_TOKENS = 451
TOKEN_RE = re.compile(r"<ink_token_(\d+)>")  # the released pattern (\d also matches non-ASCII digits)


def token_str(i: int) -> str:
    return f"<ink_token_{i}>"


def encode(ink: Ink) -> list[int]:
    """Ink in the 224 frame -> ids ``450, x1, y1+225, x2, y2+225, ...`` per stroke.

    Coordinates are rounded to the nearest integer; any point outside 0..224 after rounding
    is an error (quantise with ``geometry.quantize`` first). Empty strokes are skipped,
    since decoding never emits one.
    """
    # Vectorised over all points (same result and errors as a per-stroke loop).
    strokes = ink.strokes
    if not strokes:
        return []
    lens = np.fromiter((len(s.x) for s in strokes), dtype=np.int64, count=len(strokes))
    x = np.concatenate([s.x for s in strokes])
    y = np.concatenate([s.y for s in strokes])
    stroke_of = np.repeat(np.arange(len(strokes)), lens)  # index in ink.strokes per point
    finite = np.isfinite(x) & np.isfinite(y)
    xi = np.rint(np.where(finite, x, 0)).astype(np.int64)
    yi = np.rint(np.where(finite, y, 0)).astype(np.int64)
    inside = (xi >= 0) & (xi <= FRAME_MAX) & (yi >= 0) & (yi <= FRAME_MAX)
    if not (finite.all() and inside.all()):
        for k in range(len(strokes)):  # report the first bad stroke, as the loop would
            m = stroke_of == k
            if not finite[m].all():
                raise InkError(f"stroke {k} has NaN or infinite coordinates")
            if not inside[m].all():
                raise InkError(f"stroke {k} has points outside 0..{FRAME_MAX}: quantize it first")
    ordinal = np.cumsum(lens > 0)[stroke_of] - 1      # j: rank among non-empty strokes
    pos = 2 * np.arange(len(x)) + ordinal + 1           # slot of x; 450 precedes each stroke
    out = np.empty(2 * len(x) + int((lens > 0).sum()), dtype=np.int64)
    out[pos], out[pos + 1] = xi, yi + Y_OFFSET
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])[lens > 0]
    out[2 * starts + np.arange(len(starts))] = START_STROKE
    return out.tolist()


def token_id(digits: str) -> int:
    """The id of ``<ink_token_{digits}>``: ASCII digits only, never converted when longer than
    any id can be (so thousands of digits cost nothing and raise the range error)."""
    if not (digits.isascii() and digits.isdigit()):
        raise InkError(f"ink token id {digits[:20]!r} is not written in ASCII digits 0-9")
    core = digits.lstrip("0") or "0"
    if len(core) > len(str(NUM_INK_TOKENS)):
        raise InkError(f"ink token id of {len(digits)} digits ({digits[:8]}...) outside 0..{NUM_INK_TOKENS - 1}")
    return int(core)


def _show(i: int) -> str:
    return str(i) if abs(i) < 10**12 else f"{'-' if i < 0 else ''}<a {i.bit_length()}-bit integer>"


def _as_id(v) -> int:
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, str):
        return token_id(v)
    if isinstance(v, float | np.floating) and math.isfinite(v) and float(v).is_integer():
        return int(v)
    raise InkError(f"ink token id {str(v)[:20]!r} is not an integer")


def _check_ids(ids: Sequence[int]) -> list[int]:
    if isinstance(ids, np.ndarray) and ids.dtype.kind in "iu" and ids.ndim == 1:
        out = ids.tolist()
    else:
        out = [_as_id(i) for i in ids]
    bad = [i for i in out if i < 0 or i >= NUM_INK_TOKENS]
    if bad:
        raise InkError(f"ink token id {_show(bad[0])} outside 0..{NUM_INK_TOKENS - 1}")
    return out


def decode(ids: Sequence[int]) -> Ink:
    """Ids -> Ink with the released parser's rules.

    ``450`` closes the current stroke (if it has points) and opens a new one; otherwise, when
    the next id exists and is not 450, (x = id, y = next - 225) is read, kept only if both lie
    in 0..224, and the walk advances by two either way; otherwise one id is skipped. Points
    before the first 450 form a stroke; no empty strokes; one-point strokes are kept.
    """
    ids = _check_ids(ids)
    strokes: list[Stroke] = []
    cur: list[tuple[int, int]] = []
    i, n = 0, len(ids)
    while i < n:
        tok = ids[i]
        if tok == START_STROKE:
            if cur:
                strokes.append(Stroke.from_xy(cur))
            cur = []
            i += 1
        elif i + 1 < n and ids[i + 1] != START_STROKE:
            x, y = tok, ids[i + 1] - Y_OFFSET
            if 0 <= x <= FRAME_MAX and 0 <= y <= FRAME_MAX:
                cur.append((x, y))
            i += 2
        else:
            i += 1
    if cur:
        strokes.append(Stroke.from_xy(cur))
    return Ink(tuple(strokes))


def to_text(ids: Sequence[int]) -> str:
    return "".join(token_str(i) for i in _check_ids(ids))


def from_text(text: str) -> list[int]:
    """Every ``<ink_token_N>`` in ``text`` in order; everything else is ignored."""
    return _check_ids([token_id(m) for m in TOKEN_RE.findall(text)])


def decode_text(text: str) -> Ink:
    return decode(from_text(text))


def split_text_and_ink(output: str) -> tuple[str, Ink]:
    """A recognize-and-derender output ("text, a space, then ink tokens") -> (text, ink).

    The text is everything before the first ink token, surrounding whitespace stripped;
    the ink is parsed from all ink tokens in the output.
    """
    m = TOKEN_RE.search(output)
    text = output if m is None else output[: m.start()]
    return text.strip(), decode_text(output)
