"""Table ``automated_evaluation``: models x datasets x inference modes from the evaluation runs
the ``training_tasks`` sweep's jobs link to; the recognizer on ground-truth ink (upper bound);
GVS marked not run, with the reason.

Rows come in groups (:func:`rows`), each a function of the joined runs: add a group there
(e.g. calibration rows) and it lands in the table, its CSV and LaTeX.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from inkrepro.experiments import paper_values as paper
from inkrepro.experiments.tables.common import (
    LOWER_IS_BETTER,
    MODE_LABELS,
    Output,
    jobs_with_runs,
    mean_sd,
    metric_cols,
    save_figure,
    save_table,
    split_eval_metrics,
)

NAME, TITLE = "automated_evaluation", "Automated evaluation"
METRICS = ("char_f1", "cer", "word_acc", "tesseract_char_f1", "dtw", "ldtw", "aiou", "chamfer",
           "validity")


def model_rows(model: str, df: pd.DataFrame, names: Sequence[str]) -> list[dict]:
    """One row per (dataset, mode) of a model's runs: mean ± sd over seeds."""
    if df.empty:
        return [{"model": model, "dataset": "—", "mode": "—", "seeds": 0,
                 **{m: "not run" for m in names}}]
    rows = []
    for (ds, mode), cols in sorted(split_eval_metrics(df).items()):
        if mode == "upper_bound" or df[cols].isna().all().all():
            continue
        rows.append(_row(model, df, ds, mode, cols, names))
    return rows


def upper_bound_rows(df: pd.DataFrame, names: Sequence[str]) -> list[dict]:
    """The recognizer (and Tesseract) on the ground-truth ink of each dataset."""
    return [_row("recognizer on ground-truth ink (upper bound)", df, ds, mode, cols, names)
            for (ds, mode), cols in sorted(split_eval_metrics(df).items())
            if mode == "upper_bound" and not df[cols].isna().all().all()]


def baseline_rows(names: Sequence[str]) -> list[dict]:
    return [{"model": "GVS (Mo et al. 2021)", "dataset": "all", "mode": "—", "seeds": 0,
             **{m: "not run" for m in names}}]


def _row(model: str, df: pd.DataFrame, ds: str, mode: str, cols: list[str],
         names: Sequence[str]) -> dict:
    row = {"model": model, "dataset": ds, "mode": MODE_LABELS.get(mode, mode),
           "seeds": int(df[cols].notna().any(axis=1).sum())}
    for m in names:
        col = f"eval/{ds}/{mode}/{m}"
        row[m] = mean_sd(df[col].tolist() if col in df else [])
    return row


def rows(ours: pd.DataFrame, base: pd.DataFrame, names: Sequence[str], profile: str) -> list[dict]:
    return (model_rows(f"ours, all five tasks ({profile})", ours, names)
            + model_rows(f"untrained ({profile})", base, names)
            + upper_bound_rows(ours, names)
            + baseline_rows(names))


def build(profile: str, results_dir: Path) -> Output:
    out = Output(NAME, TITLE)
    _, df = jobs_with_runs("training_tasks", profile)
    ours = df[(df["arm"] == "all_five") & (df["state"] == "done")]
    base = df[(df["arm"] == "untrained") & (df["state"] == "done")]
    present = {c.split("/")[-1] for c in metric_cols(df, "eval/")}
    names = [n for n in METRICS if n in present] or sorted(present)[:8]
    table = pd.DataFrame(rows(ours, base, names, profile))
    note = (f"mean ± sd over seeds of the `all_five` arm of ablations/training_tasks.yaml. "
            f"GVS not run: {paper.GVS_REASON} Our datasets are synthetic stand-ins (hershey: "
            "Latin words, kanjivg: CJK, photos: rendered word photos without reference ink), "
            "not IAM / IMGUR5K / HierText; the paper's automated numbers are not comparable.")
    if profile in ("smoke", "laptop"):
        note += (" This profile's recognizer is trained on Latin (hershey) ink only: its "
                 "character F1 / CER on kanjivg measure nothing useful; read DTW, LDTW and AIoU there.")
    vers = sorted({str(v) for v in ours.get("recognizer_version", pd.Series(dtype=str)).dropna()})
    if vers:
        note += f" Recognizer version: {', '.join(vers)}."
    save_table(out, table, NAME, results_dir,
               caption=f"Automated evaluation ({profile} profile)", notes=note)
    # figure: the headline metrics per dataset x mode, ours vs untrained
    groups = [k for k in sorted(split_eval_metrics(ours)) if k[1] != "upper_bound"]
    shown = [m for m in ("char_f1", "dtw", "validity") if m in names] or names[:3]
    fig, axes = plt.subplots(1, max(1, len(shown)), figsize=(4.2 * max(1, len(shown)), 3.8),
                             squeeze=False)
    for ax, m in zip(axes[0], shown):
        xs = np.arange(len(groups))
        for k, (lab, sub, col) in enumerate([("ours", ours, "C0"), ("untrained", base, "0.6")]):
            vals = [sub[f"eval/{ds}/{md}/{m}"].dropna().to_numpy(float)
                    if f"eval/{ds}/{md}/{m}" in sub else np.array([]) for ds, md in groups]
            means = [v.mean() if len(v) else np.nan for v in vals]
            ax.bar(xs + (k - 0.5) * 0.38, means, 0.38, label=lab, color=col)
            for x, v in zip(xs, vals):
                ax.scatter(np.full(len(v), x + (k - 0.5) * 0.38), v, s=8, color="k", zorder=3)
        ax.set_xticks(xs)
        ax.set_xticklabels([f"{ds}\n{MODE_LABELS.get(md, md)}" for ds, md in groups], fontsize=7,
                           rotation=30, ha="right")
        ax.set_title(m + (" (lower is better)" if m in LOWER_IS_BETTER else ""), fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(out, fig, NAME, results_dir)
    out.text = learning_statement(ours, base, profile)
    out.sources = ours["run_id"].dropna().tolist() + base["run_id"].dropna().tolist()
    return out


def learning_statement(ours: pd.DataFrame, base: pd.DataFrame, profile: str) -> str:
    """Does the trained model beat the untrained one on held-out words (vanilla mode)?"""
    parts = []
    for m in ("dtw", "char_f1", "validity"):
        col = next((c for c in metric_cols(ours, "eval/") if c.endswith(f"/vanilla_derender/{m}")),
                   None)
        if col is None or col not in base or ours[col].dropna().empty or base[col].dropna().empty:
            continue
        a, b = ours[col].dropna().mean(), base[col].dropna().mean()
        better = a < b if m in LOWER_IS_BETTER else a > b
        parts.append(f"`{col}`: trained {a:.3f} vs untrained {b:.3f} "
                     f"({'better' if better else 'NOT better'})")
    if not parts:
        return "No trained/untrained pair with shared metrics finished yet."
    return f"Real learning check ({profile}): " + "; ".join(parts) + "."
