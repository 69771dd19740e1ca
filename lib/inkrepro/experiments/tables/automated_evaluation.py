"""Table ``automated_evaluation``: the main model (``ablations/main_model.yaml``) x datasets x
inference modes, read between floors and ceilings: the calibration rows of the same evaluation
(empty output, a constant string, another word's ink, a midline; the reference ink at the
training spacing), the untrained model (``training_tasks``' ``untrained`` arm) and the
recognizer on dense ground-truth ink; for the headline metrics (character F1, LDTW) the
``position`` of each model row between the strongest floor (0) and the ceiling (1). GVS marked
not run, with the reason.

Rows come in groups (:func:`rows`), each a function of the joined runs: add a group there
(e.g. calibration rows) and it lands in the table, its CSV and LaTeX.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from inkrepro.evaluate import calibration
from inkrepro.experiments import paper_values as paper
from inkrepro.experiments.tables.common import (
    LOWER_IS_BETTER,
    MODE_LABELS,
    Output,
    floor_and_ceiling,
    jobs_with_runs,
    mean_of,
    mean_sd,
    metric_cols,
    save_figure,
    save_table,
    split_eval_metrics,
)

NAME, TITLE = "automated_evaluation", "Automated evaluation"
METRICS = ("char_f1", "cer", "word_acc", "tesseract_char_f1", "ldtw", "dtw", "aiou", "chamfer",
           "validity")
HEADLINE = ("char_f1", "ldtw")     # reported with their position between floor and ceiling
CAL_LABELS = {"floor_empty": "floor: empty output", "floor_constant": "floor: constant string",
              "floor_shuffled": "floor: another word's reference ink",
              "floor_midline": "floor: midline through the word box",
              "ceiling_reference": "ceiling: reference ink at the training spacing"}


def model_rows(model: str, df: pd.DataFrame, names: Sequence[str],
               cal: pd.DataFrame | None = None) -> list[dict]:
    """One row per (dataset, mode) of a model's runs: mean ± sd over seeds; with ``cal`` (runs
    holding the calibration rows), the position of each headline metric between the
    strongest floor (0) and the ceiling (1)."""
    if df.empty:
        return [{"model": model, "dataset": "—", "mode": "—", "seeds": 0,
                 **{m: "not run" for m in names}}]
    rows = []
    for (ds, mode), cols in sorted(split_eval_metrics(df).items()):
        if mode == "upper_bound" or mode.startswith(("floor_", "ceiling_")) or df[cols].isna().all().all():
            continue
        row = _row(model, df, ds, mode, cols, names)
        if cal is not None:
            for m in HEADLINE:
                row[f"{m} position"] = _position(df, cal, ds, mode, m)
        rows.append(row)
    return rows


def _position(df: pd.DataFrame, cal: pd.DataFrame, ds: str, mode: str, metric: str) -> str:
    _, floor, ceil = floor_and_ceiling(cal, ds, metric)
    pos = calibration.position(mean_of(df, f"eval/{ds}/{mode}/{metric}"), floor, ceil, metric)
    return "—" if np.isnan(pos) else f"{pos:.2f}"


def calibration_rows(cal: pd.DataFrame, names: Sequence[str]) -> list[dict]:
    """The floor and ceiling rows of the evaluation (same samples, same readers)."""
    rows = []
    for (ds, mode), cols in sorted(split_eval_metrics(cal).items()):
        if mode in CAL_LABELS and not cal[cols].isna().all().all():
            rows.append(_row(CAL_LABELS[mode], cal, ds, mode, cols, names))
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
    return (model_rows(f"ours, main model ({profile})", ours, names, cal=ours)
            + model_rows(f"floor: untrained model ({profile})", base, names, cal=ours)
            + calibration_rows(ours, names)
            + upper_bound_rows(ours, names)
            + baseline_rows(names))


def build(profile: str, results_dir: Path) -> Output:
    out = Output(NAME, TITLE)
    _, df = jobs_with_runs("main_model", profile)
    ours = df[(df["arm"] == "model") & (df["state"] == "done")]
    _, tt = jobs_with_runs("training_tasks", profile)
    base = tt[(tt["arm"] == "untrained") & (tt["state"] == "done")]
    present = {c.split("/")[-1] for c in metric_cols(df, "eval/")}
    names = [n for n in METRICS if n in present] or sorted(present)[:8]
    table = pd.DataFrame(rows(ours, base, names, profile))
    note = ("Main model: mean ± sd over seeds of ablations/main_model.yaml (`model` arm; the "
            "profile's own training config). Floors and ceiling: the calibration rows of the same "
            "evaluation (same words, same recognizer and Tesseract); the untrained model: the "
            "`untrained` arm of ablations/training_tasks.yaml (same architecture, one step at "
            "learning rate 0). `position`: where the model's mean lies from the strongest floor "
            "(0) to the ceiling (1) (character F1: recognizer reading; LDTW: point-density-free "
            "geometric distance, px). Raw DTW depends on point density: read LDTW. "
            f"GVS not run: {paper.GVS_REASON} Our datasets are synthetic stand-ins (hershey: "
            "Latin words with reference ink; photos: rendered word photos without reference ink), "
            "not IAM / IMGUR5K / HierText; the paper's automated numbers are not comparable.")
    vers = sorted({str(v) for v in ours.get("recognizer_version", pd.Series(dtype=str)).dropna()})
    if vers:
        note += f" Recognizer version: {', '.join(vers)}."
    runs = ", ".join(str(r)[:8] for r in ours["run_id"].dropna())
    save_table(out, table, NAME, results_dir,
               caption=f"Automated evaluation ({profile} profile; job runs {runs or 'none'})", notes=note)
    save_figure(out, headline_figure(ours, base, profile, runs), NAME, results_dir)
    out.text = learning_statement(ours, base, profile)
    out.sources = ours["run_id"].dropna().tolist() + base["run_id"].dropna().tolist()
    return out


def headline_figure(ours: pd.DataFrame, base: pd.DataFrame, profile: str, runs: str):
    """Per dataset x mode: the model's and the untrained model's headline metrics, with the
    strongest floor (dashed) and the ceiling (dotted) drawn on each panel."""
    groups = [k for k in sorted(split_eval_metrics(ours))
              if k[1] in MODE_LABELS and k[1] != "upper_bound"]
    shown = [m for m in HEADLINE + ("chamfer",) if any(f"eval/{ds}/{md}/{m}" in ours for ds, md in groups)]
    fig, axes = plt.subplots(1, max(1, len(shown)), figsize=(4.6 * max(1, len(shown)), 4.2),
                             squeeze=False)
    for ax, m in zip(axes[0], shown):
        sel = [(ds, md) for ds, md in groups if f"eval/{ds}/{md}/{m}" in ours]
        xs = np.arange(len(sel))
        for k, (lab, sub, col) in enumerate([("ours", ours, "C0"), ("untrained", base, "0.6")]):
            vals = [sub[f"eval/{ds}/{md}/{m}"].dropna().to_numpy(float)
                    if f"eval/{ds}/{md}/{m}" in sub else np.array([]) for ds, md in sel]
            means = [v.mean() if len(v) else np.nan for v in vals]
            ax.bar(xs + (k - 0.5) * 0.38, means, 0.38, label=lab, color=col)
            for x, v in zip(xs, vals):
                ax.scatter(np.full(len(v), x + (k - 0.5) * 0.38), v, s=8, color="k", zorder=3)
        for i, (ds, _) in enumerate(sel):
            fname, floor, ceil = floor_and_ceiling(ours, ds, m)
            kw = {"xmin": i - 0.45, "xmax": i + 0.45, "lw": 1.5}
            if np.isfinite(floor):
                ax.hlines(floor, color="C3", ls="--", label="strongest floor" if i == 0 else None, **kw)
            if np.isfinite(ceil):
                ax.hlines(ceil, color="C2", ls=":", label="ceiling" if i == 0 else None, **kw)
        ax.set_xticks(xs)
        ax.set_xticklabels([f"{ds}\n{MODE_LABELS.get(md, md)}" for ds, md in sel], fontsize=8)
        better = "lower is better" if m in LOWER_IS_BETTER else "higher is better"
        unit = " (px)" if m in ("ldtw", "dtw", "chamfer") else ""
        ax.set_ylabel(f"{m}{unit}, {better}", fontsize=8)
        ax.set_title(m, fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle(f"Automated evaluation, {profile} profile (main model job runs: {runs or 'none'})",
                 fontsize=9)
    fig.tight_layout()
    return fig


def learning_statement(ours: pd.DataFrame, base: pd.DataFrame, profile: str) -> str:
    """Is the model beyond its floors (held-out words, vanilla mode)? For each headline metric:
    the model's bootstrap CI against the strongest floor, the untrained model and the ceiling;
    "beyond" only when the whole CI is on the better side of both."""
    parts = []
    for ds in sorted({k[0] for k in split_eval_metrics(ours)}):
        for m in HEADLINE:
            col = f"eval/{ds}/vanilla_derender/{m}"
            if col not in ours or ours[col].dropna().empty:
                continue
            v = mean_of(ours, col)
            lo, hi = mean_of(ours, col + "_lo"), mean_of(ours, col + "_hi")
            fname, floor, ceil = floor_and_ceiling(ours, ds, m)
            untrained = mean_of(base, col)
            lower = m in LOWER_IS_BETTER
            worst_side = hi if lower else lo
            refs = [x for x in (floor, untrained) if np.isfinite(x)]
            beyond = bool(refs) and all((worst_side < x) if lower else (worst_side > x) for x in refs)
            pos = calibration.position(v, floor, ceil, m)
            parts.append(
                f"{ds} `{m}` {v:.3f} [{lo:.3f}, {hi:.3f}] vs strongest floor {floor:.3f} "
                f"({CAL_LABELS.get(fname, fname or 'none')}), untrained {untrained:.3f}, ceiling "
                f"{ceil:.3f}: position {pos:.2f}, " + ("beyond every floor" if beyond else
                                                       "NOT beyond every floor"))
    if not parts:
        return "No finished main-model evaluation with headline metrics yet."
    return f"Where the main model stands ({profile}, vanilla mode; 95% bootstrap CIs over words): " + \
        "; ".join(parts) + "."
