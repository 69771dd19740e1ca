"""The authors' release (InkSight-Derenderings) reader on files in the release's exact format."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import readers_fixtures as F
from inkrepro.data import readers
from inkrepro.data.readers import inksight_derenderings as R
from inkrepro.errors import UserError

INKML = """<?xml version="1.0" encoding="UTF-8"?>
<ink xmlns="http://www.w3.org/2003/InkML">
  <annotation type="application">InkSight</annotation>
  <annotation type="sourceDataset">{dataset}</annotation>
  <annotation type="inferenceMode">{mode}</annotation>
  <annotation type="exampleId">{eid}</annotation>
  <annotation type="textField">{text}</annotation>
{traces}
</ink>
"""


def inkml(dataset, mode, eid, text, strokes):
    traces = "\n".join("  <trace>" + " ".join(f"{x},{y}" for x, y in s) + "</trace>" for s in strokes)
    return INKML.format(dataset=dataset, mode=mode, eid=eid, text=text, traces=traces)


STROKES = [[(10, 60), (20, 70), (30, 80)], [(100, 100), (110, 110)]]


def _ink_module(monkeypatch, modname="utils.ink"):
    """Classes named Ink/Stroke living in `modname`, as the release's pickle names them."""
    mod = types.ModuleType(modname)

    class Stroke:
        def __init__(self, pts):
            self.x = [p[0] for p in pts]
            self.y = [p[1] for p in pts]

    class Ink:
        def __init__(self, strokes):
            self.strokes = strokes

    for c in (Stroke, Ink):
        c.__module__ = modname
        c.__qualname__ = c.__name__
        setattr(mod, c.__name__, c)
    monkeypatch.setitem(sys.modules, modname, mod)
    if "." in modname:
        parent = types.ModuleType(modname.rsplit(".", 1)[0])
        setattr(parent, modname.rsplit(".", 1)[1], mod)
        monkeypatch.setitem(sys.modules, parent.__name__, parent)
    return mod


def make_release(root, monkeypatch, human=True):
    # "hang.png": rstrip(".png") would give "ha"; the id must be "hang"
    F.png(root / "IAM" / "images_sample" / "hang.png", 448, 224)
    F.png(root / "HierText" / "images_sample" / "0d44ea16f816055c_76.png", 100, 200)
    labels = {"vanilla": ("Vanilla", " "), "d+t": ("Derender with Text", "hang"),
              "r+d": ("Recognize and Derender", "hong")}
    for model in ("small-p", "large-i"):
        for folder, (label, text) in labels.items():
            d = root / f"{model}_IAM_inkml" / folder
            d.mkdir(parents=True)
            (d / "hang.inkml").write_text(inkml("IAM", label, "hang.png", text, STROKES))
    d = root / "small-p_HierText_inkml"
    for folder in labels:
        (d / folder).mkdir(parents=True)
    (d / "vanilla" / "0d44ea16f816055c_76.inkml").write_text(
        inkml("HierText", "Vanilla Derender", "0d44ea16f816055c_76", " ", []))  # no strokes
    (d / "vanilla" / "wrongmode.inkml").write_text(inkml("HierText", "Recognize and Derender", "w", "x", STROKES))
    (d / "d+t" / "oddmode.inkml").write_text(inkml("HierText", "Sketch", "o", "x", STROKES))
    (d / "r+d" / "broken.inkml").write_text("<ink><trace>1,2 3,")
    # the folder name visualize_dataset.py builds ({model.lower()}_{dataset.lower()}_inkml), with
    # inferenceMode spelled in other ways than the docs' ("Vanilla") and the files' ("Vanilla Derender")
    d = root / "small-i_hiertext_inkml"
    for folder, label in (("vanilla", "vanilla  derender"), ("d+t", "Derender_with_Text"),
                          ("r+d", "RECOGNIZE AND DERENDER")):
        (d / folder).mkdir(parents=True)
        (d / folder / "0d44ea16f816055c_76.inkml").write_text(
            inkml("hiertext", label, "0d44ea16f816055c_76", "x", STROKES))
    if human:
        mod = _ink_module(monkeypatch)
        tracings = {"0d44ea16f816055c_76": mod.Ink([mod.Stroke([(0, 0), (10, 20)]), mod.Stroke([(5, 5)])]),
                    "nopic.png": mod.Ink([mod.Stroke([(1, 2), (3, 4)])])}
        np.save(root / R.HUMAN_FILE, tracings, allow_pickle=True)


def test_release_model_outputs(tmp_path, monkeypatch):
    make_release(tmp_path, monkeypatch)
    recs = readers.read("inksight-derenderings", tmp_path)
    exs = {e.id: e for e in recs}
    assert sorted(exs) == sorted([f"{m}_IAM/{mode}/hang" for m in ("small-p", "large-i")
                                  for mode in ("d+t", "vanilla", "r+d")]
                                 + ["small-p_HierText/vanilla/0d44ea16f816055c_76"]
                                 + [f"small-i_HierText/{m}/0d44ea16f816055c_76" for m in ("d+t", "vanilla", "r+d")]
                                 + [
                                    "human_HierText/human/0d44ea16f816055c_76", "human_HierText/human/nopic"])
    v = exs["small-p_IAM/vanilla/hang"]
    assert v.kind == "derendered" and v.split == "test" and v.text == ""  # textField " " -> no text
    assert v.meta["text_field"] == " " and v.meta["example_id"] == "hang" and v.meta["dataset"] == "IAM"
    assert v.meta["model"] == "small-p" and v.meta["mode"] == "vanilla" and v.meta["frame"] == "image"
    assert v.image.shape == (224, 448, 3)
    # 448x224 image: ratio 0.5, dx 0, dy 56; frame (10, 60) -> image (20, 8)
    assert np.allclose(v.ink[0].xy, [[20, 8], [40, 28], [60, 48]])
    assert [len(s) for s in v.ink] == [3, 2]
    assert exs["large-i_IAM/d+t/hang"].text == "hang" and exs["small-p_IAM/r+d/hang"].text == "hong"
    empty = exs["small-p_HierText/vanilla/0d44ea16f816055c_76"]
    assert empty.ink.is_empty and empty.meta["valid"] is False
    assert dict(recs.skipped) == {"mode label disagrees with folder": 1, "unknown inference mode": 1,
                                  "malformed XML": 1}
    lower = exs["small-i_HierText/vanilla/0d44ea16f816055c_76"]
    assert lower.meta["model"] == "small-i" and lower.meta["dataset"] == "HierText"
    assert lower.meta["mode_label"] == "vanilla  derender" and lower.image.shape == (200, 100, 3)
    assert R.folder_mode("Vanilla", "x") == R.folder_mode("Vanilla Derender", "x") == "vanilla"


def test_release_human_tracings(tmp_path, monkeypatch):
    make_release(tmp_path, monkeypatch)
    monkeypatch.delitem(sys.modules, "utils.ink")  # reading must not need the original classes
    exs = {e.id: e for e in readers.read("inksight-derenderings", tmp_path, models=("none",))}
    assert sorted(exs) == ["human_HierText/human/0d44ea16f816055c_76", "human_HierText/human/nopic"]
    h = exs["human_HierText/human/0d44ea16f816055c_76"]
    assert h.meta == {"model": "human", "mode": "human", "dataset": "HierText",
                      "example_id": "0d44ea16f816055c_76", "frame": "image"}
    # 100x200 image: ratio 1.12, dx (224-112)//2 = 56, dy 0
    assert np.allclose(h.ink[0].xy, [[(0 - 56) / 1.12, 0], [(10 - 56) / 1.12, 20 / 1.12]])
    nopic = exs["human_HierText/human/nopic"]
    assert nopic.image is None and nopic.meta["frame"] == "model224"
    assert np.allclose(nopic.ink[0].xy, [[1, 2], [3, 4]])


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned",))


def test_release_refuses_foreign_pickle(tmp_path, monkeypatch):
    make_release(tmp_path, monkeypatch, human=False)
    np.save(tmp_path / R.HUMAN_FILE, {"a": _Evil()}, allow_pickle=True)
    with pytest.raises(UserError, match=r"refused to load (posix|nt|os)\.system.*restricted unpickler"):
        list(readers.read("inksight-derenderings", tmp_path))
    # a class named Ink from a module the release never uses is refused too
    mod = _ink_module(monkeypatch, "evil_pkg")
    np.save(tmp_path / R.HUMAN_FILE, {"a": mod.Ink([])}, allow_pickle=True)
    with pytest.raises(UserError, match=r"refused to load evil_pkg\.Ink"):
        R.load_human_tracings(tmp_path / R.HUMAN_FILE)
    (tmp_path / R.HUMAN_FILE).write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(UserError, match="not a readable tracing file"):
        R.load_human_tracings(tmp_path / R.HUMAN_FILE)


def test_release_inventory_and_layout(tmp_path, monkeypatch):
    make_release(tmp_path, monkeypatch)
    inv = R.inventory(tmp_path)
    assert inv["images"] == {"IAM": 1, "IMGUR5K": 0, "HierText": 1}
    assert inv["inkml"]["small-p_IAM/vanilla"] == 1 and inv["inkml"]["small-p_HierText/vanilla"] == 2
    assert inv["inkml"]["small-p_HierText/r+d"] == 1 and inv["human_tracings"] == 2
    assert inv["inkml"]["small-i_HierText/d+t"] == 1
    assert R.strip_png("hang.png") == "hang" and R.strip_png("png.png") == "png"
    with pytest.raises(UserError, match="_inkml"):
        readers.read("inksight-derenderings", tmp_path / "IAM")


def test_release_ink_variants():
    ink, st = R.ReleaseInk(), R.ReleaseStroke()
    st.__setstate__({"points": [(1, 2), (3, 4)]})
    ink.__setstate__({"_strokes": [st]})
    assert np.allclose(R.release_ink_to_strokes(ink, "x")[0], [[1, 2], [3, 4]])
    bad = R.ReleaseStroke()
    bad.__setstate__({"colour": "red"})
    ink.__setstate__({"_strokes": [bad]})
    with pytest.raises(Exception, match="stroke without x/y"):
        R.release_ink_to_strokes(ink, "x")


def test_release_unreadable_image_counts_each_example_once(tmp_path, monkeypatch):
    make_release(tmp_path, monkeypatch, human=False)
    F.truncated_png(tmp_path / "IAM" / "images_sample" / "hang.png")
    recs = readers.read("inksight-derenderings", tmp_path, datasets=("IAM",))
    assert list(recs) == []
    assert dict(recs.skipped) == {"unreadable image": 6}  # 2 models x 3 modes need it, each once
    assert recs.ctx.first_bad["unreadable image"] == "large-i_IAM_inkml/d+t/hang.inkml"


def test_release_images_are_decoded_lazily_and_not_kept(tmp_path, monkeypatch):
    import gc
    import weakref

    make_release(tmp_path, monkeypatch, human=False)
    recs = readers.read("inksight-derenderings", tmp_path, datasets=("IAM",))
    alive = []
    for ex in recs:   # 2 models x 3 modes of the one IAM example, each with its own decode
        gc.collect()
        assert not [r for r in alive if r() is not None]   # the reader kept no earlier image
        alive.append(weakref.ref(ex.image))
        del ex
    assert len(alive) == 6


def test_release_names_from_files_stay_inside(tmp_path, monkeypatch):
    make_release(tmp_path, monkeypatch)
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    F.png(outside / "secret.png", 10, 10)
    d = tmp_path / "small-p_IAM_inkml" / "vanilla"
    for i, eid in enumerate((str(outside / "secret"), "../../../" + outside.name + "/secret", "a\\b", "..")):
        (d / f"evil{i}.inkml").write_text(inkml("IAM", "Vanilla", eid, " ", STROKES))
    recs = readers.read("inksight-derenderings", tmp_path, datasets=("IAM",))
    exs = list(recs)
    assert recs.skipped["unsafe path"] == 3
    # ".." names the file "...png" inside images_sample (absent): read in the model frame
    assert len(exs) == 7 and [e.meta["frame"] for e in exs if e.meta["example_id"] == ".."] == ["model224"]
