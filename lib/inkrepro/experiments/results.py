"""Every table (Markdown, CSV, LaTeX) and figure (PNG, PDF) of the suite, from MLflow records.

``build(name, profile=..., results_dir=...)`` runs one builder; each builder reads runs through
``inkrepro.tracking.search_runs`` (never numbers typed in a notebook), writes its files, a
``<name>.sources.json`` naming the MLflow runs it used, and logs everything to an MLflow run
tagged ``inkrepro_kind=results``. ``build_all`` runs them all and writes ``README.md`` (index
with thumbnails). Builders that need a trained model take it from the MLflow record of the
reference arm (its ``workdir`` tag).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from inkrepro import tracking
from inkrepro.experiments import paper_values as paper
from inkrepro.experiments.spec import Job, expand, load_spec

REPO = Path(__file__).resolve().parents[3]


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
    import matplotlib.pyplot as plt

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

def _q(v: str) -> str:
    return "'" + str(v).replace("'", "") + "'"


def job_runs(profile: str) -> pd.DataFrame:
    """All FINISHED sweep job runs of ``profile`` (newest first)."""
    df = tracking.search_runs(f"tags.inkrepro_kind = 'job' and tags.profile = {_q(profile)} "
                              "and attributes.status = 'FINISHED'",
                              order_by=["attributes.start_time DESC"])
    return df


def jobs_with_runs(spec_name: str, profile: str, runs: pd.DataFrame | None = None
                   ) -> tuple[list[Job], pd.DataFrame]:
    """The spec's plan joined with the newest finished run of each job (by job hash)."""
    spec = load_spec(spec_name)
    plan = expand(spec, profile)
    runs = job_runs(profile) if runs is None else runs
    by_hash: dict[str, dict] = {}
    for _, r in runs.iterrows():
        by_hash.setdefault(r.get("tags.job_hash"), r.to_dict())
    rows = []
    for j in plan:
        r = by_hash.get(j.job_hash)
        row = {"arm": j.arm, "label": j.label, "seed": j.seed, "job_hash": j.job_hash,
               "config_hash": j.config_hash, "run_id": r["run_id"] if r else None,
               "state": "done" if r else "not run"}
        if r:
            row.update({k[8:]: v for k, v in r.items() if k.startswith("metrics.")})
            row["workdir"] = r.get("tags.workdir")
        rows.append(row)
    return plan, pd.DataFrame(rows)


def _metric_cols(df: pd.DataFrame, prefix: str) -> list[str]:
    return sorted(c for c in df.columns if isinstance(c, str) and c.startswith(prefix))


# ------------------------------------------------------------------ plots

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
                    labels: dict[str, str], higher_is_better: bool = True) -> str:
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


# ------------------------------------------------------------------ builders

BUILDERS: dict[str, Callable[..., Output]] = {}
TITLES: dict[str, str] = {}


def builder(name: str, title: str):
    def deco(fn):
        BUILDERS[name] = fn
        TITLES[name] = title
        return fn
    return deco


def _ablation(spec_name: str, name: str, profile: str, results_dir: Path) -> Output:
    import matplotlib.pyplot as plt

    spec = load_spec(spec_name)
    out = Output(name, spec.title)
    plan, df = jobs_with_runs(spec_name, profile)
    arms = list(dict.fromkeys(j.arm for j in plan))
    labels = {j.arm: j.label for j in plan}
    metrics = [m for m in (spec.metrics or [spec.metric]) if m]
    rows = []
    for arm in arms:
        sub = df[df["arm"] == arm]
        row = {"arm": labels[arm], "seeds done": f"{int((sub['state'] == 'done').sum())}/{len(sub)}"}
        for m in metrics:
            row[m] = mean_sd(sub[m].tolist() if m in sub else [])
        rows.append(row)
    table = pd.DataFrame(rows)
    ref = arms[0] if arms else ""
    text = separation_text(df, spec.metric, ref, arms, labels, True) if spec.metric else ""
    caption = f"{spec.title} ({profile} profile): mean ± sd over seeds"
    save_table(out, table, name, results_dir, caption=caption, notes=text)
    long = df.copy()
    long.insert(0, "sweep", spec.name)
    long.to_csv(results_dir / f"{name}_runs.csv", index=False)
    out.files.append(results_dir / f"{name}_runs.csv")
    ncol = max(1, len(metrics))
    fig, axes = plt.subplots(1, ncol, figsize=(max(4.5, 0.7 * len(arms)) * ncol, 3.6), squeeze=False)
    for ax, m in zip(axes[0], metrics):
        strip_plot(ax, df, m, arms, [labels[a] for a in arms])
    fig.suptitle(f"{spec.title} ({profile}); dots = seeds, bar = mean, line = range", fontsize=10)
    fig.tight_layout()
    save_figure(out, fig, name, results_dir)
    out.text = text
    out.sources = [r for r in df["run_id"].dropna().tolist()]
    return out


@builder("ablation_training_tasks", "Training-task ablation")
def build_ablation_training_tasks(profile: str, results_dir: Path) -> Output:
    return _ablation("training_tasks", "ablation_training_tasks", profile, results_dir)


@builder("ablation_design_choices", "Design-choice ablation")
def build_ablation_design_choices(profile: str, results_dir: Path) -> Output:
    return _ablation("design_choices", "ablation_design_choices", profile, results_dir)


# ------------------------------------------------------------------ driver

def results_dir_for(profile: str, results_dir: str | Path | None = None) -> Path:
    if results_dir:
        return Path(results_dir)
    return REPO / "results" if profile == "laptop" else REPO / "results" / profile


def build(name: str, *, profile: str = "laptop", results_dir: str | Path | None = None,
          parent_run_id: str | None = None) -> Output:
    """Run one builder and log its files to an MLflow run (``inkrepro_kind=results``)."""
    from inkrepro.errors import UserError

    if name not in BUILDERS:
        raise UserError(f"unknown results builder {name!r}; known: {', '.join(BUILDERS)}")
    os.environ.setdefault("MPLBACKEND", "Agg")
    rdir = results_dir_for(profile, results_dir)
    rdir.mkdir(parents=True, exist_ok=True)
    out = BUILDERS[name](profile, rdir)
    src = rdir / f"{name}.sources.json"
    src.write_text(json.dumps({"builder": name, "title": out.title, "profile": profile,
                               "mlflow_runs": out.sources, "text": out.text,
                               "tables": [p.name for p in out.tables],
                               "figures": [p.name for p in out.figures],
                               "files": [p.name for p in out.files],
                               "built": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")},
                              indent=1))
    out.files.append(src)
    with tracking.run(f"results:{name}", parent_run_id=parent_run_id,
                      tags={"inkrepro_kind": "results", "builder": name, "profile": profile}):
        for f in out.files:
            tracking.log_artifact(f, name)
        tracking.log_metrics({"n_source_runs": len(out.sources)})
    return out


def show(out: Output) -> None:
    """Display an Output's tables and figures in a notebook."""
    from IPython.display import Image, Markdown, display

    for md in out.tables:
        display(Markdown(md.read_text()))
    for png in out.figures:
        display(Image(filename=str(png)))
    if out.text and not out.tables:
        display(Markdown(out.text))


def write_index(results_dir: Path, profile: str, names: Sequence[str] | None = None,
                failures: dict[str, str] | None = None) -> Path:
    """``README.md`` of a results folder from the builders' ``<name>.sources.json``."""
    failures = failures or {}
    lines = [f"# Results ({profile} profile)", "",
             "Generated by `inkrepro results build` (part of `inkrepro reproduce`) from the MLflow "
             "records under `runs/`; do not edit by hand. Each table comes as `.md`, `.csv`, "
             "`.tex`, each figure as `.png` and `.pdf`; `<name>.sources.json` lists the MLflow "
             "runs it was built from. Browse the runs with `make ui`.", ""]
    for name in names or list(BUILDERS):
        meta = {}
        src = results_dir / f"{name}.sources.json"
        if src.exists():
            meta = json.loads(src.read_text())
        lines += [f"## {meta.get('title') or TITLES.get(name, name)}", "",
                  f"Notebook: [`notebooks/{name}.ipynb`](../notebooks/{name}.ipynb)"
                  + (f" · built {meta['built']}" if meta.get("built") else ""), ""]
        if name in failures:
            lines += [f"**Not built:** {failures[name]}", ""]
        for t in meta.get("tables", []):
            stem = Path(t).stem
            lines.append(f"- table: [{stem}.md]({t}) · [csv]({stem}.csv) · [tex]({stem}.tex)")
        for f in meta.get("figures", []):
            stem = Path(f).stem
            lines.append(f"- figure: [{stem}.png]({f}) · [pdf]({stem}.pdf)")
        if meta.get("figures"):
            lines.append("")
            lines.append(" ".join(f'<a href="{f}"><img src="{f}" width="300" alt="{Path(f).stem}"></a>'
                                  for f in meta["figures"]))
        if meta.get("text"):
            lines += ["", meta["text"]]
        lines.append("")
    p = results_dir / "README.md"
    p.write_text("\n".join(lines))
    return p
