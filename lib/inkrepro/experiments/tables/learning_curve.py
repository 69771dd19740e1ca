"""Figure ``learning_curve``: the main model's character F1 and LDTW (vanilla mode, held-out
words) at every kept checkpoint against training minutes, with the strongest floor and the
ceiling drawn, and the minutes a straight-line extrapolation of the last points says a target
character F1 needs (``TARGET_F1``, the laptop bar). Points come from the evaluation run of
``ablations/main_model.yaml`` (MLflow history ``curve/<dataset>/<metric>`` by step; the runner's
``curve`` option), floors and ceiling from the same evaluation's calibration rows.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from inkrepro import tracking
from inkrepro.experiments.tables.common import (
    Output,
    floor_and_ceiling,
    jobs_with_runs,
    save_figure,
    save_table,
)

NAME, TITLE = "learning_curve", "Learning curve of the main model"
TARGET_F1 = 0.50      # the laptop bar: recognizer character F1 on held-out words
CURVE_KEYS = ("minutes", "char_f1", "char_f1_lo", "char_f1_hi", "ldtw", "ldtw_lo", "ldtw_hi", "cer",
              "validity")


def curve_points(eval_run: str, dataset: str) -> pd.DataFrame:
    """One row per checkpoint step: training minutes and the curve metrics."""
    cols: dict[str, dict[int, float]] = {}
    for k in CURVE_KEYS:
        for step, v in tracking.metric_history(eval_run, f"curve/{dataset}/{k}"):
            cols.setdefault(k, {})[step] = v
    df = pd.DataFrame(cols)
    df.index.name = "step"
    return df.sort_index().reset_index()


def minutes_needed(df: pd.DataFrame, target: float = TARGET_F1, last: int = 3) -> float:
    """Training minutes at which a straight line through the last ``last`` points reaches
    ``target`` character F1 (NaN when the points do not rise; the value itself when reached)."""
    d = df.dropna(subset=["minutes", "char_f1"])
    hit = d[d["char_f1"] >= target]
    if len(hit):
        return float(hit["minutes"].iloc[0])
    d = d.tail(last)
    if len(d) < 2:
        return float("nan")
    slope, icpt = np.polyfit(d["minutes"], d["char_f1"], 1)
    return float((target - icpt) / slope) if slope > 0 else float("nan")


def build(profile: str, results_dir: Path) -> Output:
    out = Output(NAME, TITLE)
    _, df = jobs_with_runs("main_model", profile)
    done = df[(df["arm"] == "model") & (df["state"] == "done")]
    if done.empty or not done["eval_run"].notna().any():
        save_table(out, pd.DataFrame([{"seed": "—", "step": "not run"}]), NAME, results_dir,
                   caption=f"{TITLE} ({profile}): the main_model sweep has not run")
        out.text = "No finished main-model run: no learning curve."
        return out
    ds = "hershey"
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    tables, texts = [], []
    for _, r in done.iterrows():
        pts = curve_points(r["eval_run"], ds)
        if pts.empty:
            continue
        pts.insert(0, "seed", r["seed"])
        tables.append(pts)
        need = minutes_needed(pts)
        lab = f"seed {r['seed']} (job {str(r['run_id'])[:8]})"
        for ax, m in zip(axes, ("char_f1", "ldtw")):
            ax.errorbar(pts["minutes"], pts[m], yerr=[pts[m] - pts[f"{m}_lo"], pts[f"{m}_hi"] - pts[m]],
                        marker="o", capsize=3, label=lab)
            for _, p in pts.iterrows():
                ax.annotate(f"{int(p['step'])}", (p["minutes"], p[m]), fontsize=6, xytext=(3, 3),
                            textcoords="offset points", color="0.4")
        last = pts.iloc[-1]
        texts.append(f"seed {r['seed']}: character F1 {last['char_f1']:.3f} [{last['char_f1_lo']:.3f}, "
                     f"{last['char_f1_hi']:.3f}] and LDTW {last['ldtw']:.2f} px after "
                     f"{last['minutes']:.1f} training minutes (step {int(last['step'])}); "
                     + (f"character F1 {TARGET_F1} reached at {need:.1f} min" if need <= last["minutes"]
                        else f"a straight line through the last points reaches {TARGET_F1} at "
                             f"~{need:.0f} min" if np.isfinite(need) else
                        f"the curve does not rise: no estimate of the minutes to {TARGET_F1}"))
    for ax, m, unit in zip(axes, ("char_f1", "ldtw"), ("recognizer character F1, higher is better",
                                                      "LDTW (px, 224 frame), lower is better")):
        fname, floor, ceil = floor_and_ceiling(done, ds, m)
        if np.isfinite(floor):
            ax.axhline(floor, color="C3", ls="--", lw=1.2, label=f"strongest floor ({fname})")
        if np.isfinite(ceil):
            ax.axhline(ceil, color="C2", ls=":", lw=1.5, label="ceiling (reference at training spacing)")
        if m == "char_f1":
            ax.axhline(TARGET_F1, color="0.5", ls="-.", lw=1, label=f"target {TARGET_F1}")
        ax.set_xlabel("training minutes (wall clock, 2 CPU cores)" if profile in ("smoke", "laptop")
                      else "training minutes (wall clock)")
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"Learning curve, {profile} profile: vanilla derendering of held-out {ds} words "
                 "(numbers by the points: training step)", fontsize=9)
    fig.tight_layout()
    save_figure(out, fig, NAME, results_dir)
    table = pd.concat(tables) if tables else pd.DataFrame()
    save_table(out, table, NAME, results_dir,
               caption=f"{TITLE} ({profile}): every kept checkpoint, vanilla mode, {ds}",
               notes="; ".join(texts))
    out.text = " ".join(texts) or "The main-model evaluation has no curve points."
    out.sources = done["run_id"].dropna().tolist() + done["eval_run"].dropna().tolist()
    return out
