"""Table ``human_evaluation``: rating records in MLflow (3 raters per sample, majority vote)
beside the paper's result (``paper_values.HUMAN_EVAL``)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from inkrepro import tracking
from inkrepro.experiments import paper_values as paper
from inkrepro.experiments.tables.common import Output, fmt, save_figure, save_table

NAME, TITLE = "human_evaluation", "Human evaluation"


def build(profile: str, results_dir: Path) -> Output:
    out = Output(NAME, TITLE)
    df = tracking.search_runs("tags.inkrepro_kind = 'human_eval' and attributes.status = 'FINISHED'",
                              order_by=["attributes.start_time DESC"])
    hv = paper.HUMAN_EVAL
    rows = [{"source": f"paper: {hv['model']} on {hv['dataset']}", "valid (good+okay)":
             f"{100 * hv['valid']:.0f}%", "human-like": f"{100 * hv['human_like']:.0f}%",
             "samples": "—", "raters per sample": hv["raters_per_sample"], "note": "published"}]
    ours = []
    for _, r in df.iterrows():
        valid, like = r.get("metrics.valid"), r.get("metrics.human_like")
        ours.append((r.get("tags.group", r.get("tags.model", "ours")), valid, like))
        rows.append({"source": f"ours: {r.get('tags.group') or r.get('tags.model') or r['run_id'][:8]}",
                     "valid (good+okay)": f"{100 * valid:.0f}%" if valid == valid else "—",
                     "human-like": f"{100 * like:.0f}%" if like == like else "—",
                     "samples": fmt(r.get("metrics.n_samples")),
                     "raters per sample": fmt(r.get("metrics.raters_per_sample")),
                     "note": "majority vote of rating records"})
        out.sources.append(r["run_id"])
    if not ours:
        rows.append({"source": "ours", "valid (good+okay)": "not run", "human-like": "not run",
                     "samples": 0, "raters per sample": "—",
                     "note": "no rating records in MLflow (collect them with inkrepro.evaluate.human)"})
    table = pd.DataFrame(rows)
    save_table(out, table, NAME, results_dir,
               caption="Human evaluation (Q1 valid = good or okay; Q2 could a human have written it)",
               notes="Protocol: " + f"{hv['raters']} raters, {hv['raters_per_sample']} per sample, "
               f"{hv['aggregation']}; human tracings as control group.")
    fig, ax = plt.subplots(figsize=(5, 3.2))
    labels = [f"paper {hv['model']}"] + [str(g) for g, _, _ in ours]
    valid = [hv["valid"]] + [v for _, v, _ in ours]
    like = [hv["human_like"]] + [h for _, _, h in ours]
    xs = np.arange(len(labels))
    ax.bar(xs - 0.2, valid, 0.4, label="valid (good+okay)")
    ax.bar(xs + 0.2, like, 0.4, label="human-like")
    ax.set_xticks(xs)
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.set_title("Human evaluation" + ("" if ours else " (ours: no rating records yet)"), fontsize=9)
    fig.tight_layout()
    save_figure(out, fig, NAME, results_dir)
    out.text = ("Ours: " + ("; ".join(f"{g}: valid {v:.0%}, human-like {h:.0%}" for g, v, h in ours)
                            if ours else "not run (no rating records).")
                + f" Paper ({hv['model']}, {hv['dataset']}): {paper.human_eval_text()}.")
    return out
