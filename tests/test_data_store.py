"""Parquet shard store: Example <-> rows, atomic shards, counts, bad files."""

import numpy as np
import pytest

from inkrepro.data.schema import Example
from inkrepro.data.store import Store, read_examples, write_examples
from inkrepro.errors import UserError
from inkrepro.ink.core import Ink, Stroke


def _examples():
    ink = Ink((Stroke([0.5, 1.25, 2.0], [3.0, 4.5, 5.0], [0.0, 0.01, 0.02]), Stroke([7.0], [8.0], [0.1])))
    img = np.random.default_rng(0).integers(0, 255, (9, 13, 3), dtype=np.uint8)
    return [
        Example("a", "hershey", "train", "ink", text="héllo", ink=ink, writer="w1", language="fr",
                script="Latin", meta={"pen_width": 0.1, "face": "cursive"}),
        Example("b", "photos", "test", "ocr", text="word", image=img, writer="DejaVuSans"),
        Example("c", "x", "train", "ink", text="", ink=Ink.from_xy([[(1, 2), (3, 4)]])),
    ]


def test_round_trip(tmp_path):
    exs = _examples()
    assert write_examples(tmp_path / "s.parquet", exs) == 3
    back = read_examples(tmp_path / "s.parquet")
    assert [e.id for e in back] == ["a", "b", "c"]
    a, b, c = back
    assert a.ink.allclose(exs[0].ink) and a.ink.has_time and a.text == "héllo"
    assert a.meta == {"pen_width": 0.1, "face": "cursive"} and a.writer == "w1" and a.language == "fr"
    assert a.image is None and b.ink is None
    assert np.array_equal(b.image, exs[1].image)          # PNG is lossless
    assert not c.ink.has_time and c.ink.allclose(exs[2].ink)
    assert [e.id for e in read_examples(tmp_path / "s.parquet", split="train")] == ["a", "c"]


def test_store_shards_atomic_and_counts(tmp_path):
    st = Store(tmp_path / "st")
    assert not st.exists() and st.counts() == {}
    exs = _examples()
    st.write_shard("part-0", exs[:2])
    st.write_shard("part-1", exs[2:])
    assert st.has_shard("part-0") and not st.has_shard("part-2")
    assert st.shards() == ["part-0", "part-1"]
    assert st.counts() == {"test": 1, "train": 2}
    assert [e.id for e in st.examples("train")] == ["a", "c"]
    assert not list(st.shard_dir.glob(".*tmp"))            # no temporary files left
    st.write_meta({"source": "x", "n": np.int64(3)})
    assert st.read_meta() == {"source": "x", "n": 3}
    with pytest.raises(ValueError):
        st.shard_path("../evil")


def test_jpeg_and_bad_shard(tmp_path):
    exs = _examples()
    write_examples(tmp_path / "j.parquet", exs[1:2], image_format="jpeg")
    (b,) = read_examples(tmp_path / "j.parquet")
    assert b.image.shape == exs[1].image.shape
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(UserError, match="unreadable"):
        read_examples(tmp_path / "bad.parquet")
    with pytest.raises(UserError, match="not found"):
        read_examples(tmp_path / "missing.parquet")


def test_example_source_matches_store(tmp_path):
    from inkrepro.data.store import ExampleSource

    st = Store(tmp_path / "st")
    exs = _examples()
    st.write_shard("a", exs[:2])
    st.write_shard("b", exs[2:])
    src = ExampleSource(st)
    assert len(src) == 3 and [src[i].id for i in range(3)] == ["a", "b", "c"]
    assert src[0].ink.allclose(exs[0].ink) and src[0].ink.has_time and src[0].meta["face"] == "cursive"
    assert src[1].ink is None and np.array_equal(src[1].image, exs[1].image)
    assert src[-1].id == "c" and not src[2].ink.has_time
    tr = ExampleSource(st, "train")
    assert [tr[i].id for i in range(len(tr))] == ["a", "c"] and tr.column("text") == ["héllo", ""]
    assert len(ExampleSource(tmp_path / "empty")) == 0
    with pytest.raises(IndexError):
        src[3]
