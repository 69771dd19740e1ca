"""A quick look at a trained run: derender held-out synthetic words and draw input | ink | overlay.

    python -m inkrepro.model.gallery runs/work/laptop results/laptop_gallery.png --n 12
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


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workdir")
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=12)
    ap.add_argument("--source", default="hershey")
    a = ap.parse_args()
    print(make_gallery(a.workdir, a.out, n=a.n, source=a.source))
