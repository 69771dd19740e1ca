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
            row["recognizer_version"] = r.get("tags.recognizer_version")
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
ORDER = ("training_tasks", "model_variants", "automated_evaluation", "ablation_training_tasks",
         "ablation_design_choices", "human_evaluation", "inference_speed", "qualitative")


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
    for arm in spec.arms:  # arms this profile leaves out, with the reason
        if arm.name not in arms:
            row = {"arm": arm.label, "seeds done": f"not run in {profile}"}
            row.update({m: arm.note or "not in this profile" for m in metrics[:1]})
            row.update({m: "—" for m in metrics[1:]})
            rows.append(row)
    table = pd.DataFrame(rows)
    ref = arms[0] if arms else ""
    text = separation_text(df, spec.metric, ref, arms, labels, True) if spec.metric else ""
    if spec.metric and "untrained" in arms:
        trained = [a for a in arms if a != "untrained"]
        text += " Learning check (each trained arm against the untrained reference): " + \
            separation_text(df, spec.metric, "untrained", trained, labels, True)
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
    for name in names or ORDER:
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
    subdirs = sorted(d for d in results_dir.iterdir() if d.is_dir() and not d.name.startswith("."))
    if subdirs:
        lines += ["## Other generated files", "",
                  "Written by other commands (`make bench`, `inkrepro demo`, data galleries):", ""]
        for d in subdirs:
            files = sorted(f for f in d.rglob("*") if f.is_file())
            links = " · ".join(f"[{f.relative_to(results_dir)}]({f.relative_to(results_dir)})"
                               for f in files[:12])
            lines.append(f"- `{d.name}/`: {links}" + (" ..." if len(files) > 12 else ""))
            thumbs = [f for f in files if f.suffix in (".png", ".gif")][:4]
            if thumbs:
                lines.append("")
                lines.append(" ".join(f'<img src="{f.relative_to(results_dir)}" width="200">'
                                      for f in thumbs))
                lines.append("")
        lines.append("")
    p = results_dir / "README.md"
    p.write_text("\n".join(lines))
    return p


# ------------------------------------------------------------------ Table 1: training tasks

TASK_INFO = {
    "vanilla_derender": ("rendered ink (photo-like)", "ink"),
    "derender_with_text": ("rendered ink + its text", "ink"),
    "recognize_real": ("real photo (our stand-in: synthetic word photos)", "text"),
    "recognize_rendered": ("rendered ink (photo-like)", "text"),
    "recognize_and_derender": ("rendered ink (photo-like)", "text, space, ink"),
}


def task_examples(image_size: int = 224, seed: int = 0) -> dict[str, Any]:
    """One (augmented) sample per task from the synthetic sources (registry + generators)."""
    from inkrepro import tasks
    from inkrepro.data import photos, synthetic
    from inkrepro.ink.augment import AugmentConfig

    ink_ex = synthetic.generate(synthetic.SyntheticInkConfig(seed=seed), "test", 1)[0]
    photo_ex = photos.generate(photos.PhotoConfig(seed=seed), "test", 1)[0]
    out = {}
    for i, task in enumerate(tasks.TASK_NAMES):
        ex = photo_ex if tasks.TASK_INPUT_KIND[task] == "ocr" else ink_ex
        rng = np.random.default_rng([seed, i])
        out[task] = tasks.make_sample(task, ex, image_size=image_size, augment=AugmentConfig(),
                                      rng=rng)
    return out


@builder("training_tasks", "Table 1: the five training tasks")
def build_training_tasks(profile: str, results_dir: Path) -> Output:
    import matplotlib.pyplot as plt

    from inkrepro import tasks
    from inkrepro.ink import draw

    out = Output("training_tasks", TITLES["training_tasks"])
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
    save_table(out, table, "training_tasks", results_dir,
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
    save_figure(out, fig, "training_tasks", results_dir)
    out.text = ("Input images are generated on the fly from the synthetic sources with the "
                "training augmentation; see notebooks/training_tasks.ipynb.")
    return out


# ------------------------------------------------------------------ automated evaluation

LOWER_IS_BETTER = ("dtw", "ldtw", "cer", "chamfer", "loss")
MODE_LABELS = {"vanilla": "Vanilla", "derender_with_text": "Derender w/ text",
               "recognize_and_derender": "Recognize & derender", "upper_bound": "GT ink"}


def _split_eval_metrics(df: pd.DataFrame) -> dict[tuple[str, str], list[str]]:
    """``eval/<dataset>/<mode>/<metric>`` columns grouped by (dataset, mode)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for c in _metric_cols(df, "eval/"):
        parts = c.split("/")
        if len(parts) == 4:
            groups.setdefault((parts[1], parts[2]), []).append(c)
    return groups


def eval_rows(model: str, df: pd.DataFrame, metric_names: Sequence[str]) -> list[dict]:
    rows = []
    if df.empty:
        return [{"model": model, "dataset": "—", "mode": "—", "seeds": 0,
                 **{m: "not run" for m in metric_names}}]
    for (ds, mode), cols in sorted(_split_eval_metrics(df).items()):
        if mode == "upper_bound" or df[cols].isna().all().all():
            continue
        row = {"model": model, "dataset": ds, "mode": MODE_LABELS.get(mode, mode),
               "seeds": int(df[cols].notna().any(axis=1).sum())}
        for m in metric_names:
            col = f"eval/{ds}/{mode}/{m}"
            row[m] = mean_sd(df[col].tolist() if col in df else [])
        rows.append(row)
    return rows


@builder("automated_evaluation", "Automated evaluation")
def build_automated_evaluation(profile: str, results_dir: Path) -> Output:
    import matplotlib.pyplot as plt

    out = Output("automated_evaluation", TITLES["automated_evaluation"])
    _, df = jobs_with_runs("training_tasks", profile)
    ours = df[(df["arm"] == "all_five") & (df["state"] == "done")]
    base = df[(df["arm"] == "untrained") & (df["state"] == "done")]
    names = ["char_f1", "cer", "word_acc", "tesseract_char_f1", "dtw", "ldtw", "aiou", "chamfer",
             "validity"]
    present = {c.split("/")[-1] for c in _metric_cols(df, "eval/")}
    names = [n for n in names if n in present] or sorted(present)[:8]
    rows = eval_rows(f"ours, all five tasks ({profile})", ours, names)
    rows += eval_rows(f"untrained ({profile})", base, names)
    for (ds, mode), cols in sorted(_split_eval_metrics(ours).items()):
        if mode == "upper_bound" and not ours[cols].isna().all().all():
            row = {"model": "recognizer on ground-truth ink (upper bound)", "dataset": ds,
                   "mode": "GT ink", "seeds": int(ours[cols].notna().any(axis=1).sum())}
            for m in names:
                col = f"eval/{ds}/{mode}/{m}"
                row[m] = mean_sd(ours[col].tolist() if col in ours else [])
            rows.append(row)
    rows.append({"model": "GVS (Mo et al. 2021)", "dataset": "all", "mode": "—", "seeds": 0,
                 **{m: "not run" for m in names}})
    table = pd.DataFrame(rows)
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
    save_table(out, table, "automated_evaluation", results_dir,
               caption=f"Automated evaluation ({profile} profile)", notes=note)
    # figure: the headline metrics per dataset x mode, ours vs untrained
    groups = [k for k in sorted(_split_eval_metrics(ours)) if k[1] != "upper_bound"]
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
    save_figure(out, fig, "automated_evaluation", results_dir)
    out.text = learning_statement(ours, base, profile)
    out.sources = ours["run_id"].dropna().tolist() + base["run_id"].dropna().tolist()
    return out


def learning_statement(ours: pd.DataFrame, base: pd.DataFrame, profile: str) -> str:
    """Does the trained model beat the untrained one on held-out words (vanilla mode)?"""
    parts = []
    for m in ("dtw", "char_f1", "validity"):
        col = next((c for c in _metric_cols(ours, "eval/") if c.endswith(f"/vanilla/{m}")), None)
        if col is None or col not in base or ours[col].dropna().empty or base[col].dropna().empty:
            continue
        a, b = ours[col].dropna().mean(), base[col].dropna().mean()
        better = a < b if m in LOWER_IS_BETTER else a > b
        parts.append(f"`{col}`: trained {a:.3f} vs untrained {b:.3f} "
                     f"({'better' if better else 'NOT better'})")
    if not parts:
        return "No trained/untrained pair with shared metrics finished yet."
    return f"Real learning check ({profile}): " + "; ".join(parts) + "."


# ------------------------------------------------------------------ human evaluation

@builder("human_evaluation", "Human evaluation")
def build_human_evaluation(profile: str, results_dir: Path) -> Output:
    import matplotlib.pyplot as plt

    out = Output("human_evaluation", TITLES["human_evaluation"])
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
    save_table(out, table, "human_evaluation", results_dir,
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
    save_figure(out, fig, "human_evaluation", results_dir)
    out.text = ("Ours: " + ("; ".join(f"{g}: valid {v:.0%}, human-like {h:.0%}" for g, v, h in ours)
                            if ours else "not run (no rating records).")
                + f" Paper ({hv['model']}, {hv['dataset']}): 87% valid, 67% human-like.")
    return out


# ------------------------------------------------------------------ model variants

def record_model_variants(profile: str, parent_run_id: str | None = None) -> None:
    """Exact parameter counts of every model config (shape-only), one MLflow run each."""
    from inkrepro.model import configs, derenderer

    try:
        from inkrepro.experiments.steps import make_config

        exp = make_config(profile, {})
        tiny_image, text_vocab = exp.data.image_size, exp.data.vocab_size
    except Exception:  # noqa: BLE001 - profiles not available: the data defaults
        tiny_image, text_vocab = 224, 1000
    for name in configs.CONFIGS:
        if profile == "smoke" and name == "large":
            continue  # shape-only construction of the 1B model takes ~15-40 s; not in CI
        cfg = configs.get(name)
        image = 224 if cfg.patch_size >= 16 else tiny_image
        vocab = cfg.vocab_size or text_vocab + 451
        from inkrepro.configlib import config_hash

        vhash = config_hash({"cfg": cfg, "image": image, "vocab": vocab})
        done = tracking.search_runs(f"tags.inkrepro_kind = 'model_variant' and "
                                    f"tags.variant_hash = {_q(vhash)} and tags.profile = {_q(profile)}")
        if not done.empty:  # counted before: the record stands
            continue
        counts = derenderer.param_counts(derenderer.abstract(cfg, image_size=image,
                                                             vocab_size=vocab))
        with tracking.run(f"model_variant:{name}", parent_run_id=parent_run_id,
                          tags={"inkrepro_kind": "model_variant", "config": name,
                                "profile": profile, "variant_hash": vhash}):
            tracking.log_params({"image_size": image, "vocab_size": vocab,
                                 "vit": f"{cfg.vit_width}x{cfg.vit_depth}/p{cfg.patch_size}",
                                 "text": f"d{cfg.d_model} {cfg.enc_layers}+{cfg.dec_layers} "
                                         f"ff{cfg.d_ff} h{cfg.num_heads}",
                                 "freeze_vit": cfg.freeze_vit})
            tracking.log_metrics({"params/" + k.strip().replace(" ", "_").replace("(", "")
                                  .replace(")", "").replace(".", ""): v for k, v in counts.items()})


@builder("model_variants", "Model variants and parameter counts")
def build_model_variants(profile: str, results_dir: Path) -> Output:
    import matplotlib.pyplot as plt

    out = Output("model_variants", TITLES["model_variants"])
    record_model_variants(profile)
    df = tracking.search_runs(f"tags.inkrepro_kind = 'model_variant' and tags.profile = {_q(profile)}",
                              order_by=["attributes.start_time DESC"])
    df = df.drop_duplicates("tags.config")
    paper_by_cfg = {"small": "Small-p / Small-i: ~340M", "large": "Large-i: ~1B"}
    rows = []
    for name in ("tiny", "small", "large"):
        r = df[df["tags.config"] == name]
        if r.empty:
            continue
        r = r.iloc[0]
        total = r["metrics.params/total"]
        paper_n = paper.MODEL_PARAMS.get(name)
        rows.append({"config": name, "ViT": r["params.vit"], "encoder-decoder": r["params.text"],
                     "image": r["params.image_size"], "vocab": r["params.vocab_size"],
                     "ViT params": f"{r['metrics.params/vit'] / 1e6:.2f}M",
                     "total params": f"{total / 1e6:.2f}M",
                     "paper": paper_by_cfg.get(name, "— (ours, CPU)"),
                     "ours / paper": f"{total / paper_n:.2f}" if paper_n else "—"})
        out.sources.append(r["run_id"])
    table = pd.DataFrame(rows)
    save_table(out, table, "model_variants", results_dir,
               caption="Model configs: exact parameter counts (jax.eval_shape) vs the paper",
               notes="small/large state their assumptions in inkrepro/model/configs.py "
                     "(ViT-B/16 + T5 v1.1 base; ViT-L/16 + T5 v1.1 large; 32k text pieces + "
                     "451 ink ids). The paper does not break its sizes down.")
    fig, ax = plt.subplots(figsize=(5, 3.2))
    names = [r["config"] for r in rows]
    ours = [float(df[df["tags.config"] == n].iloc[0]["metrics.params/total"]) for n in names]
    xs = np.arange(len(names))
    ax.bar(xs - 0.2, ours, 0.4, label="ours (exact)")
    ax.bar(xs + 0.2, [paper.MODEL_PARAMS.get(n, np.nan) for n in names], 0.4, label="paper")
    ax.set_yscale("log")
    ax.set_xticks(xs)
    ax.set_xticklabels(names)
    ax.set_ylabel("parameters")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(out, fig, "model_variants", results_dir)
    return out


# ------------------------------------------------------------------ trained-model helpers

def reference_run(profile: str, spec_name: str = "training_tasks", arm: str = "all_five"
                  ) -> dict[str, Any] | None:
    """The newest finished run of the reference arm (its ``workdir`` tag locates the model)."""
    _, df = jobs_with_runs(spec_name, profile)
    done = df[(df["arm"] == arm) & (df["state"] == "done")]
    if done.empty:
        return None
    return done.iloc[0].to_dict()


def load_model(workdir: str):
    """(model, vocab, cfg) of a trained run folder (inkrepro.train.load_for_inference)."""
    from inkrepro import train as train_mod

    return train_mod.load_for_inference(workdir)


def prompt_ids(vocab, prompt: str, max_len: int) -> np.ndarray:
    ids = vocab.encode_text(prompt)[: max_len - 1] + [vocab.eos_id]
    out = np.zeros(max_len, np.int32)
    out[: len(ids)] = ids
    return out


def derender(model, vocab, cfg, images: np.ndarray, prompts: Sequence[str], *,
             constrained: bool = True, max_len: int | None = None):
    """Greedy-decode a batch -> list of (text, Ink in the 224 frame)."""
    from inkrepro.model import decode

    enc = np.stack([prompt_ids(vocab, p, cfg.data.max_prompt_len) for p in prompts])
    ids = decode.generate(model, images, enc, max_len=max_len or cfg.data.max_target_len,
                          method="greedy", constrained=constrained, vocab=vocab)
    return [vocab.decode_output([int(t) for t in row]) for row in np.asarray(ids)]


def sketch_inks() -> dict[str, Any]:
    """Out-of-domain, sketch-like inputs (no text): spiral, star, house, wave, circles."""
    from inkrepro.ink.core import Ink

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


# ------------------------------------------------------------------ qualitative galleries

@builder("qualitative", "Qualitative galleries")
def build_qualitative(profile: str, results_dir: Path) -> Output:
    from inkrepro import tasks
    from inkrepro.data import pipeline
    from inkrepro.ink import draw
    from inkrepro.ink.augment import AugmentConfig

    out = Output("qualitative", TITLES["qualitative"])
    ref = reference_run(profile)
    if ref is None or not ref.get("workdir"):
        out.text = (f"No finished `all_five` run of training_tasks for profile {profile}: run "
                    f"`inkrepro sweep training_tasks --profile {profile}` first.")
        (results_dir / "qualitative.md").write_text(out.text + "\n")
        out.files.append(results_dir / "qualitative.md")
        return out
    model, vocab, cfg = load_model(ref["workdir"])
    size = cfg.data.image_size
    k = size / 224.0
    groups = {}
    words = pipeline.make_eval_examples(cfg.data, "test", 8, sources=("hershey",), seed=1)
    photos = pipeline.make_eval_examples(cfg.data, "test", 4, sources=("photos",), seed=1)
    rng = np.random.default_rng(0)
    sketches = []
    for name, ink in sketch_inks().items():
        img, _ = tasks.render_ink_input(ink, size, AugmentConfig(), rng, p_rotation=0.0)
        sketches.append((name, img))
    groups["words"] = [(f"{e.text}", e.image) for e in words]
    groups["photos"] = [(f"{e.text}", e.image) for e in photos]
    groups["sketches"] = sketches
    for gname, items in groups.items():
        imgs = np.stack([im for _, im in items])
        preds = derender(model, vocab, cfg, imgs, ["Derender the ink."] * len(items))
        tiles = []
        for (title, im), (_, ink) in zip(items, preds):
            ink_img = ink.scale(k) if not ink.is_empty else ink
            big = np.asarray(draw.panel(im, ink_img))
            tiles.append((f"{title} ({len(ink.strokes)} strokes)", big))
        grid = draw.gallery(tiles, cols=2 if size >= 128 else 3)
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(grid.shape[1] / 100, grid.shape[0] / 100), dpi=100)
        ax.imshow(grid)
        ax.axis("off")
        ax.set_title(f"{gname}: input | derendered ink | overlay (Vanilla, greedy, "
                     f"{profile} model {ref['run_id'][:8]})", fontsize=8)
        save_figure(out, fig, f"qualitative_{gname}", results_dir)
    out.sources = [ref["run_id"]]
    out.text = (f"Model: arm all_five, seed {ref['seed']} (MLflow run {ref['run_id']}). Words are "
                "held-out synthetic test words (writer-disjoint); photos have no reference ink; "
                "sketches are out-of-domain drawings rendered with the training augmentation.")
    return out


# ------------------------------------------------------------------ inference speed

def measure_speed(model, vocab, cfg, *, batch_sizes=(1, 8), runs: int = 5) -> dict[str, float]:
    """Tokens/s of greedy decoding (mean of ``runs`` timed runs after one compile run)."""
    import time

    import jax

    from inkrepro.data import pipeline
    from inkrepro.model import decode

    exs = pipeline.make_eval_examples(cfg.data, "test", max(batch_sizes), sources=("hershey",))
    out: dict[str, float] = {}
    for b in batch_sizes:
        imgs = np.stack([exs[i % len(exs)].image for i in range(b)])
        enc = np.stack([prompt_ids(vocab, "Derender the ink.", cfg.data.max_prompt_len)] * b)
        kw = dict(max_len=cfg.data.max_target_len, method="greedy", constrained=False, vocab=vocab)
        jax.block_until_ready(decode.generate(model, imgs, enc, **kw))
        rates = []
        for _ in range(runs):
            t0 = time.perf_counter()
            ids = np.asarray(jax.block_until_ready(decode.generate(model, imgs, enc, **kw)))
            dt = time.perf_counter() - t0
            n = int(sum(min(int(np.argmax(r == vocab.eos_id)) + 1 if (r == vocab.eos_id).any()
                            else len(r), len(r)) for r in ids))
            rates.append(n / dt)
        out[f"tokens_per_s/b{b}"] = float(np.mean(rates))
        out[f"tokens_per_s_sd/b{b}"] = float(np.std(rates))
    return out


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


@builder("inference_speed", "Inference speed")
def build_inference_speed(profile: str, results_dir: Path) -> Output:
    import platform

    import matplotlib.pyplot as plt

    out = Output("inference_speed", TITLES["inference_speed"])
    ref = reference_run(profile)
    rows = []
    if ref is not None and ref.get("workdir"):
        import jax

        model, vocab, cfg = load_model(ref["workdir"])
        dev = jax.devices()[0]
        device = (f"CPU: {cpu_name() or platform.machine()} ({os.cpu_count()} cores)"
                  if dev.platform == "cpu" else dev.device_kind)
        speeds = measure_speed(model, vocab, cfg)
        with tracking.run(f"inference_speed:{profile}", tags={
                "inkrepro_kind": "inference_speed", "profile": profile, "device": device,
                "model_run": ref["run_id"], "config": cfg.model.name}):
            tracking.log_metrics(speeds)
    df = tracking.search_runs(f"tags.inkrepro_kind = 'inference_speed' and tags.profile = {_q(profile)}",
                              order_by=["attributes.start_time DESC"])
    for _, r in df.head(1).iterrows():
        for col in sorted(c for c in r.index if c.startswith("metrics.tokens_per_s/")):
            b = col.split("/b")[-1]
            sd = r.get(f"metrics.tokens_per_s_sd/b{b}")
            rows.append({"model": f"ours: {r.get('tags.config', '?')} ({profile})",
                         "device": r["tags.device"], "batch": int(b),
                         "tokens/s": f"{r[col]:.1f} ± {sd:.1f}" if sd == sd else f"{r[col]:.1f}",
                         "source": f"MLflow {r['run_id'][:8]}"})
        out.sources.append(r["run_id"])
    for dev, v in paper.INFERENCE_SPEED.items():
        rows.append({"model": "paper: InkSight Small-p", "device": dev, "batch": 1,
                     "tokens/s": f"{v:.2f}", "source": "paper (mean of five runs)"})
    table = pd.DataFrame(rows)
    save_table(out, table, "inference_speed", results_dir,
               caption="Inference speed: generated tokens per second (greedy, mean of five runs)",
               notes="Ours is the small CPU model of this profile, so the numbers are not "
                     "comparable to the paper's 340M model on GPUs; they are shown side by side "
                     "as the paper reports them.")
    fig, ax = plt.subplots(figsize=(6, 3.2))
    labels = [f"{r['model'].split(':')[0]}\n{r['device'][:18]}\nb{r['batch']}" for r in rows]
    vals = [float(str(r["tokens/s"]).split(" ")[0]) for r in rows]
    ax.bar(range(len(vals)), vals, color=["C0" if r["model"].startswith("ours") else "0.6"
                                          for r in rows])
    ax.set_xticks(range(len(vals)))
    ax.set_xticklabels(labels, fontsize=6)
    ax.set_yscale("log")
    ax.set_ylabel("tokens/s")
    fig.tight_layout()
    save_figure(out, fig, "inference_speed", results_dir)
    if ref is None:
        out.text = "No trained model for this profile yet: only the paper's numbers are shown."
    return out
