"""What every table module shares: the Output record, formats (Markdown, CSV, LaTeX, PNG, PDF),
the MLflow queries (sweep jobs joined with the train and evaluation runs they link to) and
the plain-words statements about seed spreads.

Tables only report: they read MLflow records and committed benchmark outputs, never measure.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from inkrepro import tracking
from inkrepro.evaluate import calibration
from inkrepro.experiments.spec import Job, expand, load_spec

REPO = Path(__file__).resolve().parents[4]
LOWER_IS_BETTER = ("dtw", "ldtw", "cer", "chamfer", "loss")
MODE_LABELS = {"vanilla_derender": "Vanilla", "derender_with_text": "Derender w/ text",
               "recognize_and_derender": "Recognize & derender", "upper_bound": "GT ink"}


@dataclasses.dataclass
class Output:
    name: str
    title: str
    files: list[Path] = dataclasses.field(default_factory=list)
    tables: list[Path] = dataclasses.field(default_factory=list)   # .md files
    figures: list[Path] = dataclasses.field(default_factory=list)  # .png files
    text: str = ""
    sources: list[str] = dataclasses.field(default_factory=list)


# ------------------------------------------------------------------ formatting

def fmt(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float | np.floating):
        return f"{v:.{digits}g}" if abs(v) >= 1e4 or (abs(v) < 1e-3 and v != 0) else f"{v:.{digits}f}"
    return str(v)


def mean_sd(values: Sequence[float], digits: int = 3) -> str:
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    if not vals:
        return "—"
    if len(vals) == 1:
        return f"{vals[0]:.{digits}f} (n=1)"
    return f"{np.mean(vals):.{digits}f} ± {np.std(vals, ddof=1):.{digits}f}"


def to_markdown(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    rows = [[fmt(v).replace("|", "/").replace("\n", " ") for v in r] for r in df.itertuples(index=False)]
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
        "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
        "±": r"$\pm$", "—": "--", "≥": r"$\geq$", "×": r"$\times$"}


def tex_escape(s: str) -> str:
    return "".join(_TEX.get(ch, ch) for ch in str(s))


def to_latex(df: pd.DataFrame, caption: str = "", label: str = "") -> str:
    cols = [tex_escape(c) for c in df.columns]
    lines = [r"\begin{table}[t]", r"\centering", r"\small",
             r"\begin{tabular}{" + "l" * len(cols) + "}", r"\toprule", " & ".join(cols) + r" \\",
             r"\midrule"]
    for r in df.itertuples(index=False):
        lines.append(" & ".join(tex_escape(fmt(v)) for v in r) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if caption:
        lines.append(r"\caption{" + tex_escape(caption) + "}")
    if label:
        lines.append(r"\label{tab:" + label + "}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def save_table(out: Output, df: pd.DataFrame, stem: str, results_dir: Path, *,
               caption: str = "", notes: str = "") -> None:
    results_dir.mkdir(parents=True, exist_ok=True)
    md = results_dir / f"{stem}.md"
    body = f"**{caption}**\n\n" if caption else ""
    md.write_text(body + to_markdown(df) + "\n" + (f"\n{notes}\n" if notes else ""))
    csv = results_dir / f"{stem}.csv"
    df.to_csv(csv, index=False)
    tex = results_dir / f"{stem}.tex"
    tex.write_text(to_latex(df, caption, stem))
    out.files += [md, csv, tex]
    out.tables.append(md)


def save_figure(out: Output, fig, stem: str, results_dir: Path) -> None:
    results_dir.mkdir(parents=True, exist_ok=True)
    png, pdf = results_dir / f"{stem}.png", results_dir / f"{stem}.pdf"
    fig.savefig(png, dpi=130, bbox_inches="tight")
    fig.savefig(pdf, bbox_inches="tight")
    plt.close(fig)
    out.files += [png, pdf]
    out.figures.append(png)


def metrics_frame(metrics: dict[str, Any]) -> pd.DataFrame:
    """Flat ``a/b/c -> value`` metrics as a small table (for the evaluate notebook)."""
    rows = [{"metric": k, "value": v} for k, v in sorted(metrics.items())]
    return pd.DataFrame(rows, columns=["metric", "value"])


# ------------------------------------------------------------------ MLflow queries

def q(v: str) -> str:
    """A value quoted for an MLflow filter string."""
    return "'" + str(v).replace("'", "") + "'"


def metric_cols(df: pd.DataFrame, prefix: str) -> list[str]:
    return sorted(c for c in df.columns if isinstance(c, str) and c.startswith(prefix))


def job_runs(profile: str) -> pd.DataFrame:
    """All FINISHED sweep job runs of ``profile`` (newest first)."""
    return tracking.search_runs(f"tags.inkrepro_kind = 'job' and tags.profile = {q(profile)} "
                                "and attributes.status = 'FINISHED'",
                                order_by=["attributes.start_time DESC"])


def run_metrics(run_ids: Sequence[str]) -> dict[str, dict[str, float]]:
    """run id -> its metrics (the runs a job links to: ``train_run``, ``eval_run``)."""
    ids = sorted({r for r in run_ids if isinstance(r, str) and r})
    if not ids:
        return {}
    df = tracking.search_runs("attributes.run_id IN (" + ", ".join(q(r) for r in ids) + ")")
    return {r["run_id"]: {k[8:]: v for k, v in r.items() if k.startswith("metrics.") and v == v}
            for _, r in df.iterrows()}


def jobs_with_runs(spec_name: str, profile: str, runs: pd.DataFrame | None = None
                   ) -> tuple[list[Job], pd.DataFrame]:
    """The spec's plan joined with the newest finished run of each job (by job hash) and the
    metrics of the train and evaluation runs it links to (``train/...``, ``val/...``,
    ``eval/<dataset>/<mode>/<metric>``) beside the job's own timing."""
    plan = expand(load_spec(spec_name), profile)
    runs = job_runs(profile) if runs is None else runs
    by_hash: dict[str, dict] = {}
    for _, r in runs.iterrows():
        by_hash.setdefault(r.get("tags.job_hash"), r.to_dict())
    linked = run_metrics([r.get(f"tags.{t}") for r in by_hash.values()
                          for t in ("train_run", "eval_run")])
    rows = []
    for j in plan:
        r = by_hash.get(j.job_hash)
        row = {"arm": j.arm, "label": j.label, "seed": j.seed, "job_hash": j.job_hash,
               "config_hash": j.config_hash, "run_id": r["run_id"] if r else None,
               "state": "done" if r else "not run"}
        if r:
            row.update({k[8:]: v for k, v in r.items() if k.startswith("metrics.")})
            for t in ("train_run", "eval_run"):
                row[t] = r.get(f"tags.{t}")
                row.update(linked.get(row[t], {}))
            row["workdir"] = r.get("tags.workdir")
            row["recognizer_version"] = r.get("tags.recognizer_version")
        rows.append(row)
    return plan, pd.DataFrame(rows)


def reference_run(profile: str, spec_name: str = "main_model", arm: str = "model"
                  ) -> dict[str, Any] | None:
    """The newest finished run of the reference arm (its ``workdir`` tag locates the model)."""
    _, df = jobs_with_runs(spec_name, profile)
    done = df[(df["arm"] == arm) & (df["state"] == "done")]
    if done.empty:
        return None
    return done.iloc[0].to_dict()


def split_eval_metrics(df: pd.DataFrame) -> dict[tuple[str, str], list[str]]:
    """``eval/<dataset>/<mode>/<metric>`` columns grouped by (dataset, mode)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for c in metric_cols(df, "eval/"):
        parts = c.split("/")
        if len(parts) == 4:
            groups.setdefault((parts[1], parts[2]), []).append(c)
    return groups


def mean_of(df: pd.DataFrame, col: str) -> float:
    """Mean of a metric column over runs (NaN when absent)."""
    return float(df[col].dropna().mean()) if col in df and df[col].notna().any() else float("nan")


def floor_and_ceiling(cal: pd.DataFrame, ds: str, metric: str) -> tuple[str, float, float]:
    """(strongest floor row, its value, ceiling value) of ``metric`` on dataset ``ds``."""
    floors = {f: mean_of(cal, f"eval/{ds}/{f}/{metric}") for f in calibration.FLOORS}
    name, floor = calibration.strongest_floor(floors, metric)
    return name, floor, mean_of(cal, f"eval/{ds}/{calibration.CEILING}/{metric}")


# ------------------------------------------------------------------ plots and statements

def strip_plot(ax, df: pd.DataFrame, metric: str, arms: list[str], labels: list[str]) -> None:
    rng = np.random.default_rng(0)
    for i, arm in enumerate(arms):
        vals = df.loc[df["arm"] == arm, metric].dropna().to_numpy(float) if metric in df else []
        if len(vals):
            ax.scatter(i + rng.uniform(-0.12, 0.12, len(vals)), vals, s=22, color="C0", zorder=3,
                       alpha=0.8)
            m = vals.mean()
            ax.hlines(m, i - 0.3, i + 0.3, color="C3", lw=2, zorder=4)
            if len(vals) > 1:
                ax.vlines(i, vals.min(), vals.max(), color="C3", lw=1, alpha=0.6)
        else:
            ax.text(i, 0.5, "not run", transform=ax.get_xaxis_transform(), ha="center",
                    fontsize=7, color="0.5", rotation=90)
    ax.set_xticks(range(len(arms)))
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    ax.set_title(metric, fontsize=9)
    ax.grid(axis="y", alpha=0.3)


def separation_text(df: pd.DataFrame, metric: str, ref_arm: str, arms: list[str],
                    labels: dict[str, str]) -> str:
    """Plain statement: which arms differ from the reference beyond the seed spread
    (non-overlapping min..max over seeds, at least two seeds each)."""
    if metric not in df or df[metric].dropna().empty:
        return f"No finished runs with `{metric}` yet: nothing to compare."
    ref = df.loc[df["arm"] == ref_arm, metric].dropna().to_numpy(float)
    if len(ref) < 2:
        return (f"The reference arm '{labels.get(ref_arm, ref_arm)}' has fewer than two finished "
                "seeds: no statement about separation is possible.")
    sep, not_sep, thin = [], [], []
    for arm in arms:
        if arm == ref_arm:
            continue
        v = df.loc[df["arm"] == arm, metric].dropna().to_numpy(float)
        if len(v) < 2:
            thin.append(labels.get(arm, arm))
            continue
        d = v.mean() - ref.mean()
        word = "higher" if d > 0 else "lower"
        if v.min() > ref.max() or v.max() < ref.min():
            sep.append(f"{labels.get(arm, arm)} ({word} by {abs(d):.3f})")
        else:
            not_sep.append(labels.get(arm, arm))
    n = len(sep) + len(not_sep)
    parts = [f"Separation on `{metric}` against '{labels.get(ref_arm, ref_arm)}' "
             f"(seed ranges must not overlap): {len(sep)} of {n} arms separate"]
    if sep:
        parts.append("separated: " + "; ".join(sep))
    if not_sep:
        parts.append("within seed spread (no claim at this scale): " + ", ".join(not_sep))
    if thin:
        parts.append("fewer than two seeds: " + ", ".join(thin))
    return ". ".join(parts) + "."
