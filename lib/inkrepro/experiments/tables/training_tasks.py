"""Table ``training_tasks`` (paper Table 1): the five training tasks from the task registry
(``inkrepro.tasks``): prompt, input and target, one generated example each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from inkrepro import tasks
from inkrepro.data import photos, synthetic
from inkrepro.experiments.tables.common import Output, save_figure, save_table
from inkrepro.ink import draw
from inkrepro.ink.augment import AugmentConfig

NAME, TITLE = "training_tasks", "Table 1: the five training tasks"

TASK_INFO = {
    "vanilla_derender": ("rendered ink (photo-like)", "ink"),
    "derender_with_text": ("rendered ink + its text", "ink"),
    "recognize_real": ("real photo (our stand-in: synthetic word photos)", "text"),
    "recognize_rendered": ("rendered ink (photo-like)", "text"),
    "recognize_and_derender": ("rendered ink (photo-like)", "text, space, ink"),
}


def task_examples(image_size: int = 224, seed: int = 0) -> dict[str, Any]:
    """One (augmented) sample per task from the synthetic sources (registry + generators)."""
    ink_ex = synthetic.generate(synthetic.SyntheticInkConfig(seed=seed), "test", 1)[0]
    photo_ex = photos.generate(photos.PhotoConfig(seed=seed), "test", 1)[0]
    out = {}
    for i, task in enumerate(tasks.TASK_NAMES):
        ex = photo_ex if tasks.TASK_INPUT_KIND[task] == "ocr" else ink_ex
        rng = np.random.default_rng([seed, i])
        out[task] = tasks.make_sample(task, ex, image_size=image_size, augment=AugmentConfig(),
                                      rng=rng)
    return out


def build(profile: str, results_dir: Path) -> Output:
    out = Output(NAME, TITLE)
    samples = task_examples()
    rows = []
    for task in tasks.TASK_NAMES:
        s = samples[task]
        inp, tgt = TASK_INFO[task]
        prompt = tasks.PROMPTS[task]
        ours = task in ("recognize_real", "recognize_rendered")
        target = tasks.target_string(s.text, s.ink, task)
        short = target if len(target) < 60 else target[:57] + "..."
        rows.append({"task": task, "input": inp, "prompt": prompt + (" (our choice)" if ours else ""),
                     "target": tgt, "default weight": tasks.DEFAULT_MIXTURE[task],
                     "example target": short})
    table = pd.DataFrame(rows)
    save_table(out, table, NAME, results_dir,
               caption="The five InkSight training tasks (paper Table 1), from inkrepro.tasks",
               notes="Recognition prompts and mixture weights are not published: ours are marked. "
                     "Only recognize_real sees photos; derendering is supervised on rendered ink.")
    fig, axes = plt.subplots(2, len(tasks.TASK_NAMES), figsize=(3.0 * len(tasks.TASK_NAMES), 6.2))
    for c, task in enumerate(tasks.TASK_NAMES):
        s = samples[task]
        axes[0, c].imshow(s.image)
        axes[0, c].set_title(f"{task}\n\"{s.prompt}\"", fontsize=8)
        axes[0, c].axis("off")
        ax = axes[1, c]
        if s.ink is not None:
            draw.plot_ink(ax, s.ink)
            ax.set_title(("target: " + s.text + " + ink") if tasks.TARGET_HAS_TEXT[task]
                         else "target: ink", fontsize=8)
        else:
            ax.text(0.5, 0.5, s.text, ha="center", va="center", fontsize=14)
            ax.set_title("target: text", fontsize=8)
            ax.axis("off")
    fig.suptitle("Training tasks: input (top) and target (bottom)", fontsize=10)
    fig.tight_layout()
    save_figure(out, fig, NAME, results_dir)
    out.text = ("Input images are generated on the fly from the synthetic sources with the "
                "training augmentation; see notebooks/training_tasks.ipynb.")
    return out
