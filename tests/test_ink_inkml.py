import numpy as np
import pytest

from ink_fixtures import random_ink
from inkrepro.errors import InkError
from inkrepro.ink import inkml
from inkrepro.ink.core import Ink, Stroke
from inkrepro.ink.inkml import InkmlError, TraceGroup


def _same(a: Ink, b: Ink) -> bool:
    return a.allclose(b, atol=0.0)


@pytest.mark.parametrize("variant", ["w3c", "inksight"])
@pytest.mark.parametrize("time", [False, True])
def test_round_trip_identical(tmp_path, variant, time):
    rng = np.random.default_rng(3)
    for i in range(10):
        ink = random_ink(rng, lo=-1e4, hi=1e4, time=time)
        ann = {"application": "InkSight", "exampleId": f"ex_{i}", "textField": "déjà <vu> & \"q\"\n2"}
        path = inkml.write_inkml(tmp_path / f"{i}.inkml", ink, ann, variant=variant)
        doc = inkml.read_inkml(path)
        assert _same(doc.ink, ink) and doc.annotations == ann and doc.variant == variant


def test_integers_written_without_decimal_point():
    text = inkml.to_inkml_string(Ink.from_xy([[[1, 2], [3.5, 4]]]))
    assert "<trace>1 2, 3.5 4</trace>" in text
    text = inkml.to_inkml_string(Ink.from_xy([[[1, 2], [3, 4]]]), variant="inksight")
    assert "<trace>1,2 3,4</trace>" in text


W3C_DOC = """<?xml version="1.0" encoding="UTF-8"?>
<ink xmlns="http://www.w3.org/2003/InkML">
  <traceFormat><channel name="X" type="decimal"/><channel name="Y" type="decimal"/>
    <channel name="T" type="integer" units="ms"/></traceFormat>
  <annotation type="writer">w01</annotation>
  <trace id="0">10 20 0, 11 21 10, 12 22 20</trace>
  <trace id="1">5 5 100,6 6 110</trace>
  <traceGroup xml:id="g0">
    <annotation type="truth">xin chào</annotation>
    <traceGroup><annotation type="truth">xin</annotation><traceView traceDataRef="0"/></traceGroup>
    <traceGroup><annotation type="truth">chào</annotation><traceView traceDataRef="#1"/></traceGroup>
  </traceGroup>
</ink>"""


def test_w3c_trace_format_time_units_and_groups():
    doc = inkml.parse_inkml(W3C_DOC, "sample.inkml")
    assert doc.variant == "w3c" and doc.annotations == {"writer": "w01"}
    assert doc.ink[0].xy.tolist() == [[10, 20], [11, 21], [12, 22]]
    assert np.allclose(doc.ink[1].t, [0.1, 0.11])  # ms -> s
    (g,) = doc.groups
    assert g.annotations["truth"] == "xin chào" and g.id == "g0"
    assert [sub.annotations["truth"] for sub in g.groups] == ["xin", "chào"]
    assert g.all_traces() == [0, 1] and doc.group_ink(g.groups[1]).num_points == 2


def test_groups_round_trip(tmp_path):
    ink = Ink.from_xy([[[0, 0], [1, 1]], [[2, 2]], [[3, 3], [4, 5]]])
    groups = [TraceGroup({"truth": "ab"}, [0, 1], [TraceGroup({"truth": "c"}, [2])], id="w1")]
    doc = inkml.read_inkml(inkml.write_inkml(tmp_path / "g.inkml", ink, groups=groups))
    assert doc.groups == groups and _same(doc.ink, ink)


def test_channel_order_and_extra_channels():
    text = """<ink><traceFormat><channel name="Y"/><channel name="X"/><channel name="F"/></traceFormat>
      <trace>1 2 0.5, 3 4 0.5</trace></ink>"""
    assert inkml.parse_inkml(text).ink[0].xy.tolist() == [[2, 1], [4, 3]]


RELEASE_DOC = """<?xml version="1.0" encoding="UTF-8"?>
<ink xmlns="http://www.w3.org/2003/InkML">
<annotation type="application">InkSight</annotation>
<annotation type="sourceDataset">IAM</annotation>
<annotation type="inferenceMode">{mode}</annotation>
<annotation type="exampleId">0d44ea16f816055c_76</annotation>
<annotation type="textField">Hello</annotation>
<trace>10.5,20 11,21.25 12,22</trace>
<trace>30,40</trace>
</ink>"""


@pytest.mark.parametrize("label,mode", [("Vanilla Derender", "vanilla_derender"),
                                        ("Vanilla", "vanilla_derender"),
                                        ("Derender with Text", "derender_with_text"),
                                        ("Recognize and Derender", "recognize_and_derender")])
def test_release_variant(label, mode):
    doc = inkml.parse_inkml(RELEASE_DOC.format(mode=label), "r.inkml")
    assert doc.variant == "inksight" and doc.mode == mode
    assert doc.annotations["exampleId"] == "0d44ea16f816055c_76"
    assert doc.ink[0].xy.tolist() == [[10.5, 20], [11, 21.25], [12, 22]]
    assert doc.ink[1].xy.tolist() == [[30, 40]] and not doc.ink.has_time
    # and our writer reproduces the same ink and annotations
    again = inkml.parse_inkml(inkml.to_inkml_string(doc.ink, doc.annotations, "inksight"))
    assert _same(again.ink, doc.ink) and again.annotations == doc.annotations
    assert inkml.MODE_LABELS[mode] in ("Vanilla Derender", "Derender with Text", "Recognize and Derender")
    assert inkml.mode_from_label({"vanilla_derender": "vanilla", "derender_with_text": "d+t",
                                  "recognize_and_derender": "r+d"}[mode]) == mode


def test_empty_traces_and_empty_ink_round_trip(tmp_path):
    ink = Ink((Stroke([1.0], [2.0]), Stroke([], [])))
    doc = inkml.read_inkml(inkml.write_inkml(tmp_path / "e.inkml", ink))
    assert [len(s) for s in doc.ink] == [1, 0]
    doc = inkml.read_inkml(inkml.write_inkml(tmp_path / "n.inkml", Ink()))
    assert doc.ink.num_strokes == 0


# ------------------------------------------------------------------ bad input: one clear error


def _err(data, name="bad.inkml") -> str:
    with pytest.raises(InkmlError) as e:
        inkml.parse_inkml(data, name)
    msg = str(e.value)
    assert msg.startswith(name + ": ") and "\n" not in msg
    return msg


def test_non_utf8():
    msg = _err("<ink><trace>1 2</trace><annotation type='a'>é</annotation></ink>".encode("latin-1"))
    assert "UTF-8" in msg and "0xe9" in msg
    # a declared legacy encoding is honoured
    doc = inkml.parse_inkml('<?xml version="1.0" encoding="ISO-8859-1"?><ink><annotation type="a">é</annotation></ink>'.encode("latin-1"))
    assert doc.annotations["a"] == "é"


def test_xml_bombs():
    bomb = """<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
      <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
      <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
      <ink><annotation type="a">&lol3;</annotation></ink>"""
    assert "bomb" in _err(bomb)
    external = """<?xml version="1.0"?><!DOCTYPE ink [<!ENTITY x SYSTEM "file:///etc/passwd">]>
      <ink><annotation type="a">&x;</annotation></ink>"""
    assert "entity" in _err(external).lower()


@pytest.mark.parametrize("data,needle", [
    ("<ink><trace>1 2, 3</trace></ink>", "do not split"),
    ("<ink><trace>1 2, 3 x</trace></ink>", "'x'"),
    ("<ink><trace>1 nan, 3 4</trace></ink>", "NaN"),
    ("<ink><trace>1 inf</trace></ink>", "NaN or infinite"),
    ("<ink><trace>1 2, '3 '4</trace></ink>", "difference encoding"),
    ("<ink><trace>1 2</trace>", "not well-formed"),
    ("<svg><path/></svg>", "<svg>"),
    ("", "not well-formed"),
    ("<ink><traceFormat><channel name='X'/></traceFormat></ink>", "needs X and Y"),
    ("<ink><traceGroup><traceView traceDataRef='#nope'/></traceGroup></ink>", "unknown trace"),
    ("<ink><traceFormat><channel name='X'/><channel name='Y'/><channel name='T'/></traceFormat>"
     "<trace>1 2 0</trace><trace>1,2</trace></ink>", "3 channels (X Y T): point 0 has 2"),
])
def test_malformed(data, needle):
    assert needle in _err(data)


def test_missing_file_and_writer_checks(tmp_path):
    with pytest.raises(InkmlError, match="nope.inkml"):
        inkml.read_inkml(tmp_path / "nope.inkml")
    with pytest.raises(InkError):
        inkml.write_inkml(tmp_path / "x.inkml", Ink.from_xy([[[np.nan, 1]]]))
    with pytest.raises(InkError):
        inkml.write_inkml(tmp_path / "x.inkml", Ink(), {"a": "bell\x07"})
    with pytest.raises(InkError):
        inkml.to_inkml_string(Ink(), variant="svg")
    with pytest.raises(InkError):
        inkml.mode_from_label("Guess")


@pytest.mark.parametrize("data,needle", [
    ('<?xml version="1.0" encoding="x-nonexistent"?><ink/>', "unknown text encoding 'x-nonexistent'"),
    ('<?xml version="1.0" encoding="hex"?><ink/>', "unknown text encoding 'hex'"),
    ('<?xml version="1.0" encoding="shift_jis"?><ink><trace>1 2</trace></ink>', "declared encoding"),
    ("<ink>" + "<traceGroup>" * 5000 + "</traceGroup>" * 5000 + "</ink>", "nested deeper than 100"),
    ("<ink><traceFormat><channel name='X'/><channel name='Y'/><channel name='T'/></traceFormat>"
     "<trace>1 2 3 4, 5 6</trace></ink>", "3 channels (X Y T): point 0 has 4"),
    ("<ink><trace>1 2 3, 4 5 6</trace></ink>", "2 channels (X Y): point 0 has 3"),
    ("<ink><trace>1,2 3,4,5</trace></ink>", "point 1 has 3"),
    ("<ink><trace>\u0661 2</trace></ink>", "cannot read"),
    ("<ink><trace>1_0 2</trace></ink>", "cannot read '1_0'"),
])
def test_hostile_files_are_one_clear_error(data, needle):
    assert needle in _err(data.encode("shift_jis") if "shift_jis" in data else data)


def test_channels_are_never_rechunked_and_intermittent_ones_are_dropped():
    doc = inkml.parse_inkml("<ink><traceFormat><channel name='X'/><channel name='Y'/><intermittentChannels>"
                            "<channel name='F'/></intermittentChannels></traceFormat>"
                            "<trace>1 2, 3 4 0.5, 5 6</trace></ink>")
    assert doc.ink[0].xy.tolist() == [[1, 2], [3, 4], [5, 6]]
    nested = "<ink>" + "<traceGroup>" * 100 + "<trace>1 2</trace>" + "</traceGroup>" * 100 + "</ink>"
    assert inkml.parse_inkml(nested).ink.num_points == 1   # 100 levels are fine
