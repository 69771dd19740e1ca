"""Table ``model_variants``: our configs' exact parameter counts, as ``inkrepro model summary
--log`` recorded them in MLflow (``inkrepro reproduce`` records them first), beside the paper's
sizes (``paper_values.MODEL_PARAMS``)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from inkrepro import tracking
from inkrepro.experiments import paper_values as paper
from inkrepro.experiments.tables.common import Output, q, save_figure, save_table

NAME, TITLE = "model_variants", "Model variants and parameter counts"
PAPER_VARIANTS = {"small": "Small-p / Small-i", "large": "Large-i"}


def build(profile: str, results_dir: Path) -> Output:
    out = Output(NAME, TITLE)
    df = tracking.search_runs(f"tags.inkrepro_kind = 'model_variant' and tags.profile = {q(profile)}",
                              order_by=["attributes.start_time DESC"])
    df = df.drop_duplicates("tags.config") if not df.empty else df
    rows, totals = [], {}
    for name in ("tiny", "small", "large"):
        r = df[df["tags.config"] == name] if not df.empty else df
        if r.empty:
            continue
        r = r.iloc[0]
        total = r["metrics.params/total"]
        totals[name] = float(total)
        paper_n = paper.MODEL_PARAMS.get(name)
        rows.append({"config": name, "ViT": r["params.vit"], "encoder-decoder": r["params.text"],
                     "image": r["params.image_size"], "vocab": r["params.vocab_size"],
                     "ViT params": f"{r['metrics.params/vit'] / 1e6:.2f}M",
                     "total params": f"{total / 1e6:.2f}M",
                     "paper": (f"{PAPER_VARIANTS[name]}: {paper.params_text(name)}"
                               if paper_n else "— (ours, CPU)"),
                     "ours / paper": f"{total / paper_n:.2f}" if paper_n else "—"})
        out.sources.append(r["run_id"])
    if not rows:
        out.text = (f"No model-variant records for profile {profile}: run `inkrepro model summary "
                    f"--profile {profile} --log` (part of `inkrepro reproduce`).")
    table = pd.DataFrame(rows)
    save_table(out, table, NAME, results_dir,
               caption="Model configs: exact parameter counts (jax.eval_shape) vs the paper",
               notes="small/large state their assumptions in inkrepro/model/configs.py "
                     "(ViT-B/16 + T5 v1.1 base; ViT-L/16 + T5 v1.1 large; 32k text pieces + "
                     "451 ink ids). The paper does not break its sizes down.")
    fig, ax = plt.subplots(figsize=(5, 3.2))
    names = list(totals)
    xs = np.arange(len(names))
    ax.bar(xs - 0.2, [totals[n] for n in names], 0.4, label="ours (exact)")
    ax.bar(xs + 0.2, [paper.MODEL_PARAMS.get(n, np.nan) for n in names], 0.4, label="paper")
    ax.set_yscale("log")
    ax.set_xticks(xs)
    ax.set_xticklabels(names)
    ax.set_ylabel("parameters")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(out, fig, NAME, results_dir)
    return out
