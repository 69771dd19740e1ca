"""Figures ``qualitative_{words,photos,sketches}``: the main model (the MLflow record of
``main_model`` / ``model`` names its workdir) derenders held-out synthetic words,
synthetic photos and out-of-domain sketch-like drawings through ``inkrepro.infer`` (vanilla
mode, infer's default decoding)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from inkrepro import infer, tasks
from inkrepro.data import pipeline
from inkrepro.evaluate import gallery
from inkrepro.experiments.tables.common import Output, reference_run, save_figure
from inkrepro.ink import draw
from inkrepro.ink.augment import AugmentConfig
from inkrepro.ink.core import Ink

NAME, TITLE = "qualitative", "Qualitative galleries"
TILE_PX = 192   # each input / ink / overlay tile (inputs upsampled: strokes must be visible)


def sketch_inks() -> dict[str, Any]:
    """Out-of-domain, sketch-like inputs (no text): spiral, star, house, wave, circles."""
    t = np.linspace(0, 6 * np.pi, 160)
    spiral = [np.stack([50 + 3.2 * t * np.cos(t), 50 + 3.2 * t * np.sin(t)], 1)]
    a = np.linspace(0, 2 * np.pi, 11)
    r = np.where(np.arange(11) % 2 == 0, 60, 25)
    star = [np.stack([80 + r * np.sin(a), 80 - r * np.cos(a)], 1)]
    house = [np.array([[10, 60], [10, 120], [90, 120], [90, 60], [10, 60], [50, 15], [90, 60]], float),
             np.array([[40, 120], [40, 90], [60, 90], [60, 120]], float)]
    x = np.linspace(0, 200, 120)
    wave = [np.stack([x, 40 + 20 * np.sin(x / 12)], 1), np.stack([x, 90 + 20 * np.cos(x / 9)], 1)]
    c = np.linspace(0, 2 * np.pi, 60)
    circles = [np.stack([40 + 30 * np.cos(c), 40 + 30 * np.sin(c)], 1),
               np.stack([110 + 30 * np.cos(c), 40 + 30 * np.sin(c)], 1)]
    return {k: Ink.from_xy(v) for k, v in {"spiral": spiral, "star": star, "house": house,
                                            "wave": wave, "circles": circles}.items()}


def build(profile: str, results_dir: Path) -> Output:
    out = Output(NAME, TITLE)
    ref = reference_run(profile)
    if ref is None or not ref.get("workdir"):
        out.text = (f"No finished main-model run for profile {profile}: run "
                    f"`inkrepro sweep main_model --profile {profile}` first.")
        (results_dir / "qualitative.md").write_text(out.text + "\n")
        out.files.append(results_dir / "qualitative.md")
        return out
    inf = infer.Inference.load(ref["workdir"])
    size = inf.image_size
    words = pipeline.make_eval_examples(inf.cfg.data, "test", 8, sources=("hershey",), seed=1)
    photos = pipeline.make_eval_examples(inf.cfg.data, "test", 4, sources=("photos",), seed=1)
    rng = np.random.default_rng(0)
    sketches = []
    for name, ink in sketch_inks().items():
        img, _ = tasks.render_ink_input(ink, size, AugmentConfig(), rng, p_rotation=0.0)
        sketches.append((name, img))
    groups = {"words": [(e.text, e.image) for e in words],
              "photos": [(e.text, e.image) for e in photos],
              "sketches": sketches}
    for gname, items in groups.items():
        preds = inf.derender([im for _, im in items], "vanilla_derender")
        tiles = []
        for (title, im), o in zip(items, preds):
            tiles.append((f"{title} ({len(o.ink.strokes)} strokes)", gallery.panel(im, o.ink, size=TILE_PX)))
        grid = draw.gallery(tiles, cols=2)
        fig, ax = plt.subplots(figsize=(grid.shape[1] / 100, grid.shape[0] / 100), dpi=100)
        ax.imshow(grid)
        ax.axis("off")
        ax.set_title(f"{gname}: input | derendered ink | overlay (Vanilla, greedy, "
                     f"{'constrained' if inf.decoding.constrained else 'unconstrained'}, "
                     f"{profile} model {ref['run_id'][:8]})", fontsize=8)
        save_figure(out, fig, f"qualitative_{gname}", results_dir)
    out.sources = [ref["run_id"]]
    out.text = (f"Model: main_model, seed {ref['seed']} (MLflow run {ref['run_id']}). Words are "
                "held-out synthetic test words (writer-disjoint); photos have no reference ink; "
                "sketches are out-of-domain drawings rendered with the training augmentation.")
    return out
