"""A quick look at a trained run: derender held-out synthetic words and draw input | ink | overlay,
and plot its loss curves (the same numbers MLflow holds, read from the run's metrics.jsonl).

    python -m inkrepro.evaluate.gallery runs/work/laptop results/laptop/gallery.png --n 12 \
        --curve results/laptop/loss.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

from inkrepro import infer
from inkrepro.data import pipeline
from inkrepro.ink import draw
from inkrepro.ink.geometry import FRAME_SIZE


def panel(image: np.ndarray, ink, size: int = FRAME_SIZE) -> np.ndarray:
    """``input | ink | overlay`` with the model input upsampled to ``size`` px (default the
    224 frame, so that strokes are visible) and ``ink`` in the 224 token frame."""
    img = np.asarray(image)
    big = np.asarray(Image.fromarray(img).resize((size, size), Image.BICUBIC)) if img.shape[0] != size else img
    return draw.panel(big, infer.to_image_frame(ink, size))


def make_gallery(workdir: str | Path, out: str | Path, *, n: int = 12, split: str = "test",
                 source: str = "hershey", max_len: int = 0) -> Path:
    """Vanilla derenderings (infer's default decoding) of ``n`` held-out words of ``source``."""
    inf = infer.Inference.load(workdir, decoding=infer.Decoding(max_len=max_len))
    ex = pipeline.make_eval_examples(inf.cfg.data, split, n=n, sources=(source,))
    outs = inf.derender([e.image for e in ex], "vanilla_derender")
    items = []
    for e, o in zip(ex, outs):
        items.append((e.text[:18], panel(e.image, o.ink)))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    draw.gallery(items, out, cols=3,
                 heading=f"Vanilla derendering of held-out {source} words by {Path(workdir).name} "
                         f"({inf.cfg.profile} profile, infer's default decoding): input | ink | overlay")
    return Path(out)


def plot_curves(workdir: str | Path, out: str | Path) -> Path:
    """Train loss, validation loss and validation Vanilla-derender loss against the step."""
    rows = [json.loads(line) for line in (Path(workdir) / "metrics.jsonl").read_text().splitlines() if line]
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=120)
    for key, label in (("train/loss", "train"), ("val/loss", "validation"),
                       ("val/vanilla_derender/loss", "validation, Vanilla derender")):
        pts = [(r["step"], r[key]) for r in rows if key in r]
        if pts:
            ax.plot(*zip(*pts), marker="o" if key.startswith("val") else None, ms=3, label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy per target token (nats)")
    ax.set_title(f"{Path(workdir).name}: loss", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return Path(out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workdir")
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=12)
    ap.add_argument("--source", default="hershey")
    ap.add_argument("--curve", default="", help="also plot the loss curves to this file")
    a = ap.parse_args()
    print(make_gallery(a.workdir, a.out, n=a.n, source=a.source))
    if a.curve:
        print(plot_curves(a.workdir, a.curve))
