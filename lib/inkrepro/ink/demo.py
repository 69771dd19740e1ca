"""`inkrepro demo ink`: the ink core end to end on a few words of Hershey script fonts.

Builds inks (hershey-fonts; its y axis points up, so it is flipped), gives them timestamps at a
constant pen speed, writes and re-reads InkML (W3C with time, and the InkSight release
variant), renders photo-like augmented 224x224 images, tokenises and decodes the targets
(asserting the round trip), and writes a gallery PNG, an SVG and an animated GIF.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from HersheyFonts import HersheyFonts

from inkrepro.ink import augment, draw, geometry, inkml, tokens
from inkrepro.ink.core import Ink, Stroke

WORDS = (("handwriting", "cursive"), ("InkSight", "scripts"), ("derender", "cursive"),
         ("Photo", "timesi"), ("ink", "scriptc"), ("Hello", "futural"))
PEN_SPEED = 400.0   # font units per second
PEN_UP_S = 0.15


def hershey_ink(text: str, font: str = "cursive") -> Ink:
    """``text`` in a Hershey font as Ink (y down), timestamped at a constant pen speed."""
    f = HersheyFonts()
    f.load_default_font(font)
    f.normalize_rendering(100)
    strokes, t0 = [], 0.0
    for pts in f.strokes_for_text(text):
        xy = np.asarray(pts, dtype=np.float64).reshape(-1, 2) * (1.0, -1.0)
        seg = np.hypot(*np.diff(xy, axis=0).T) if len(xy) > 1 else np.zeros(0)
        t = t0 + np.concatenate([[0.0], np.cumsum(seg)]) / PEN_SPEED
        strokes.append(Stroke(xy[:, 0], xy[:, 1], t))
        t0 = float(t[-1]) + PEN_UP_S
    return Ink(tuple(strokes))


def run_demo(out: str | Path = "results/demo", seed: int = 0, per_word: int = 2) -> dict[str, Path]:
    out = Path(out)
    (out / "inkml").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    cfg = augment.AugmentConfig()
    tiles = []
    first = None
    for word, font in WORDS:
        ink = geometry.resample(hershey_ink(word, font), dt=0.01)
        framed, tf = geometry.fit_to_frame(ink, 224, margin=12)
        # InkML: W3C with time in the font's own frame, and the release variant in the 224 frame
        p = inkml.write_inkml(out / "inkml" / f"{word}.inkml", ink, {"truth": word, "font": font})
        back = inkml.read_inkml(p)
        assert back.ink.allclose(ink, 0.0) and back.annotations["truth"] == word
        q = geometry.quantize(framed)
        ann = {"application": "InkSight", "sourceDataset": "hershey-demo",
               "inferenceMode": inkml.MODE_LABELS["vanilla_derender"], "exampleId": word, "textField": word}
        p = inkml.write_inkml(out / "inkml" / f"{word}.release.inkml", q.without_time(), ann, "inksight")
        rel = inkml.read_inkml(p)
        assert rel.variant == "inksight" and rel.mode == "vanilla_derender"
        assert rel.ink.allclose(q.without_time(), 0.0)
        for _ in range(per_word):
            img, target = augment.render_augmented(framed, 224, cfg, rng)
            qt = geometry.quantize(target)
            text = tokens.to_text(tokens.encode(qt))
            decoded = tokens.decode_text(text)
            assert decoded.allclose(qt.without_time(), 0.0), "token round trip failed"
            tiles.append((f"{word} ({font}), {decoded.num_strokes} strokes", draw.panel(img, decoded)))
        if first is None:
            first = framed
    paths = {
        "gallery": out / "gallery.png",
        "svg": out / "ink.svg",
        "gif": out / "writing.gif",
        "inkml": out / "inkml",
    }
    draw.gallery(tiles, paths["gallery"], cols=2,
                 heading="Ground-truth round trip (no model): Hershey ink -> augmented image | "
                         "ink tokens decoded back | overlay")
    draw.to_svg(first, paths["svg"], size=(224, 224))
    draw.to_gif(first, paths["gif"], frames=40)
    return paths


def _handler(args: argparse.Namespace) -> int:
    paths = run_demo(args.out, seed=args.seed, per_word=args.per_word)
    for k, v in paths.items():
        print(f"{k:8s} {v}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("demo", help="small end-to-end demos")
    sub = p.add_subparsers(dest="demo", metavar="WHAT", required=True)
    q = sub.add_parser("ink", help="ink core demo: Hershey inks -> InkML, augmented images, "
                                   "tokens round trip, gallery/SVG/GIF")
    q.add_argument("--out", default="results/demo", help="output folder (default: results/demo)")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--per-word", type=int, default=2, help="augmented images per word")
    q.set_defaults(func=_handler)
