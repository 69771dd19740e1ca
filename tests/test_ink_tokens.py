"""The InkSight token contract, rule by rule (tokens.py is the lead's; these are H1's tests)."""

import numpy as np
import pytest

from ink_fixtures import random_ink
from inkrepro.errors import InkError
from inkrepro.ink import geometry, tokens
from inkrepro.ink.core import Ink
from inkrepro.ink.tokens import START_STROKE as S
from inkrepro.ink.tokens import Y_OFFSET as Y


def pts(ink):
    return [s.xy.astype(int).tolist() for s in ink]


def test_constants():
    assert (tokens.FRAME_MAX, Y, S, tokens.NUM_INK_TOKENS) == (224, 225, 450, 451)


def test_encode_layout():
    ink = Ink.from_xy([[[1, 2], [3, 4]], [[224, 0]]])
    assert tokens.encode(ink) == [S, 1, 2 + Y, 3, 4 + Y, S, 224, Y]
    assert tokens.to_text([S, 7]) == "<ink_token_450><ink_token_7>"


def test_encode_rejects_out_of_frame_and_nan_and_skips_empty():
    with pytest.raises(InkError):
        tokens.encode(Ink.from_xy([[[225, 0]]]))
    with pytest.raises(InkError):
        tokens.encode(Ink.from_xy([[[-1, 0]]]))
    with pytest.raises(InkError):
        tokens.encode(Ink.from_xy([[[np.nan, 0]]]))
    assert tokens.encode(Ink.from_xy([[], [[1, 1]]])) == [S, 1, 1 + Y]
    assert tokens.encode(Ink()) == []


def test_decode_pairs():
    assert pts(tokens.decode([S, 1, 2 + Y, 3, 4 + Y])) == [[[1, 2], [3, 4]]]


def test_decode_out_of_range_point_dropped_but_consumed():
    # (300 -> x=300? no: 300 is a valid id but x must be <= 224) -> pair dropped, walk advances by 2
    assert pts(tokens.decode([S, 300, 5 + Y, 6, 7 + Y])) == [[[6, 7]]]
    # y out of range (id 10 -> y = 10 - 225 < 0) -> dropped, both ids consumed
    assert pts(tokens.decode([S, 4, 10, 6, 7 + Y])) == [[[6, 7]]]


def test_decode_dangling_ids_skipped():
    # last id has no partner
    assert pts(tokens.decode([S, 1, 2 + Y, 3])) == [[[1, 2]]]
    # id followed by 450: skipped by one, then 450 opens a new stroke
    assert pts(tokens.decode([S, 1, 2 + Y, 3, S, 5, 6 + Y])) == [[[1, 2]], [[5, 6]]]


def test_decode_repeated_450_make_no_empty_strokes():
    assert pts(tokens.decode([S, S, S, 1, 2 + Y, S, S])) == [[[1, 2]]]
    assert tokens.decode([S, S]).num_strokes == 0
    assert tokens.decode([]).num_strokes == 0


def test_decode_points_before_first_450_form_a_stroke():
    assert pts(tokens.decode([1, 2 + Y, S, 3, 4 + Y])) == [[[1, 2]], [[3, 4]]]


def test_decode_keeps_one_point_strokes():
    ink = tokens.decode([S, 9, 9 + Y, S, 1, 1 + Y, 2, 2 + Y])
    assert [len(s) for s in ink] == [1, 2]


@pytest.mark.parametrize("bad", [451, 10_000, -1])
def test_decode_errors_on_ids_outside_vocabulary(bad):
    with pytest.raises(InkError):
        tokens.decode([S, 1, bad])
    with pytest.raises(InkError):
        tokens.to_text([bad])


def test_from_text_ignores_everything_else():
    text = "hello <ink_token_450> x<ink_token_3><ink_token_230>  <ink_tok_5> <ink_token_4>"
    assert tokens.from_text(text) == [S, 3, 230, 4]
    assert pts(tokens.decode_text(text)) == [[[3, 5]]]
    with pytest.raises(InkError):
        tokens.from_text("<ink_token_451>")


def test_split_text_and_ink():
    ids = [S, 1, 2 + Y, 3, 4 + Y]
    text, ink = tokens.split_text_and_ink("Hello world " + tokens.to_text(ids))
    assert text == "Hello world" and pts(ink) == [[[1, 2], [3, 4]]]
    text, ink = tokens.split_text_and_ink("no ink at all")
    assert text == "no ink at all" and ink.num_strokes == 0


def test_round_trip_random_inks():
    rng = np.random.default_rng(0)
    for _ in range(50):
        ink = geometry.quantize(random_ink(rng, lo=-5, hi=230))
        ids = tokens.encode(ink)
        assert all(0 <= i < 451 for i in ids)
        back = tokens.decode(ids)
        assert back.allclose(ink, 0)
        assert tokens.decode_text(tokens.to_text(ids)).allclose(ink, 0)
        assert tokens.encode(back) == ids


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 1.7, "\u0663", "9" * 5000, 10 ** 5000, None,
                                 np.float64(2.5)],
                         ids=["nan", "inf", "1.7", "unicode-digit", "5000-digit-str", "5000-digit-int", "none",
                              "np-2.5"])
def test_non_integer_ids_are_ink_errors_never_truncated(bad):
    with pytest.raises(InkError):
        tokens.decode([S, bad, 2 + Y])


def test_integral_ids_in_any_numeric_type():
    for ids in ([S, 1.0, 2.0 + Y], np.array([S, 1, 2 + Y], np.uint16), [S, np.int64(1), "227"]):
        assert pts(tokens.decode(ids)) == [[[1, 2]]]


def test_text_ids_are_ascii_digits_only():
    assert tokens.from_text("<ink_token_0450><ink_token_007>") == [S, 7]          # leading zeros: int()
    assert tokens.from_text("<ink_token_1.7><ink_token_-1><ink_token_ 3>") == []  # not tokens (released regex)
    for text in ("<ink_token_\u0663>", "<ink_token_\uff11\uff12>", "<ink_token_" + "0" * 4000 + "9" * 1000 + ">"):
        with pytest.raises(InkError):
            tokens.from_text(text)
