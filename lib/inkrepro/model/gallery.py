"""A quick look at a trained run: derender held-out synthetic words and draw input | ink | overlay,
and plot its loss curves (the same numbers MLflow holds, read from the run's metrics.jsonl).

    python -m inkrepro.model.gallery runs/work/laptop results/laptop/gallery.png --n 12 \
        --curve results/laptop/loss.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def make_gallery(workdir: str | Path, out: str | Path, *, n: int = 12, split: str = "test",
                 source: str = "hershey", constrained: bool = True, max_len: int | None = None) -> Path:
    from PIL import Image

    from inkrepro import tasks
    from inkrepro.data import pipeline
    from inkrepro.ink import draw
    from inkrepro.model import decode
    from inkrepro.train import load_for_inference

    model, vocab, cfg = load_for_inference(workdir)
    ex = pipeline.make_eval_examples(cfg.data, split, n=n, sources=(source,))
    img = np.stack([e.image for e in ex])
    prompt = np.stack([tasks.encode_prompt(vocab, tasks.PROMPTS["vanilla_derender"], cfg.data.max_prompt_len)] * len(ex))
    ids = np.asarray(decode.generate(model, img, prompt, max_len=max_len or cfg.data.max_target_len,
                                     constrained=constrained, vocab=vocab, allow_text=False))
    items = []
    for e, row in zip(ex, ids):
        _, ink = vocab.decode_output(row)
        big = np.asarray(Image.fromarray(e.image).resize((224, 224), Image.NEAREST))
        items.append((e.text[:18], draw.panel(big, ink)))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    draw.gallery(items, out, cols=3)
    return Path(out)


def plot_curves(workdir: str | Path, out: str | Path) -> Path:
    """Train loss, validation loss and validation Vanilla-derender loss against the step."""
    import json

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
